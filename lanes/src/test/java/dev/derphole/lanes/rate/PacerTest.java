package dev.derphole.lanes.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PacerTest {
    @Test
    void shouldSpreadSendsAtTheRateAfterTheBurst() {
        final Pacer pacer = new Pacer();
        pacer.configure(1_000_000, 3000, 1); // 1 MB/s: 1000 bytes per ms
        long now = 1;
        int sent = 0;
        for (int i = 0; i < 3; i++) {
            assertThat(pacer.delayNs(now, 1000)).isZero();
            pacer.onSent(now, 1000);
            sent++;
        }
        assertThat(pacer.delayNs(now, 1000)).isEqualTo(1_000_000);
        now += 1_000_000;
        assertThat(pacer.delayNs(now, 1000)).isZero();
        pacer.onSent(now, 1000);
        sent++;
        assertThat(sent).isEqualTo(4);
    }

    @Test
    void shouldWaitForAQuantumSoSeveralDatagramsGoInOneCall() {
        final Pacer pacer = new Pacer();
        pacer.configure(25_000_000, 25_000, 1); // the WAN lab's link: 1,480 bytes every 59 us
        long now = 1;
        while (pacer.delayNs(now, 1480) == 0) {
            pacer.onSent(now, 1480);
        }
        final long wait = pacer.delayNs(now, 1480);
        assertThat(wait).as("waits for a quantum, not for one datagram").isBetween(Pacer.QUANTUM_NS - 60_000,
            Pacer.QUANTUM_NS);
        now += wait;
        int burst = 0;
        while (pacer.delayNs(now, 1480) == 0) {
            pacer.onSent(now, 1480);
            burst++;
        }
        assertThat(burst).as("datagrams after one wait").isEqualTo(4);
        // Over time the rate is still the rate: 10 ms of waits carry 10 ms of bytes.
        long bytes = 0;
        final long end = now + 10_000_000;
        while (now < end) {
            now += Math.max(1, pacer.delayNs(now, 1480));
            while (pacer.delayNs(now, 1480) == 0) {
                pacer.onSent(now, 1480);
                bytes += 1480;
            }
        }
        assertThat(bytes).isBetween(245_000L, 256_000L);
    }

    @Test
    void shouldNotPaceAtRateZero() {
        final Pacer pacer = new Pacer();
        pacer.configure(0, 1, 1);
        for (int i = 0; i < 100; i++) {
            assertThat(pacer.delayNs(1, 65_000)).isZero();
            pacer.onSent(1, 65_000);
        }
    }

    @Test
    void shouldNotCreditAnIntervalTwiceWhenAnOlderClockReadingComesIn() {
        final Pacer pacer = new Pacer();
        pacer.configure(1_000_000, 3000, 1); // 1 MB/s: 1000 bytes per ms
        pacer.onSent(1, 3000);
        assertThat(pacer.delayNs(1_000_001, 1000)).isZero();
        pacer.onSent(1_000_001, 1000);
        // The engine's cycle clock is older than the ACK clock it just used: that half millisecond was credited.
        assertThat(pacer.delayNs(500_001, 1000)).isPositive();
        assertThat(pacer.delayNs(1_000_001, 1000)).isEqualTo(1_000_000);
    }
}
