package dev.derphole.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A {@code derphole relay} process on loopback for system tests; {@link #url()} is its {@code --derp-url}. */
final class RelayProcess implements AutoCloseable {
    private final CliProcess process;
    private final String url;

    private RelayProcess(final CliProcess process, final String url) {
        this.process = process;
        this.url = url;
    }

    static RelayProcess start(final String... extra) throws IOException, InterruptedException {
        final List<String> args = new ArrayList<>(List.of("relay", "--listen", "127.0.0.1:0", "--no-stun"));
        args.addAll(List.of(extra));
        final CliProcess p = CliProcess.derphole(args.toArray(String[]::new));
        try {
            return new RelayProcess(p, p.awaitStderr("^derp-url (\\S+)$", 20_000));
        } catch (final RuntimeException | Error e) {
            p.close();
            throw e;
        }
    }

    String url() {
        return url;
    }

    /** SIGTERM, wait, and return everything it printed (the test hooks print a summary on the way out). */
    String stop() throws java.io.IOException, InterruptedException {
        process.terminate();
        final int exit = process.waitFor(15_000);
        return process.stderr() + "exit=" + exit + "\n";
    }

    @Override
    public void close() {
        process.close();
    }
}
