package dev.derphole.derp.client;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Waits (bounded) for a counter that another thread updates after the event the test observed, e.g. a writer
 * that counts a packet after its flush returned, when the peer may already have read it.
 */
final class Eventually {
    private Eventually() {
    }

    /** {@code counter}'s value once it equals {@code expected}, or its last value after {@code timeout}. */
    static long value(final LongSupplier counter, final long expected, final Duration timeout)
        throws InterruptedException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        long v = counter.getAsLong();
        while (v != expected && System.nanoTime() - deadlineNs < 0) {
            Thread.sleep(1);
            v = counter.getAsLong();
        }
        return v;
    }
}
