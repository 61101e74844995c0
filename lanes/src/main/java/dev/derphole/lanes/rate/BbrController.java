package dev.derphole.lanes.rate;

/**
 * Rate-based congestion control after BBR (Cardwell et al., "BBR: Congestion-Based Congestion Control", 2016):
 * the sender measures the path's delivery rate and minimum round-trip time and paces at the bottleneck rate,
 * with a window of about two bandwidth-delay products. Random loss does not slow it down (it costs only
 * repair), which is why the direct UDP path uses it: loss-based control collapses at a few percent of random
 * loss (measured: CUBIC with a 2 % tolerance kept 2.4 % of a 200 Mbit/s, 40 ms link at 3 % loss).
 * <p>
 * <b>Measurement.</b> The delivery rate is sampled once per measurement round (at least one smoothed RTT and
 * {@link #MIN_ROUND_NS}): bytes newly acknowledged (cumulatively or selectively) in the round divided by its
 * length. The bottleneck rate is the largest sample of the last {@link #BANDWIDTH_WINDOW_ROUNDS} rounds; a
 * sample from a round in which the sender was application-limited only counts when it raises the estimate.
 * The minimum RTT comes from the sender's RTT estimator.
 * <p>
 * <b>Modes.</b> STARTUP paces at {@link #HIGH_GAIN} x the estimate (doubling per round trip) until the estimate
 * stops growing by 25 % for three rounds, or a round loses more than {@link #STARTUP_LOSS_LIMIT} of its bytes;
 * DRAIN paces at the inverse gain until the data in flight fits one bandwidth-delay product; PROBE_BW then
 * cycles the pacing gain through 1.25, 0.75 and six times 1, one minimum RTT each, to find more bandwidth and
 * drain the queue it made. There is no PROBE_RTT: the minimum RTT of a path is kept until the path changes.
 * <p>
 * <b>Loss.</b> A round that loses more than {@link #HEAVY_LOSS} of its bytes is not random loss but a policer
 * or an overflowing queue: the estimate is cut to {@link #HEAVY_LOSS_BACKOFF} of itself (at least what that round
 * delivered). Losses declared by a probe timeout do not count towards it. Two retransmission timeouts in a
 * row (persistent congestion) start over from STARTUP with a minimal window.
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation.
 */
public final class BbrController implements CongestionControl {
    /** STARTUP gain, 2 / ln 2: the smallest that doubles the delivery rate each round trip. */
    static final double HIGH_GAIN = 2.885;
    /** Window gain outside STARTUP, in bandwidth-delay products. */
    static final double WINDOW_GAIN = 2.0;
    /** PROBE_BW pacing gains, one phase per minimum RTT. */
    private static final double[] PROBE_GAINS = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
    /** Rounds the bandwidth max-filter spans. */
    static final int BANDWIDTH_WINDOW_ROUNDS = 10;
    /** Growth below which a STARTUP round counts as "no longer growing". */
    private static final double FULL_BANDWIDTH_GROWTH = 1.25;
    /** Rounds in a row without growth that end STARTUP. */
    private static final int FULL_BANDWIDTH_ROUNDS = 3;
    /** Fraction of a STARTUP round's bytes lost that ends STARTUP at once (the queue overflowed). */
    static final double STARTUP_LOSS_LIMIT = 0.10;
    /**
     * Segments a STARTUP round must have carried before its loss fraction counts: a few random losses among the
     * first handful of packets are not an overflowing queue (3 % random loss makes 2 of 12 likely enough).
     */
    private static final long STARTUP_LOSS_MIN_SEGMENTS = 128;
    /** Fraction of a round's bytes lost that cuts the estimate to the round's delivery rate. */
    static final double HEAVY_LOSS = 0.20;
    /** Factor the estimate is cut by after a heavily losing round. */
    static final double HEAVY_LOSS_BACKOFF = 0.7;
    /** Shortest measurement round, in ns (very short RTTs, e.g. loopback). */
    static final long MIN_ROUND_NS = 1_000_000L;
    /** Round length while no RTT is known, in ns. */
    private static final long DEFAULT_ROUND_NS = 10_000_000L;
    /** Window floor after persistent congestion, in segments. */
    private static final int MIN_WINDOW_SEGMENTS = 4;
    /** Window floor otherwise, in segments: acknowledgements come in batches, not per packet. */
    private static final int WORKING_WINDOW_SEGMENTS = 16;
    /** Longest burst the pacer may send at once, in ns of the pacing rate (and at least two segments). */
    private static final long BURST_NS = 1_000_000L;

    private enum Mode {
        STARTUP, DRAIN, PROBE_BW
    }

