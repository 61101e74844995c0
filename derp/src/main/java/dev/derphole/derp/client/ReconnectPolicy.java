package dev.derphole.derp.client;

import java.time.Duration;

/**
 * When a DERP client redials after its connection drops: exponential backoff from {@code initial} doubling
 * up to {@code max}, each wait drawn uniformly from [half, full] of the current step so that many clients of
 * one restarted relay do not redial in lockstep. Immutable.
 *
 * @param enabled false: a dropped connection ends the client (except that a relay's Restarting frame is
 *                still honoured for its advertised try-for window)
 * @param initial first backoff step
 * @param max     largest backoff step
 */
public record ReconnectPolicy(boolean enabled, Duration initial, Duration max) {
    /** 100 ms doubling to 10 s, with jitter. */
    public static final ReconnectPolicy DEFAULT =
        new ReconnectPolicy(true, Duration.ofMillis(100), Duration.ofSeconds(10));

    /** Never redial (a Restarting frame is still honoured within its try-for window). */
    public static final ReconnectPolicy DISABLED =
        new ReconnectPolicy(false, Duration.ofMillis(100), Duration.ofSeconds(10));

    public ReconnectPolicy {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("reconnect backoff needs 0 < initial <= max: " + initial + ", " + max);
        }
    }

    /**
     * Wait before redial attempt {@code attempt} (0 = first).
     *
     * @param jitter uniform in [0, 1); 0 gives half the step, values near 1 the full step
     */
    public long delayNs(final int attempt, final double jitter) {
        final long maxNs = max.toNanos();
        long stepNs = initial.toNanos();
        for (int i = 0; i < attempt && stepNs < maxNs; i++) {
            stepNs = Math.min(maxNs, stepNs * 2);
        }
        return stepNs / 2 + (long)(stepNs / 2 * jitter);
    }
}
