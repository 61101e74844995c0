package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ReconnectPolicyTest {
    @Test
    void shouldDoubleFromInitialToMaxWithJitterInTheUpperHalf() {
        final ReconnectPolicy p = ReconnectPolicy.DEFAULT;
        assertThat(p.delayNs(0, 0)).isEqualTo(50_000_000L);
        assertThat(p.delayNs(0, 0.999999)).isBetween(99_000_000L, 100_000_000L);
        assertThat(p.delayNs(1, 0)).isEqualTo(100_000_000L);
        assertThat(p.delayNs(3, 0)).isEqualTo(400_000_000L);
        assertThat(p.delayNs(20, 0)).isEqualTo(5_000_000_000L);
        assertThat(p.delayNs(Integer.MAX_VALUE, 0.999999)).isBetween(9_990_000_000L, 10_000_000_000L);
    }

    @Test
    void shouldRejectNonsense() {
        assertThatThrownBy(() -> new ReconnectPolicy(true, Duration.ZERO, Duration.ofSeconds(1)))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectPolicy(true, Duration.ofSeconds(2), Duration.ofSeconds(1)))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