    private final long maxWindowBytes;
    private final long ackAggregationNs;
    private final long[] bandwidthByRound = new long[BANDWIDTH_WINDOW_ROUNDS];
    private int segment = 1;
    private long initialWindow;
    private Mode mode = Mode.STARTUP;
    private long bandwidth;
    private long fullBandwidth;
    private int roundsWithoutGrowth;
    private long round;
    private long roundStartNs;
    private long roundAckedBytes;
    private long roundLostBytes;
    private boolean roundAppLimited;
    private long roundMaxRate;
    private long sampleStartNs;
    private long epochStartNs;
    private long sampleAckedBytes;
    private boolean sampleAppLimited;
    private int probePhase;
    private long phaseStartNs;
    private long minRttNs;

    /**
     * @param maxWindowBytes   window ceiling in bytes (the send buffer: unacknowledged bytes never exceed it)
     * @param ackAggregationNs how long the receiver may hold an acknowledgement back (its largest ACK delay): the
     *                         window covers the bandwidth for this long on top of the round trip, or the sender
     *                         would stall waiting for delayed ACKs on short paths
     */
    public BbrController(final long maxWindowBytes, final long ackAggregationNs) {
        this.maxWindowBytes = maxWindowBytes;
        this.ackAggregationNs = ackAggregationNs;
    }

    @Override
    public void reset(final int segmentBytes, final long initialWindowBytes, final CongestionDecision out) {
        segment = Math.max(1, segmentBytes);
        initialWindow = Math.clamp(initialWindowBytes, minWindow(), maxWindowBytes);
        java.util.Arrays.fill(bandwidthByRound, 0);
        mode = Mode.STARTUP;
        bandwidth = 0;
        fullBandwidth = 0;
        roundsWithoutGrowth = 0;
        round = 0;
        roundStartNs = 0;
        roundAckedBytes = 0;
        roundLostBytes = 0;
        roundAppLimited = false;
        roundMaxRate = 0;
        sampleStartNs = 0;
        epochStartNs = 0;
        sampleAckedBytes = 0;
        sampleAppLimited = false;
        probePhase = 0;
        phaseStartNs = 0;
        minRttNs = 0;
        decide(0, 0, out);
        out.congestionEvent = false;
    }

    @Override
    public void update(final CongestionSample s, final CongestionDecision out) {
        out.congestionEvent = false;
        if (s.minRttNs > 0) {
            minRttNs = s.minRttNs;
        }
        if (s.rto && s.consecutiveTimeouts >= 2) {
            // Persistent congestion: whatever we knew about this path is stale.
            final long keepSegment = segment;
            reset((int)keepSegment, minWindow(), out);
            out.congestionEvent = true;
            return;
        }
        if (roundStartNs == 0) {
            roundStartNs = s.nowNs;
            phaseStartNs = s.nowNs;
            sampleStartNs = s.nowNs;
            epochStartNs = s.nowNs;
        }
        sample(s);
        roundAckedBytes += s.ackedBytes;
        // Lost before this controller started (the previous path's packets, or packets of the old size): they say
        // nothing about this path and must not end STARTUP before it has measured anything.
        final boolean earlier = s.largestLostSentNs >= 0 && s.largestLostSentNs - epochStartNs < 0;
        if (!s.rto && !earlier) {
            // A probe timeout declares everything in flight lost at once: that says the ACKs stopped, not how
            // much of the path's capacity was lost, so it must not look like a heavily losing round.
            roundLostBytes += s.lostBytes;
        }
        roundAppLimited |= s.appLimited;
        final long roundNs = Math.max(MIN_ROUND_NS, s.smoothedRttNs > 0 ? s.smoothedRttNs : DEFAULT_ROUND_NS);
        if (s.nowNs - roundStartNs >= roundNs) {
            endRound(s.nowNs, out);
        }
        advanceMode(s);
        decide(s.smoothedRttNs, s.bytesInFlight, out);
    }

    /**
     * Delivery-rate samples over half the minimum RTT (at least {@link #MIN_ROUND_NS}): short enough that the ACKs
     * of the 1.25 probing phase, which come back one RTT later at the rate they were sent, form samples of their
     * own instead of being averaged with the 0.75 phase that follows (which would leave the estimate stuck, and
     * slowly decaying under random loss). A sample is capped at the highest gain the sender paced with: more
     * than that is ACKs arriving bunched, not bandwidth, and believing it overflows the bottleneck's queue.
     */
    private void sample(final CongestionSample s) {
        sampleAckedBytes += s.ackedBytes;
        sampleAppLimited |= s.appLimited;
        final long windowNs = Math.max(MIN_ROUND_NS, minRttNs / 2);
        final long elapsedNs = s.nowNs - sampleStartNs;
        if (elapsedNs < windowNs) {
            return;
        }
        long rate = sampleAckedBytes * 1_000_000_000L / Math.max(1, elapsedNs);
        if (bandwidth > 0) {
            rate = Math.min(rate, (long)((mode == Mode.STARTUP ? HIGH_GAIN : PROBE_GAINS[0]) * bandwidth));
        }
        if (!sampleAppLimited || rate > bandwidth) {
            roundMaxRate = Math.max(roundMaxRate, rate);
        }
        sampleStartNs = s.nowNs;
        sampleAckedBytes = 0;
        sampleAppLimited = false;
    }

