package dev.derphole.lanes.engine;

import java.util.concurrent.locks.LockSupport;

/**
 * Wakes one owning thread that parks when it has nothing to do. Producers call {@link #signal} after
 * publishing work; the owner calls {@link #beginCycle} before looking for work and {@link #idle} when a cycle
 * found none. Both flags are volatile, so the Dekker-style handshake (owner: write parked, read signalled;
 * producer: write signalled, read parked) cannot lose a wake-up; parking is also bounded by a timeout.
 * <p>
 * {@link #signal} is thread-safe; the other methods belong to the owner thread.
 */
public final class Signal {
    private volatile Thread owner;
    private volatile boolean parked;
    private volatile boolean signalled;

    /** Binds the thread that parks; call from that thread before its first cycle. */
    public void bindOwner() {
        owner = Thread.currentThread();
    }

    /** From any thread: there may be new work for the owner. */
    public void signal() {
        signalled = true;
        if (parked) {
            final Thread t = owner;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Owner: clears the flag before scanning for work, so signals from now on stop the next {@link #idle}. */
    public void beginCycle() {
        signalled = false;
    }

    /** Owner: parks up to {@code timeoutNs} unless a signal arrived since {@link #beginCycle}. */
    public void idle(final long timeoutNs) {
        if (timeoutNs <= 0) {
            return;
        }
        parked = true;
        if (!signalled) {
            LockSupport.parkNanos(this, timeoutNs);
        }
        parked = false;
    }
}
