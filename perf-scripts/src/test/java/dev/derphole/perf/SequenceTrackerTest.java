package dev.derphole.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class SequenceTrackerTest {
    @Test
    void shouldCountAnUnbrokenSequenceAsDeliveredWithoutLoss() {
        final SequenceTracker t = new SequenceTracker();
        for (long s = 0; s < 100; s++) {
            t.onPacket(s, 1200);
        }
        assertThat(t.delivered()).isEqualTo(100);
        assertThat(t.bytes()).isEqualTo(120_000);
        assertThat(t.lost()).isZero();
        assertThat(t.late()).isZero();
    }

    @Test
    void shouldCountSkippedNumbersAsLostAndOldOnesAsLate() {
        final SequenceTracker t = new SequenceTracker();
        t.onPacket(0, 10);
        t.onPacket(1, 10);
        t.onPacket(5, 10); // 2, 3, 4 dropped by the relay
        t.onPacket(6, 10);
        t.onPacket(4, 10); // reordered: must never happen over TCP
        t.onPacket(6, 10); // duplicated
        assertThat(t.delivered()).isEqualTo(6);
        assertThat(t.lost()).isEqualTo(3);
        assertThat(t.late()).isEqualTo(2);
    }

    @Test
    void shouldMatchARandomDropPattern() {
        final SplittableRandom random = new SplittableRandom(0x5eed);
        final SequenceTracker t = new SequenceTracker();
        long kept = 0;
        long dropped = 0;
        long lastKept = -1;
        for (long s = 0; s < 10_000; s++) {
            if (random.nextInt(4) == 0) {
                dropped++;
                continue;
            }
            t.onPacket(s, 100);
            kept++;
            lastKept = s;
        }
        // Drops after the last delivered packet are not visible yet.
        assertThat(t.delivered()).isEqualTo(kept);
        assertThat(t.lost()).isEqualTo(dropped - (9_999 - lastKept));
    }

    @Test
    void shouldRoundTripSequenceNumbersBigEndian() {
        final byte[] buf = new byte[16];
        for (final long seq : new long[] {0, 1, 255, 256, 0x0102030405060708L, Long.MAX_VALUE}) {
            SequenceTracker.putSeq(buf, seq);
            assertThat(SequenceTracker.seqAt(buf, 0)).isEqualTo(seq);
        }
        SequenceTracker.putSeq(buf, 0x0102030405060708L);
        assertThat(buf[0]).isEqualTo((byte)1);
        assertThat(buf[7]).isEqualTo((byte)8);
    }

    @Test
    void shouldGiveLossPercentOfWhatWasDue() {
        final Totals t = new Totals(100, 75, 75 * 1200, 25, 0);
        assertThat(t.lossPercent()).isEqualTo(25.0);
        assertThat(Totals.ZERO.lossPercent()).isZero();
        assertThat(t.minus(new Totals(10, 5, 6000, 5, 0))).isEqualTo(new Totals(90, 70, 84_000, 20, 0));
        assertThat(t.plus(t).delivered()).isEqualTo(150);
    }
}
