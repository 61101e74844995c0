package dev.derphole.udp.uring;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Kernel stamps (wall clock) land on the {@code nanoTime} clock, never in the future. */
@Timeout(30)
class ReceiveClockTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldMapAWallClockInstantOntoNanoTime() {
        try (Arena arena = Arena.ofConfined()) {
            final ReceiveClock clock = new ReceiveClock(arena);
            final long before = System.nanoTime();
            final long tenMsAgo = epochNanos(Instant.now()) - 10 * MS;
            final long converted = clock.toNanoTime(tenMsAgo);
            final long after = System.nanoTime();

            // Instant.now() is only as fine as the platform makes it; allow it a millisecond each way.
            assertThat(converted).isBetween(before - 11 * MS, after - 9 * MS);
        }
    }

    @Test
    void shouldClampAStampFromTheFutureToNow() {
        try (Arena arena = Arena.ofConfined()) {
            final ReceiveClock clock = new ReceiveClock(arena);
            final long before = System.nanoTime();
            final long converted = clock.toNanoTime(epochNanos(Instant.now()) + 1000 * MS);

            assertThat(converted).isBetween(before, System.nanoTime());
        }
    }

    @Test
    void shouldKeepOneOffsetUntilInvalidated() {
        try (Arena arena = Arena.ofConfined()) {
            final ReceiveClock clock = new ReceiveClock(arena);
            final long stamp = epochNanos(Instant.now()) - 100 * MS;
            final long first = clock.toNanoTime(stamp);

            assertThat(clock.toNanoTime(stamp + 7)).isEqualTo(first + 7);
            final long sleptFrom = System.nanoTime();
            while (System.nanoTime() - sleptFrom < 2 * MS) {
                Thread.onSpinWait();
            }
            clock.invalidate();
            // Both clocks moved on together: the same stamp converts to about the same time.
            assertThat(clock.toNanoTime(stamp)).isBetween(first - MS, first + MS);
        }
    }

    private static long epochNanos(final Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
