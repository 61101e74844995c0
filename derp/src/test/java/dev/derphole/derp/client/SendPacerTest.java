package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SendPacerTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldNeverWaitWhenTheRelayAdvertisedNoRate() {
        final SendPacer p = new SendPacer(0, 0);
        assertThat(p.enabled()).isFalse();
        for (int i = 0; i < 1000; i++) {
            assertThat(p.delayNs(65_000, 0)).isZero();
            p.onSent(65_000, 0);
        }
    }

    @Test
    void shouldLetABurstThroughThenHoldTheRate() {
        final long rate = 1_000_000;
        final long burst = 200_000;
        final SendPacer p = new SendPacer(rate, burst);
        long nowNs = 0;
        long sent = 0;
        // Full bucket: 200 KB go at once.
        while (p.delayNs(1000, nowNs) == 0 && sent < 1_000_000) {
            p.onSent(1000, nowNs);
            sent += 1000;
        }
        assertThat(sent).isEqualTo(burst);
        // Then 1 MB/s: simulate 2 s of sending as fast as allowed.
        final long startNs = nowNs;
        long afterBurst = 0;
        while (nowNs - startNs < 2 * SECOND) {
            nowNs += p.delayNs(1000, nowNs);
            p.onSent(1000, nowNs);
            afterBurst += 1000;
        }
        assertThat(afterBurst).isBetween(1_990_000L, 2_010_000L);
    }

    @Test
    void shouldRefillWhileIdleButNotBeyondTheBurst() {
        final SendPacer p = new SendPacer(100_000, SendPacer.MIN_BURST_BYTES);
        p.onSent((int)SendPacer.MIN_BURST_BYTES, 0);
        assertThat(p.delayNs(1000, 0)).isEqualTo(10_000_000L);
        // After a long idle time the bucket is full again, but only one burst deep.
        final long later = 100 * SECOND;
        long sent = 0;
        while (p.delayNs(1000, later) == 0) {
            p.onSent(1000, later);
            sent += 1000;
        }
        assertThat(sent).isEqualTo(SendPacer.MIN_BURST_BYTES / 1000 * 1000);
    }

    @Test
    void shouldAimBelowTheRelaysAdvertisedBucket() {
        final long rate = 1_600_000;
        final SendPacer p = SendPacer.forRelay(rate, 400_000);
        long sent = 0;
        while (p.delayNs(1000, 0) == 0) {
            p.onSent(1000, 0);
            sent += 1000;
        }
        assertThat(sent).isEqualTo(200_000);
        // Sending as fast as allowed for 2 s: 15/16 of the advertised rate.
        long nowNs = 0;
        long more = 0;
        while (nowNs < 2 * SECOND) {
            nowNs += p.delayNs(1000, nowNs);
            p.onSent(1000, nowNs);
            more += 1000;
        }
        assertThat(more).isBetween(2_990_000L, 3_010_000L);
        assertThat(SendPacer.forRelay(0, 400_000).enabled()).isFalse();
    }

    @Test
    void shouldRaiseTinyBurstsToOneMaximumFrame() {
        final SendPacer p = new SendPacer(1000, 1);
        assertThat(p.delayNs(5 + 32 + 65_536, 0)).isZero();
    }
}