    private void endRound(final long nowNs, final CongestionDecision out) {
        final long elapsedNs = nowNs - roundStartNs;
        final long delivered = roundAckedBytes;
        final long rate = delivered * 1_000_000_000L / Math.max(1, elapsedNs);
        final long total = delivered + roundLostBytes;
        final double lossFraction = total == 0 ? 0 : (double)roundLostBytes / total;
        round++;
        final int slot = (int)(round % BANDWIDTH_WINDOW_ROUNDS);
        bandwidthByRound[slot] = roundMaxRate;
        roundMaxRate = 0;
        if (lossFraction > HEAVY_LOSS && total >= 4L * segment) {
            // A policer or a full queue, not random loss: back off multiplicatively (as BBRv2 does), never below
            // what this round delivered.
            long max = 0;
            for (final long b : bandwidthByRound) {
                max = Math.max(max, b);
            }
            java.util.Arrays.fill(bandwidthByRound, 0);
            bandwidthByRound[slot] = Math.max(rate, (long)(HEAVY_LOSS_BACKOFF * max));
            out.congestionEvent = true;
        }
        long max = 0;
        for (final long b : bandwidthByRound) {
            max = Math.max(max, b);
        }
        bandwidth = max;
        if (mode == Mode.STARTUP) {
            if (bandwidth >= fullBandwidth * FULL_BANDWIDTH_GROWTH) {
                fullBandwidth = bandwidth;
                roundsWithoutGrowth = 0;
            } else if (!roundAppLimited) {
                roundsWithoutGrowth++;
            }
            if (roundsWithoutGrowth >= FULL_BANDWIDTH_ROUNDS
                || lossFraction > STARTUP_LOSS_LIMIT && total >= STARTUP_LOSS_MIN_SEGMENTS * segment) {
                mode = Mode.DRAIN;
            }
        }
        roundStartNs = nowNs;
        roundAckedBytes = 0;
        roundLostBytes = 0;
        roundAppLimited = false;
    }

    private void advanceMode(final CongestionSample s) {
        if (mode == Mode.DRAIN && s.bytesInFlight <= bdp()) {
            mode = Mode.PROBE_BW;
            probePhase = 0;
            phaseStartNs = s.nowNs;
        }
        if (mode == Mode.PROBE_BW) {
            // One phase per minimum RTT; the 0.75 phase ends early once the queue the 1.25 phase built is gone.
            final long phaseNs = Math.max(MIN_ROUND_NS, minRttNs > 0 ? minRttNs : DEFAULT_ROUND_NS);
            final boolean elapsed = s.nowNs - phaseStartNs >= phaseNs;
            final boolean drained = PROBE_GAINS[probePhase] < 1 && s.bytesInFlight <= bdp();
            if (elapsed || drained) {
                probePhase = (probePhase + 1) % PROBE_GAINS.length;
                phaseStartNs = s.nowNs;
            }
        }
    }

    private void decide(final long smoothedRttNs, final long bytesInFlight, final CongestionDecision out) {
        final double pacingGain = switch (mode) {
            case STARTUP -> HIGH_GAIN;
            case DRAIN -> 1 / HIGH_GAIN;
            case PROBE_BW -> PROBE_GAINS[probePhase];
        };
        final long window;
        final long pacing;
        if (bandwidth == 0 || minRttNs == 0) {
            // No estimate yet: the initial window per RTT, doubling like slow start.
            window = initialWindow;
            final long rttNs = smoothedRttNs > 0 ? smoothedRttNs : DEFAULT_ROUND_NS;
            pacing = (long)(HIGH_GAIN * initialWindow * 1_000_000_000L / rttNs);
        } else {
            final double windowGain = mode == Mode.PROBE_BW ? WINDOW_GAIN : HIGH_GAIN;
            final long aggregation = bandwidth * ackAggregationNs / 1_000_000_000L;
            window = Math.clamp((long)(windowGain * bdp()) + aggregation, (long)WORKING_WINDOW_SEGMENTS * segment,
                maxWindowBytes);
            pacing = Math.max(segment, (long)(pacingGain * bandwidth));
        }
        out.windowBytes = window;
        out.pacingBytesPerSecond = pacing;
        out.burstBytes = Math.max(2L * segment, pacing * BURST_NS / 1_000_000_000L);
    }

    /** The bandwidth-delay product, in bytes (0 before the first estimate). */
    long bdp() {
        return bandwidth * minRttNs / 1_000_000_000L;
    }

    /** The bottleneck rate estimate, in bytes per second (0 before the first round). */
    public long bandwidthBytesPerSecond() {
        return bandwidth;
    }

    /** Whether STARTUP is over. */
    public boolean filledPipe() {
        return mode != Mode.STARTUP;
    }

    @Override
    public String toString() {
        return "mode=" + mode + " bw=" + bandwidth + " phase=" + probePhase + " minRtt=" + minRttNs;
    }

    private long minWindow() {
        return (long)MIN_WINDOW_SEGMENTS * segment;
    }
}
