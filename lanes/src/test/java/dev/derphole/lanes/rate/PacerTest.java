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
