package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TokenBucketTest {
    private static final long SECOND_NS = 1_000_000_000L;

    @Test
    void shouldAllowTheBurstThenChargeWaitTime() {
        final TokenBucket bucket = new TokenBucket(1000, 500, 0);
        assertThat(bucket.reserve(500, 0)).isZero();
        assertThat(bucket.reserve(100, 0)).isEqualTo(SECOND_NS / 10);
        // Debt carries over: another 100 waits until 0.2 s.
        assertThat(bucket.reserve(100, 0)).isEqualTo(SECOND_NS / 5);
        // After 0.2 s the balance is zero again, so nothing more is owed.
        assertThat(bucket.reserve(0, SECOND_NS / 5)).isZero();
    }

    @Test
    void shouldRefillUpToTheBurstOnly() {
        final TokenBucket bucket = new TokenBucket(1, 3, 0);
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 0)).isFalse();
        assertThat(bucket.tryTake(1, SECOND_NS)).isTrue();
        assertThat(bucket.tryTake(1, SECOND_NS)).isFalse();
        assertThat(bucket.tryTake(3, 100 * SECOND_NS)).isTrue();
        assertThat(bucket.tryTake(1, 100 * SECOND_NS)).isFalse();
    }
}
