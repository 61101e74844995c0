package dev.derphole.udp.uring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Converts the kernel's receive time stamps (SCM_TIMESTAMPNS, on CLOCK_REALTIME) to the {@link System#nanoTime()}
 * clock. The offset between the two clocks is read afresh for every receive call ({@link #invalidate()}) rather
 * than once, so an NTP step of the wall clock shifts at most the datagrams of the call it happens in; reading
 * it costs a vDSO {@code clock_gettime} and a {@code nanoTime}, once per call that got a stamp.
 * <p>
 * Preallocated in the engine's arena, so nothing of ours is allocated per call (see {@link LinuxCalls} on the
 * JDK's own). Owned by the receive side; not thread-safe.
 */
final class ReceiveClock {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final MemorySegment state;
    private final MemorySegment timespec;
    private boolean fresh;
    private boolean usable;
    private long offsetNs;
    private long nowNs;

    ReceiveClock(final Arena arena) {
        this.state = LinuxCalls.newCallState(arena);
        this.timespec = arena.allocate(16, 8);
    }

    /** Forgets the offset: the next {@link #toNanoTime} reads both clocks again. Call before each receive call. */
    void invalidate() {
        fresh = false;
    }

    /**
     * {@code realtimeNs} (ns since the epoch, from a kernel stamp) on the {@link System#nanoTime()} clock, never
     * later than the {@code nanoTime} read with the offset (a stamp cannot be in the future); 0 if the wall clock
     * cannot be read.
     */
    long toNanoTime(final long realtimeNs) {
        if (!fresh) {
            // Wall clock first, nanoTime second: the gap between the reads (tens of ns) can only make stamps look
            // later, never earlier than the datagram arrived; the clamp keeps them from passing now.
            final boolean read = LinuxCalls.clockGettime(state, Linux.CLOCK_REALTIME, timespec) == 0;
            nowNs = System.nanoTime();
            offsetNs = read ? nowNs - epochNanos(timespec, 0) : 0;
            usable = read;
            fresh = true;
        }
        return usable ? Math.min(realtimeNs + offsetNs, nowNs) : 0;
    }

    /** A {@code struct timespec} at {@code offset} of {@code segment} as ns since the epoch. */
    static long epochNanos(final MemorySegment segment, final long offset) {
        return segment.get(ValueLayout.JAVA_LONG, offset) * NANOS_PER_SECOND
            + segment.get(ValueLayout.JAVA_LONG, offset + 8);
    }
}
