package dev.derphole.lanes.rate;

/**
 * Loss-based AIMD with CUBIC window growth (RFC 9438): slow start to the first loss, then
 * {@code W(t) = C (t - K)^3 + Wmax} with a Reno-friendly floor (§4.3), multiplicative decrease by
 * {@code beta} on a loss event (at most one per round trip: losses of packets sent before the last reduction
 * are part of the same event, RFC 9002 §7.3.2) and fast convergence (§4.7); a retransmission timeout collapses
 * the window to its minimum. Pacing is {@code gain x window / SRTT} (2x in slow start, 1.25x after, as Linux
 * does), which is the hook the per-lane rate pacing of the direct path builds on.
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation.
 */
public final class CubicController implements CongestionControl
{
    /** CUBIC constant C, in segments per second cubed (RFC 9438 §5.1). */
    private static final double C = 0.4;
    /** Multiplicative decrease factor (RFC 9438 §4.6). */
    private static final double BETA = 0.7;
    /** Reno-friendly additive increase per RTT in segments, 3(1-beta)/(1+beta) (RFC 9438 §4.3). */
    private static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);
    /** Pacing gain in slow start. */
    private static final double SLOW_START_PACING_GAIN = 2.0;
    /** Pacing gain after slow start. */
    private static final double PACING_GAIN = 1.25;
    /** Burst the pacer allows, in segments. */
    private static final int BURST_SEGMENTS = 16;

    private final int minWindowSegments;
    private final long maxWindowBytes;
    private int segment;
    private long window;
    private long ssthresh;
    private double wMaxSegments;
    private double kSeconds;
    private long epochStartNs;
    private double renoWindowSegments;
    private long recoveryStartNs;
    private boolean inRecovery;

    /**
     * @param minWindowSegments window floor in segments (after a timeout)
     * @param maxWindowBytes    window ceiling in bytes (memory bound)
     */
    public CubicController(final int minWindowSegments, final long maxWindowBytes)
    {
        this.minWindowSegments = minWindowSegments;
        this.maxWindowBytes = maxWindowBytes;
    }

    @Override
    public void reset(final int segmentBytes, final long initialWindowBytes, final CongestionDecision out)
    {
        segment = Math.max(1, segmentBytes);
        window = Math.clamp(initialWindowBytes, minWindow(), maxWindowBytes);
        ssthresh = Long.MAX_VALUE;
        wMaxSegments = 0;
        kSeconds = 0;
        epochStartNs = 0;
        renoWindowSegments = 0;
        recoveryStartNs = 0;
        inRecovery = false;
        decide(0, out);
        out.congestionEvent = false;
    }

    @Override
    public void update(final CongestionSample s, final CongestionDecision out)
    {
        out.congestionEvent = false;
        if (s.rto)
        {
            enterRecovery(s.nowNs);
            window = minWindow();
            out.congestionEvent = true;
        }
        else if (s.lostBytes > 0 && (recoveryStartNs == 0 || s.largestLostSentNs - recoveryStartNs > 0))
        {
            enterRecovery(s.nowNs);
            window = ssthresh;
            out.congestionEvent = true;
        }
        else if (s.ackedBytes > 0 && !s.appLimited)
        {
            grow(s);
        }
        if (inRecovery && s.smoothedRttNs > 0 && s.nowNs - recoveryStartNs > s.smoothedRttNs)
        {
            inRecovery = false;
        }
        window = Math.clamp(window, minWindow(), maxWindowBytes);
        decide(s.smoothedRttNs, out);
    }

    /** Current window in bytes. */
    public long windowBytes()
    {
        return window;
    }

    /** Slow-start threshold in bytes (Long.MAX_VALUE before the first loss). */
    public long slowStartThresholdBytes()
    {
        return ssthresh;
    }

    private void enterRecovery(final long nowNs)
    {
        final double current = (double)window / segment;
        // Fast convergence (RFC 9438 §4.7): release bandwidth sooner when the window keeps shrinking.
        wMaxSegments = current < wMaxSegments ? current * (1 + BETA) / 2 : current;
        ssthresh = Math.max(minWindow(), (long)(window * BETA));
        kSeconds = Math.cbrt(wMaxSegments * (1 - BETA) / C);
        epochStartNs = nowNs;
        renoWindowSegments = (double)ssthresh / segment;
        recoveryStartNs = nowNs;
        inRecovery = true;
    }

    private void grow(final CongestionSample s)
    {
        if (inRecovery)
        {
            return; // acks of packets sent before the reduction do not grow the window (RFC 9002 §7.3.2)
        }
        if (window < ssthresh)
        {
            window += s.ackedBytes;
            return;
        }
        final double windowSegments = (double)window / segment;
        final double ackedSegments = (double)s.ackedBytes / segment;
        if (epochStartNs == 0)
        {
            // Congestion avoidance without a prior loss (ssthresh reached by reset): start an epoch here.
            epochStartNs = s.nowNs;
            wMaxSegments = windowSegments;
            kSeconds = 0;
            renoWindowSegments = windowSegments;
        }
        final double rttSeconds = s.smoothedRttNs > 0 ? s.smoothedRttNs / 1e9 : 0.1;
        final double t = (s.nowNs - epochStartNs) / 1e9 + rttSeconds;
        final double target = Math.clamp(
            C * Math.pow(t - kSeconds, 3) + wMaxSegments, windowSegments, 1.5 * windowSegments);
        double next = windowSegments + (target - windowSegments) * ackedSegments / windowSegments;
        renoWindowSegments += ALPHA * ackedSegments / windowSegments;
        if (renoWindowSegments > next)
        {
            next = renoWindowSegments;
        }
        window = Math.max(window, (long)(next * segment));
    }

    private void decide(final long smoothedRttNs, final CongestionDecision out)
    {
        out.windowBytes = window;
        out.burstBytes = (long)BURST_SEGMENTS * segment;
        if (smoothedRttNs > 0)
        {
            final double gain = window < ssthresh ? SLOW_START_PACING_GAIN : PACING_GAIN;
            out.pacingBytesPerSecond = (long)Math.min(Long.MAX_VALUE / 2, gain * window * 1e9 / smoothedRttNs);
        }
        else
        {
            out.pacingBytesPerSecond = 0;
        }
    }

    private long minWindow()
    {
        return (long)minWindowSegments * segment;
    }
}
