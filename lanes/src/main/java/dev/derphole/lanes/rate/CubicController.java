package dev.derphole.lanes.rate;

/**
 * Loss-based AIMD with CUBIC window growth (RFC 9438): slow start to the first loss, then
 * {@code W(t) = C (t - K)^3 + Wmax} with a Reno-friendly floor (§4.3), multiplicative decrease by
 * {@code beta} on a congestion event (at most one per round trip: losses of packets sent before the last
 * reduction are part of the same event, RFC 9002 §7.3.2), fast convergence (§4.7) and undo of a reduction
 * that turned out spurious (§4.9). A retransmission timeout reduces like a loss; a second one in a row
 * (persistent congestion, RFC 9002 §7.6) collapses the window to its minimum.
 * <p>
 * <b>Loss tolerance:</b> with a tolerance of 0 every loss episode is a congestion event (classic CUBIC).
 * With a tolerance {@code t > 0} losses are tallied per measurement round (at least one smoothed RTT and
 * {@link #MIN_ROUND_SEGMENTS} segments) and the window is reduced only when a round lost more than
 * {@code t} of its bytes. Random loss on long paths (the derphole use case, and the upstream tool's 1 %
 * budget) then costs repair, not throughput; a bottleneck that overflows still drives loss past the
 * tolerance within a round or two and gets a reduction. A round also spans at least {@code 4 / t} segments,
 * so that one lost packet can never be a quarter of the tolerance or more. Pacing is {@code gain x window / SRTT} (2x
 * in slow start, 1.25x after, as Linux
 * does), which is the hook the per-lane rate pacing of the direct path builds on.
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation.
 */
public final class CubicController implements CongestionControl {
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
    /** Smallest measurement round, in segments acknowledged or lost. */
    private static final int MIN_ROUND_SEGMENTS = 16;
    /** Round length while no RTT is known. */
    private static final long DEFAULT_ROUND_NS = 10_000_000L;
    /** Burst the pacer allows, in segments. */
    private static final int BURST_SEGMENTS = 16;

    private final int minWindowSegments;
    private final long maxWindowBytes;
    private double lossTolerance;
    private long minRoundSegments;
    private long roundStartNs;
    private long roundAckedBytes;
    private long roundLostBytes;
    private long roundLargestLostSentNs = -1;
    private int segment;
    private long window;
    private long ssthresh;
    private double wMaxSegments;
    private double kSeconds;
    private long epochStartNs;
    private double renoWindowSegments;
    private long recoveryStartNs;
    private boolean inRecovery;
    private long priorWindow;
    private long priorSsthresh;
    private double priorWMaxSegments;
    private boolean canUndo;

    /**
     * @param minWindowSegments window floor in segments (after a timeout)
     * @param maxWindowBytes    window ceiling in bytes (memory bound)
     * @param lossTolerance     fraction of a round's bytes that may be lost without a reduction (0 = none)
     */
    public CubicController(final int minWindowSegments, final long maxWindowBytes, final double lossTolerance) {
        this.minWindowSegments = minWindowSegments;
        this.maxWindowBytes = maxWindowBytes;
        lossTolerance(lossTolerance);
    }

    /**
     * Changes the loss tolerance (see the class comment); takes effect with the next {@link #reset}. The sender
     * uses 0 on paths whose every loss is congestion (the DERP relay).
     */
    public void lossTolerance(final double tolerance) {
        if (tolerance < 0 || tolerance >= 1) {
            throw new IllegalArgumentException("lossTolerance must be in [0, 1): " + tolerance);
        }
        lossTolerance = tolerance;
        minRoundSegments = tolerance == 0
            ? MIN_ROUND_SEGMENTS : Math.max(MIN_ROUND_SEGMENTS, (long)Math.ceil(4 / tolerance));
    }

    @Override
    public void reset(final int segmentBytes, final long initialWindowBytes, final CongestionDecision out) {
        segment = Math.max(1, segmentBytes);
        window = Math.clamp(initialWindowBytes, minWindow(), maxWindowBytes);
        ssthresh = Long.MAX_VALUE;
        wMaxSegments = 0;
        kSeconds = 0;
        epochStartNs = 0;
        renoWindowSegments = 0;
        recoveryStartNs = 0;
        inRecovery = false;
        canUndo = false;
        roundStartNs = 0;
        roundAckedBytes = 0;
        roundLostBytes = 0;
        roundLargestLostSentNs = -1;
        decide(0, out);
        out.congestionEvent = false;
    }

