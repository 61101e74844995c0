package dev.derphole.cli;

/** Process exit codes shared by both tools (seed README, D8). */
public final class ExitCode {
    public static final int OK = 0;
    public static final int RUNTIME = 1;
    public static final int USAGE = 2;

    private ExitCode() {
    }
}
