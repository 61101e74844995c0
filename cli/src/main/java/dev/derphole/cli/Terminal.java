package dev.derphole.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * The process edges a command talks to: payload streams, the human-facing stderr, the environment,
 * and the verbosity the user chose. Injected so commands run in-process in tests.
 */
public final class Terminal {
    /**
     * Output levels: {@code -s} silences even summaries, {@code -q} (the default) keeps them, {@code -v} adds
     * status.
     */
    public enum Verbosity {
        SILENT, QUIET, VERBOSE
    }

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final OutputStream payload;
    private final boolean system;
    private volatile Verbosity verbosity = Verbosity.QUIET;

    public Terminal(final InputStream in, final PrintStream out, final PrintStream err, final Map<String, String> env) {
        this(in, out, err, env, out, false);
    }

    private Terminal(final InputStream in, final PrintStream out, final PrintStream err, final Map<String, String> env,
        final OutputStream payload, final boolean system) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.env = env;
        this.payload = payload;
        this.system = system;
    }

    public static Terminal system() {
        // Payload bypasses PrintStream, which would swallow write errors such as a closed pipe.
        return new Terminal(System.in, System.out, System.err, System.getenv(),
            new FileOutputStream(FileDescriptor.out), true);
    }

    /** True for the process's own stdin/stdout (file descriptors 0 and 1), false for an injected test terminal. */
    boolean isSystem() {
        return system;
    }

    /** Raw stdout for payload bytes: write errors surface as exceptions. Flush {@link #out()} first. */
    public OutputStream payload() {
        return payload;
    }

    public InputStream in() {
        return in;
    }

    /** Payload or machine output only. */
    public PrintStream out() {
        return out;
    }

    /** Everything meant for a human. */
    public PrintStream err() {
        return err;
    }

    public Map<String, String> env() {
        return env;
    }

    public Verbosity verbosity() {
        return verbosity;
    }

    void verbosity(final Verbosity verbosity) {
        this.verbosity = verbosity;
    }

    public boolean verbose() {
        return verbosity == Verbosity.VERBOSE;
    }

    /** A status transition ({@code connected-relay}); printed with {@code --verbose} only. */
    public void status(final String line) {
        if (verbosity == Verbosity.VERBOSE) {
            err.println(line);
        }
    }

    /** Summaries, tokens, bind addresses: printed unless {@code --silent}. */
    public void info(final String line) {
        if (verbosity != Verbosity.SILENT) {
            err.println(line);
        }
    }

    /** Must-see output (tokens, receive commands): printed at every verbosity. */
    public void always(final String line) {
        err.println(line);
    }
}