    @Override
    public void update(final CongestionSample s, final CongestionDecision out) {
        out.congestionEvent = false;
        if (s.rto) {
            enterRecovery(s.nowNs);
            window = s.consecutiveTimeouts >= 2 ? minWindow() : ssthresh;
            canUndo = false;
            out.congestionEvent = true;
            resetRound(s.nowNs);
        } else if (congested(s)) {
            enterRecovery(s.nowNs);
            window = ssthresh;
            out.congestionEvent = true;
        } else if (s.ackedBytes > 0 && !s.appLimited) {
            grow(s);
        }
        if (inRecovery && s.smoothedRttNs > 0 && s.nowNs - recoveryStartNs > s.smoothedRttNs) {
            inRecovery = false;
        }
        window = Math.clamp(window, minWindow(), maxWindowBytes);
        decide(s.smoothedRttNs, out);
    }

    /**
     * The last reduction was spurious (the receiver got the "lost" data after all, e.g. reordering): restore the
     * window from before it, once (RFC 9438 §4.9, Eifel-style undo).
     *
     * @return true when a reduction was undone
     */
    public boolean undo(final long smoothedRttNs, final CongestionDecision out) {
        if (!canUndo) {
            return false;
        }
        canUndo = false;
        window = Math.max(window, priorWindow);
        ssthresh = priorSsthresh;
        wMaxSegments = priorWMaxSegments;
        kSeconds = 0;
        epochStartNs = 0;
        inRecovery = false;
        decide(smoothedRttNs, out);
        out.congestionEvent = false;
        return true;
    }

    /** Current window in bytes. */
    public long windowBytes() {
        return window;
    }

    /** Slow-start threshold in bytes (Long.MAX_VALUE before the first loss). */
    public long slowStartThresholdBytes() {
        return ssthresh;
    }

    /** Whether this sample completes a congestion event (see the class comment on loss tolerance). */
    private boolean congested(final CongestionSample s) {
        if (lossTolerance == 0) {
            return s.lostBytes > 0 && isNewEpisode(s.largestLostSentNs);
        }
        roundAckedBytes += s.ackedBytes;
        roundLostBytes += s.lostBytes;
        if (s.lostBytes > 0) {
            roundLargestLostSentNs = Math.max(roundLargestLostSentNs, s.largestLostSentNs);
        }
        if (roundStartNs == 0) {
            roundStartNs = s.nowNs;
        }
        final long total = roundAckedBytes + roundLostBytes;
        final long roundNs = s.smoothedRttNs > 0 ? s.smoothedRttNs : DEFAULT_ROUND_NS;
        if (s.nowNs - roundStartNs < roundNs || total < minRoundSegments * segment) {
            return false;
        }
        final boolean congested = roundLostBytes > lossTolerance * total && isNewEpisode(roundLargestLostSentNs);
        resetRound(s.nowNs);
        return congested;
    }

    private boolean isNewEpisode(final long lostSentNs) {
        return recoveryStartNs == 0 || lostSentNs - recoveryStartNs > 0;
    }

    private void resetRound(final long nowNs) {
        roundStartNs = nowNs;
        roundAckedBytes = 0;
        roundLostBytes = 0;
        roundLargestLostSentNs = -1;
    }

    private void enterRecovery(final long nowNs) {
        priorWindow = window;
        priorSsthresh = ssthresh;
        priorWMaxSegments = wMaxSegments;
        canUndo = true;
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

    private void grow(final CongestionSample s) {
        if (inRecovery) {
            return; // acks of packets sent before the reduction do not grow the window (RFC 9002 §7.3.2)
        }
        if (window < ssthresh) {
            window += s.ackedBytes;
            return;
        }
        final double windowSegments = (double)window / segment;
        final double ackedSegments = (double)s.ackedBytes / segment;
        if (epochStartNs == 0) {
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
        if (renoWindowSegments > next) {
            next = renoWindowSegments;
        }
        window = Math.max(window, (long)(next * segment));
    }

    private void decide(final long smoothedRttNs, final CongestionDecision out) {
        out.windowBytes = window;
        out.burstBytes = (long)BURST_SEGMENTS * segment;
        if (smoothedRttNs > 0) {
            final double gain = window < ssthresh ? SLOW_START_PACING_GAIN : PACING_GAIN;
            out.pacingBytesPerSecond = (long)Math.min(Long.MAX_VALUE / 2, gain * window * 1e9 / smoothedRttNs);
        } else {
            out.pacingBytesPerSecond = 0;
        }
    }

    private long minWindow() {
        return (long)minWindowSegments * segment;
    }
}
