package dev.derphole.lanes.repair;

/**
 * Round-trip time estimate and retransmission timeout per RFC 6298 §2 (SRTT, RTTVAR, RTO = SRTT + max(G,
 * 4 RTTVAR), clamped), with the peer's reported ack delay subtracted from each sample (RFC 9002 §5.3). Samples come
 * from unique packet numbers, so Karn's ambiguity
 * never arises. Exponential backoff on timeout per RFC 6298 §5.5.
 * <p>
 * Owned by the sender engine thread; not thread-safe.
 */
public final class RttEstimator {
    /** Clock granularity G in RFC 6298 terms. */
    private static final long GRANULARITY_NS = 1_000_000L;
    /** Largest backoff shift (RTO doubles at most this many times before the max clamp). */
    private static final int MAX_BACKOFF_SHIFT = 10;

    private final long initialRtoNs;
    private final long minRtoNs;
    private final long maxRtoNs;
    private long smoothedNs;
    private long varianceNs;
    private long minNs;
    private long latestNs;
    private boolean hasSample;
    private int backoff;

    public RttEstimator(final long initialRtoNs, final long minRtoNs, final long maxRtoNs) {
        this.initialRtoNs = initialRtoNs;
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
    }

    /** Forgets everything (a new path). */
    public void reset() {
        hasSample = false;
        smoothedNs = 0;
        varianceNs = 0;
        minNs = 0;
        latestNs = 0;
        backoff = 0;
    }

    /**
     * One sample: {@code sampleNs} from send to ack arrival, {@code ackDelayNs} as reported by the peer (how long
     * it held the packet before acknowledging). The delay is authenticated and measured on the peer's own
     * clock, so it is subtracted whenever it is shorter than the sample (RFC 9002 §5.3 also guards it with
     * min_rtt because its peers' delays are less trustworthy); our receiver's idle heartbeat ACKs echo packets
     * it got up to a second earlier, and without the subtraction those would read as one-second RTTs.
     */
    public void update(final long sampleNs, final long ackDelayNs) {
        if (sampleNs <= 0) {
            return;
        }
        final long adjusted = ackDelayNs > 0 && ackDelayNs < sampleNs ? sampleNs - ackDelayNs : sampleNs;
        latestNs = adjusted;
        if (!hasSample) {
            hasSample = true;
            minNs = adjusted;
            smoothedNs = adjusted;
            varianceNs = adjusted / 2;
            backoff = 0;
            return;
        }
        minNs = Math.min(minNs, adjusted);
        varianceNs = (3 * varianceNs + Math.abs(smoothedNs - adjusted)) / 4;
        smoothedNs = (7 * smoothedNs + adjusted) / 8;
        backoff = 0;
    }

    public boolean hasSample() {
        return hasSample;
    }

    /** Smoothed RTT, or 0 before the first sample. */
    public long smoothedNs() {
        return smoothedNs;
    }

    public long latestNs() {
        return latestNs;
    }

    public long minNs() {
        return minNs;
    }

    /** Current retransmission timeout including backoff. */
    public long rtoNs() {
        final long base = hasSample
            ? Math.clamp(smoothedNs + Math.max(GRANULARITY_NS, 4 * varianceNs), minRtoNs, maxRtoNs)
            : initialRtoNs;
        return Math.min(maxRtoNs, base << backoff);
    }

    /** A timeout fired: double the RTO until the next sample. */
    public void backOff() {
        backoff = Math.min(backoff + 1, MAX_BACKOFF_SHIFT);
    }

    /**
     * RFC 9002 §6.1.2 time threshold: {@code eighths}/8 (9/8 in the RFC) of the larger of smoothed and latest
     * RTT, at least {@code floorNs}; before any sample, {@code fallbackNs}.
     */
    public long lossDelayNs(final long floorNs, final long fallbackNs, final int eighths) {
        if (!hasSample) {
            return fallbackNs;
        }
        return Math.max(floorNs, Math.max(smoothedNs, latestNs) * eighths / 8);
    }
}
