package dev.derphole.lanes.repair;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RttEstimatorTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldFollowRfc6298AndClampTheTimeout() {
        final RttEstimator rtt = new RttEstimator(1000 * MS, 50 * MS, 2000 * MS);
        assertThat(rtt.rtoNs()).isEqualTo(1000 * MS);
        rtt.update(100 * MS, 0);
        assertThat(rtt.smoothedNs()).isEqualTo(100 * MS);
        assertThat(rtt.rtoNs()).isEqualTo(100 * MS + 4 * 50 * MS);
        rtt.update(100 * MS, 0);
        assertThat(rtt.rtoNs()).isEqualTo(100 * MS + 4 * 37_500_000L);
        for (int i = 0; i < 100; i++) {
            rtt.update(MS, 0);
        }
        assertThat(rtt.rtoNs()).isEqualTo(50 * MS);
        rtt.backOff();
        rtt.backOff();
        assertThat(rtt.rtoNs()).isEqualTo(200 * MS);
        for (int i = 0; i < 20; i++) {
            rtt.backOff();
        }
        assertThat(rtt.rtoNs()).isEqualTo(2000 * MS);
        rtt.update(MS, 0);
        assertThat(rtt.rtoNs()).isEqualTo(50 * MS);
    }

    @Test
    void shouldSubtractThePeersAckDelay() {
        final RttEstimator rtt = new RttEstimator(1000 * MS, MS, 2000 * MS);
        rtt.update(1005 * MS, 1000 * MS); // an idle heartbeat ACK for a packet held a second
        assertThat(rtt.smoothedNs()).isEqualTo(5 * MS);
        assertThat(rtt.minNs()).isEqualTo(5 * MS);
        assertThat(rtt.lossDelayNs(MS, 77, 9)).isEqualTo(5 * MS * 9 / 8);
        rtt.reset();
        assertThat(rtt.lossDelayNs(MS, 77, 9)).isEqualTo(77);
    }
}
