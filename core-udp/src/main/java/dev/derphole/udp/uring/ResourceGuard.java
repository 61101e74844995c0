package dev.derphole.udp.uring;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Defers closing a file descriptor (and freeing memory the kernel may touch) until no thread is inside a
 * system call on it. Closing an fd while another thread is blocked on it would let the number be reused
 * by an unrelated open, and the blocked thread would then read someone else's socket.
 * <p>
 * Each engine call brackets its system calls with {@link #acquire()} / {@link #release()}. {@link #close()}
 * marks the guard closed, runs the wake-up action while still holding a use (so the wake-up fd is valid),
 * and the last {@link #release()} runs the close action exactly once.
 * <p>
 * Thread-safe.
 */
final class ResourceGuard {
    private static final int CLOSED = 1;
    private static final int USER = 2;

    private final AtomicInteger state = new AtomicInteger();
    private final Runnable wakeAction;
    private final Runnable closeAction;

    /**
     * @param wakeAction  wakes threads blocked in the guarded calls (runs while the resources are valid)
     * @param closeAction frees the resources; runs once, after the last user left
     */
    ResourceGuard(final Runnable wakeAction, final Runnable closeAction) {
        this.wakeAction = wakeAction;
        this.closeAction = closeAction;
    }

    /** Enters a guarded section; false when the guard is closed (the caller must not touch the resources). */
    boolean acquire() {
        while (true) {
            final int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + USER)) {
                return true;
            }
        }
    }

    /** Leaves a guarded section entered with a successful {@link #acquire()}. */
    void release() {
        if (state.addAndGet(-USER) == CLOSED) {
            closeAction.run();
        }
    }

    /** Whether {@link #close()} was called. */
    boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Closes: wakes blocked users, and frees the resources now or when the last user leaves. Idempotent. */
    void close() {
        while (true) {
            final int s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            // Take a use while closing so the wake action still sees valid resources.
            if (state.compareAndSet(s, (s | CLOSED) + USER)) {
                break;
            }
        }
        try {
            wakeAction.run();
        } finally {
            release();
        }
    }
}
