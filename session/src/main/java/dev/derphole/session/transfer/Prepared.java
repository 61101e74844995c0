package dev.derphole.session.transfer;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Work started now on a daemon thread and collected later: a stream engine (receive window or send ring of tens
 * of MiB, ciphers) is built while the claim travels or while the listener connects, so neither side
 * allocates on the path from claim to first byte (~50-80 ms each on a cold JVM). Thread-safe.
 *
 * @param <T> what the work builds
 */
final class Prepared<T> {
    private final FutureTask<T> task;

    private Prepared(final Callable<T> work) {
        this.task = new FutureTask<>(work);
    }

    static <T> Prepared<T> start(final Callable<T> work) {
        final Prepared<T> prepared = new Prepared<>(work);
        Thread.ofPlatform().daemon().name("derphole-prepare").start(prepared.task);
        return prepared;
    }

    /** Waits up to {@code nanos} for the work to end, successfully or not (a failure comes from {@link #get}). */
    void await(final long nanos) throws InterruptedException {
        try {
            task.get(nanos, TimeUnit.NANOSECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            // reported by get(), or still running: nothing to wait for here
        }
    }

    boolean isDone() {
        return task.isDone();
    }

    /** Waits for the work; its unchecked failure is rethrown as is. */
    T get() throws InterruptedException {
        try {
            return task.get();
        } catch (final ExecutionException e) {
            throw rethrow(e, RuntimeException.class);
        }
    }

    /**
     * Rethrows the cause of a failed task: as {@code checked} when it is one, as is when unchecked; any other is
     * returned wrapped, for the caller to throw.
     */
    static <E extends Exception> IllegalStateException rethrow(final ExecutionException failed,
        final Class<E> checked) throws E {
        final Throwable cause = failed.getCause();
        if (checked.isInstance(cause)) {
            throw checked.cast(cause);
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IllegalStateException(cause);
    }
}
