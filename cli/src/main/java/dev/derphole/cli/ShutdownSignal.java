package dev.derphole.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C / SIGTERM handling for long-running commands. The JVM runs shutdown hooks on those signals and
 * then exits with 128+signal; our hook instead wakes the command, waits (bounded) until the command has
 * shut down cleanly and says so with {@link #done()}, then halts with the command's chosen exit code —
 * 0 for services that treat a signal as a normal stop (relay, share), 1 for transfers it interrupts.
 */
final class ShutdownSignal {
    /** How long the hook waits for a clean shutdown before halting anyway. */
    private static final long CLEAN_SHUTDOWN_TIMEOUT_MS = 5_000;

    private final CountDownLatch signalled = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private final int exitCode;
    private volatile Runnable onSignal = () -> {
    };

    private ShutdownSignal(final int exitCode) {
        this.exitCode = exitCode;
        this.hook = new Thread(this::onSignal, "derphole-shutdown");
    }

    /** Installs the hook; {@code exitCode} is what the process exits with when a signal stops it. */
    static ShutdownSignal install(final int exitCode) {
        final ShutdownSignal signal = new ShutdownSignal(exitCode);
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /** What to do first when a signal arrives (e.g. abort the transfer so the peer hears about it). */
    ShutdownSignal onSignal(final Runnable action) {
        this.onSignal = action;
        return this;
    }

    /** Blocks until a signal arrives. */
    void await() throws InterruptedException {
        signalled.await();
    }

    boolean signalled() {
        return signalled.getCount() == 0;
    }

    /** The command has finished shutting down: the hook (if running) may halt now. */
    void done() {
        finished.countDown();
        if (!signalled()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // The JVM is already exiting; the hook will run and halt.
            }
        }
    }

    private void onSignal() {
        signalled.countDown();
        try {
            onSignal.run();
        } catch (final RuntimeException e) {
            // Best effort: the process is stopping either way.
        }
        try {
            finished.await(CLEAN_SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(exitCode);
    }
}
