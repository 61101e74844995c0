package dev.derphole.udp;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The {@link UdpCounter}s of one engine. Each counter has a single writer (the thread owning that side of
 * the engine), which updates it with an ordered store, so readers on any thread see a recent value without
 * locks. Counters sit a cache line apart so the send and receive threads do not share lines.
 * <p>
 * {@link #add} is for the owning side only; {@link #get} and {@link #toString} are thread-safe.
 */
public final class EngineCounters {
    /** longs per cache line: one counter per line. */
    private static final int STRIDE = 8;

    private final AtomicLongArray values = new AtomicLongArray(UdpCounter.values().length * STRIDE);

    /** Adds {@code delta} to {@code counter}. Only the counter's single writer may call this. */
    public void add(final UdpCounter counter, final long delta) {
        final int index = counter.ordinal() * STRIDE;
        values.lazySet(index, values.get(index) + delta);
    }

    /** Increments {@code counter} by one. Only the counter's single writer may call this. */
    public void increment(final UdpCounter counter) {
        add(counter, 1);
    }

    /** Current value of {@code counter}. */
    public long get(final UdpCounter counter) {
        return values.get(counter.ordinal() * STRIDE);
    }

    /** All non-zero counters, e.g. {@code "datagrams sent=10, bytes sent=14520"}. Allocates. */
    @Override
    public String toString() {
        final StringBuilder out = new StringBuilder();
        for (final UdpCounter counter : UdpCounter.values()) {
            final long value = get(counter);
            if (value != 0) {
                if (!out.isEmpty()) {
                    out.append(", ");
                }
                out.append(counter.label()).append('=').append(value);
            }
        }
        return out.isEmpty() ? "(all zero)" : out.toString();
    }
}
