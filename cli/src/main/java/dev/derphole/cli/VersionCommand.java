package dev.derphole.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

/** {@code version}: prints the version to stdout. */
@Command(mixinStandardHelpOptions = true, name = "version", description = "Print the version.")
final class VersionCommand implements Callable<Integer> {
    private final Terminal terminal;

    VersionCommand(final Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() {
        terminal.out().println(Version.current());
        return ExitCode.OK;
    }
}
