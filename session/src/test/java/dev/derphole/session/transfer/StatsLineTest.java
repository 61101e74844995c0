package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.derphole.lanes.StreamStats;

/** The stats line reads exactly as the {@code String.format} pattern it replaced. */
class StatsLineTest {
    @Test
    void shouldReadAsTheFormatPatternDid() {
        final SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 20_000; i++) {
            final long payload = random.nextInt(4) == 0 ? 0 : random.nextLong(1, 1L << 40);
            final long retransmitted = payload == 0 ? 0 : random.nextLong(payload / (1 + random.nextInt(1000)) + 1);
            final long rttNanos = random.nextInt(4) == 0 ? 0 : random.nextLong(1, 2_000_000_000L);
            final StreamStats s = new StreamStats(random.nextLong(1L << 40), random.nextInt(1 << 30),
                random.nextInt(1 << 30), payload, retransmitted, random.nextInt(1000), 0, random.nextInt(1000), 0, 0, 0,
                0, random.nextInt(100), 0, 0, random.nextInt(100), random.nextInt(10), 0, 0, 0, rttNanos, 0,
                random.nextInt(1 << 26), random.nextInt(1000));
            final double percent = payload == 0 ? 0 : 100.0 * retransmitted / payload;
            assertThat(StatsLine.of(s)).isEqualTo(String.format(Locale.ROOT, "stats bytes=%d packets-sent=%d "
                    + "packets-received=%d retransmitted=%.2f%% loss-events=%d probes=%d rtt=%.2fms window=%d "
                    + "inbound-drops=%d duplicates=%d auth-failures=%d tail-copies=%d",
                s.streamBytes(), s.packetsSent(), s.packetsReceived(), percent, s.lossEvents(), s.probes(),
                rttNanos / 1e6, s.windowBytes(), s.inboundDrops(), s.duplicatePackets(), s.authFailures(),
                s.tailCopies()));
        }
    }

    @Test
    void shouldRoundHundredthsHalfUp() {
        assertThat(StatsLine.hundredths(new StringBuilder(), 0).toString()).isEqualTo("0.00");
        assertThat(StatsLine.hundredths(new StringBuilder(), 0.125).toString()).isEqualTo("0.13");
        assertThat(StatsLine.hundredths(new StringBuilder(), 3.999).toString()).isEqualTo("4.00");
        assertThat(StatsLine.hundredths(new StringBuilder(), 40.07).toString()).isEqualTo("40.07");
    }
}
