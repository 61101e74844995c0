package dev.derphole.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Every process the harness starts (relays, socat, forwarders): started here, their pids appended to a pid file
 * (so the calling script's EXIT trap can kill them even if this JVM dies hard), and stopped by {@link #stop} or
 * at JVM shutdown. Only these pids are ever signalled. Thread-safe.
 */
final class ChildProcesses {
    /** How long a child gets to exit after SIGTERM before SIGKILL. */
    static final long TERM_GRACE_MS = 5_000;

    private final Path pidFile;
    private final List<Process> live = new ArrayList<>();

    ChildProcesses(final Path pidFile) {
        this.pidFile = pidFile;
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "child-reaper"));
    }

    /** Starts {@code builder}'s command and records its pid. */
    Process start(final ProcessBuilder builder) throws IOException {
        final Process p = builder.start();
        synchronized (this) {
            live.add(p);
            Files.writeString(pidFile, p.pid() + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        }
        return p;
    }

    /** SIGTERM, then SIGKILL after {@link #TERM_GRACE_MS}; waits for the exit. */
    void stop(final Process p) {
        synchronized (this) {
            live.remove(p);
        }
        terminate(p);
    }

    /** Stops every child still running. */
    void stopAll() {
        final List<Process> all;
        synchronized (this) {
            all = List.copyOf(live);
            live.clear();
        }
        for (final Process p : all) {
            p.destroy();
        }
        for (final Process p : all) {
            terminate(p);
        }
    }

    private static void terminate(final Process p) {
        p.destroy();
        try {
            if (!p.waitFor(TERM_GRACE_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(TERM_GRACE_MS, TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
