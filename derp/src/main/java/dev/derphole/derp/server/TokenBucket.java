package dev.derphole.derp.server;

/**
 * A token bucket in bytes (or events) with nanosecond refill, like {@code golang.org/x/time/rate.Limiter}:
 * {@link #reserve} may drive the balance negative and says how long to wait, which is how derper throttles a
 * client's reader ({@code sclient.rateLimit}). Owned by one reader thread; not thread-safe.
 */
final class TokenBucket {
    private final double perNs;
    private final double burst;
    private double tokens;
    private long lastNs;

    TokenBucket(final double perSecond, final double burst, final long nowNs) {
        this.perNs = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastNs = nowNs;
    }

    /** Takes {@code n} tokens now, going into debt if needed; returns nanoseconds to wait before using them. */
    long reserve(final long n, final long nowNs) {
        refill(nowNs);
        tokens -= n;
        return tokens >= 0 ? 0 : (long)Math.ceil(-tokens / perNs);
    }

    /** Takes {@code n} tokens if they are there; never goes into debt. */
    boolean tryTake(final long n, final long nowNs) {
        refill(nowNs);
        if (tokens < n) {
            return false;
        }
        tokens -= n;
        return true;
    }

    private void refill(final long nowNs) {
        final long elapsed = nowNs - lastNs;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * perNs);
            lastNs = nowNs;
        }
    }
}
