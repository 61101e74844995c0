package dev.derphole.lanes.rate;

import dev.derphole.lanes.wire.WireFormat;

/**
 * Rate-based congestion control after BBR (Cardwell et al., "BBR: Congestion-Based Congestion Control", 2016):
 * the sender measures the path's delivery rate and minimum round-trip time and paces at the bottleneck rate,
 * with a window of two bandwidth-delay products. Random loss does not slow it down (it costs only repair), which
 * is why the direct UDP path uses it: loss-based control collapses at a few percent of random loss (measured:
 * CUBIC with a 2 % tolerance kept 2.4 % of a 200 Mbit/s, 40 ms link at 3 % loss).
 * <p>
 * <b>Measurement.</b> Every ACK brings a delivery-rate sample (the scoreboard's: bytes delivered over the longer
 * of the send and the ACK interval of the newest packet it acknowledged, about one round trip), so ACKs that
 * arrive bunched cannot read as more than the sender sent; samples over less than the minimum RTT are ignored.
 * The bottleneck rate is the largest sample of the last {@link #BANDWIDTH_WINDOW_ROUNDS} rounds (a round is one
 * smoothed RTT), updated on every sample; a sample from a round in which the sender was application-limited
 * only counts when it raises the estimate. The minimum RTT comes from the sender's RTT estimator.
 * <p>
 * <b>First flight.</b> Those samples span a round trip, so from an initial window STARTUP needs four or five doublings
 * to find a 200 Mbit/s, 40 ms path (~0.45 s of a promotion in the WAN lab, whose loaded machine stretches the samples
 * to ~1.4 rounds per doubling). So the initial window leaves as one burst, and the spacing of its ACKs (the
 * scoreboard's packet train: the bottleneck's rate, or the sender's if that was slower) starts STARTUP at
 * {@link #TRAIN_SHARE} of that rate: half, because the bottleneck may carry other traffic. STARTUP then finds the rest
 * in a round or two. The window meanwhile is two BDPs of the train's whole rate: two of half would be one BDP of the
 * link, where the sender stopped while a busy receiver's ACKs came late (the WAN lab: 5+5 runs of 256 MiB at 1 %,
 * medians 11.654 -> 11.608 s). The train is a floor under STARTUP's pacing and window, as the initial window is, not a
 * sample of the estimate: an estimate that jumped would stop "growing" the next round, and STARTUP would take the
 * longer RTTs of that round (the burst's queue, a busy host) for a full pipe and cruise at half the rate (seen in the
 * WAN lab: 0.4 s at 10.8 of 25 MB/s). For the same reason STARTUP does not end on delay or flat growth while the
 * measured rate is still below the floor: its samples span the idle start for two rounds or so (in the lab they read 9
 * MB/s of a 25 MB/s link 0.15 s after the train), and a train that read a little high queues a little. The floor goes
 * once the measured rate reaches it, or after {@link #TRAIN_FLOOR_ROUNDS} rounds, so a train that read far too high
 * cannot hold STARTUP open; STARTUP's loss exit stays armed throughout. A train shorter than {@link #TRAIN_MIN_NS} or
 * {@link #TRAIN_MIN_SEGMENTS} (a fast path: too little to time), or whose first ACK came back later than the path's RTT
 * allows (a receiver without arrival stamps that held the flight and acknowledged it in one bunch), is not used.
 * <p>
 * <b>Modes.</b> STARTUP paces at {@link #HIGH_GAIN} x the estimate with a window of two BDPs (as BBRv3: that
 * still doubles the rate per round trip, and caps the overshoot into the bottleneck's queue at one BDP) until
 * the estimate stops growing by 25 % for three rounds, a round loses more than {@link #STARTUP_LOSS_LIMIT} of
 * its bytes, or, with the growth gone, {@link #STARTUP_QUEUE_SAMPLES} RTT samples of a round all exceed the
 * minimum by a few ms (HyStart++'s delay signal): a queue is building. DRAIN paces at the inverse gain until
 * the data in flight fits one BDP. PROBE_BW cycles the pacing gain through 1.25, 0.75 and six cruising phases,
 * one minimum RTT each. If the estimate later grows by a quarter over where STARTUP ended, STARTUP ended early
 * (a busy CPU looks like a full pipe: flat delivery, long RTTs) or the path got faster: it starts again, rather
 * than climbing a quarter per probing cycle. There is no PROBE_RTT: the minimum RTT is kept until the path
 * changes.
 * <p>
 * <b>Cruising keeps a small queue.</b> BBR cruises at exactly the estimate, so the bottleneck idles whenever
 * the sender does not keep up for a moment (a descheduled thread, a burst of ACKs processed late) and for the
 * share of packets lost before the bottleneck. Instead the cruising phases steer the data in flight into a band
 * of {@link #CRUISE_QUEUE} to twice that many BDPs above one BDP: {@link #CRUISE_UP_GAIN} below it,
 * {@link #CRUISE_DOWN_GAIN} above it, 1 within. The bottleneck then always has a few ms of queue to serve from,
 * random loss is made up for (sending faster until the data in flight is back in the band), and an estimate a
 * few percent too high (the max-filter keeps the noisiest sample) cannot build a standing queue that overflows.
 * The 0.75 phase ends once the data in flight is back at the band's lower edge.
 * <p>
 * <b>Pacing</b> counts datagram bytes, the estimate payload bytes: the pacing rate adds the
 * {@link WireFormat#DATA_OVERHEAD} bytes of each segment (1.6 % of a 1,472-byte datagram), or the sender would
 * send 1.6 % below the rate it measured.
 * <p>
 * <b>Loss.</b> A round that loses more than {@link #HEAVY_LOSS} of its bytes is not random loss but a policer
 * or an overflowing queue: the estimate is cut to {@link #HEAVY_LOSS_BACKOFF} of itself (at least what that round
 * delivered). Losses declared by a probe timeout, losses of packets sent before this controller started, and
 * STARTUP's overshoot (packets sent in STARTUP found lost after it) do not count towards it. Two retransmission
 * timeouts in a row (persistent congestion) start over from STARTUP with a minimal window. The loss rate of
 * cruising rounds with little queue is averaged for diagnostics ({@link #toString()}).
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation.
 */
public final class BbrController implements CongestionControl {
    /** STARTUP gain, 2 / ln 2: the smallest that doubles the delivery rate each round trip. */
    static final double HIGH_GAIN = 2.885;
    /** Share of the first flight's train rate STARTUP starts from (see the class comment). */
    static final double TRAIN_SHARE = 0.5;
    /** Shortest train interval used, in ns: a shorter one is at the mercy of when the ACKs were processed. */
    static final long TRAIN_MIN_NS = 1_000_000L;
    /** Rounds the train's floor lasts at most. */
    static final int TRAIN_FLOOR_ROUNDS = 8;
    /** Fewest segments a train must have timed. */
    private static final int TRAIN_MIN_SEGMENTS = 16;
    /** Window gain, in bandwidth-delay products. */
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
    /**
     * Queueing delay that ends STARTUP, in ns: RTT samples all above the minimum by this much (or by
     * {@link #STARTUP_QUEUE_FRACTION} of the minimum, whichever is more, up to {@link #STARTUP_QUEUE_NS_MAX}) show
     * a standing queue (HyStart++'s bounds).
     */
    static final long STARTUP_QUEUE_NS_MIN = 4_000_000L;
    private static final long STARTUP_QUEUE_NS_MAX = 16_000_000L;
    private static final double STARTUP_QUEUE_FRACTION = 0.125;
    /** RTT samples of a round that must all show the queue before STARTUP ends on delay. */
    private static final int STARTUP_QUEUE_SAMPLES = 8;
    /** Fraction of a round's bytes lost that cuts the estimate to the round's delivery rate. */
    static final double HEAVY_LOSS = 0.20;
    /** Factor the estimate is cut by after a heavily losing round. */
    static final double HEAVY_LOSS_BACKOFF = 0.7;
    /** Weight of one round in the (diagnostic) loss average. */
    private static final double LOSS_AVERAGE_WEIGHT = 1.0 / 16;
    /** Segments a round must carry before its loss fraction enters the average. */
    private static final long LOSS_AVERAGE_MIN_SEGMENTS = 64;
    /** Shortest measurement round, in ns (very short RTTs, e.g. loopback). */
    static final long MIN_ROUND_NS = 1_000_000L;
    /** Round length while no RTT is known, in ns. */
    private static final long DEFAULT_ROUND_NS = 10_000_000L;
    /** Window floor after persistent congestion, in segments. */
    private static final int MIN_WINDOW_SEGMENTS = 4;
    /** Window floor otherwise, in segments: acknowledgements come in batches, not per packet. */
    private static final int WORKING_WINDOW_SEGMENTS = 16;
    /**
     * Shortest burst the pacer may send at once, in ns of the pacing rate (and at least two segments). Once the
     * minimum RTT is known the burst is the cruising queue's lower edge instead ({@link #CRUISE_QUEUE} of it), if
     * that is longer: see {@link #burstNs()}.
     */
    private static final long MIN_BURST_NS = 1_000_000L;
    /**
     * Queue the cruising phases keep at the bottleneck, in BDPs above one BDP in flight (the band's lower edge;
     * the upper one is twice as far): 6 ms at 40 ms RTT, enough to cover a sender that stalls for a few ms.
     */
    static final double CRUISE_QUEUE = 0.15;
    /** Cruising pacing gain below the band: makes up for up to ~5 % random loss and refills the queue. */
    static final double CRUISE_UP_GAIN = 1.05;
    /** Cruising pacing gain above the band: drains what an estimate a little too high queued. */
    static final double CRUISE_DOWN_GAIN = 0.9;

    private enum Mode {
        STARTUP, DRAIN, PROBE_BW
    }

    private final long maxWindowBytes;
    private final long ackAggregationNs;
    private final long[] bandwidthByRound = new long[BANDWIDTH_WINDOW_ROUNDS];
    private int segment = 1;
    private double overheadFactor = 1;
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
    private long roundMinRttNs;
    private int roundRttSamples;
    private long startupEndNs;
    /** Why STARTUP ended, and how often it started again (diagnostics). */
    private String startupExit = "";
    private int restarts;
    /** The first flight's train rate in bytes per second (0 = none yet), and whether STARTUP used it (diagnostics). */
    private long trainRate;
    private long trainFirstRttNs;
    private boolean trainUsed;
    /** STARTUP's floor from the train, in bytes per second (0 = none; cleared when STARTUP first ends). */
    private long trainFloor;
    private int trainFloorRounds;
    private long epochStartNs;
    private int probePhase;
    private long phaseStartNs;
    private long minRttNs;
    private double lossRate;
    /** Data in flight at the last sample (a resize decides between samples). */
    private long lastBytesInFlight;

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
        overheadFactor = (double)(segment + WireFormat.DATA_OVERHEAD) / segment;
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
        roundMinRttNs = Long.MAX_VALUE;
        roundRttSamples = 0;
        startupEndNs = 0;
        startupExit = "";
        restarts = 0;
        trainRate = 0;
        trainFirstRttNs = 0;
        trainUsed = false;
        trainFloor = 0;
        trainFloorRounds = 0;
        epochStartNs = 0;
        probePhase = 0;
        phaseStartNs = 0;
        minRttNs = 0;
        lossRate = 0;
        lastBytesInFlight = 0;
        decide(0, 0, out);
        out.congestionEvent = false;
    }

    /**
     * Keeps the estimate, the minimum RTT and the mode: the rate is in bytes per second whatever the datagrams'
     * size. Starting over instead cost the WAN lab a second STARTUP from the initial window ~0.2 s after every
     * promotion, when the path MTU probes came back. Before any estimate it is {@link #reset}.
     */
    @Override
    public void resize(final int segmentBytes, final long initialWindowBytes, final CongestionDecision out) {
        if (bandwidth == 0 || minRttNs == 0) {
            reset(segmentBytes, initialWindowBytes, out);
            return;
        }
        segment = Math.max(1, segmentBytes);
        overheadFactor = (double)(segment + WireFormat.DATA_OVERHEAD) / segment;
        initialWindow = Math.clamp(initialWindowBytes, minWindow(), maxWindowBytes);
        decide(0, lastBytesInFlight, out);
        out.congestionEvent = false;
    }

    @Override
    public void update(final CongestionSample s, final CongestionDecision out) {
        out.congestionEvent = false;
        lastBytesInFlight = s.bytesInFlight;
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
            epochStartNs = s.nowNs;
        }
        sample(s);
        if (mode == Mode.STARTUP && s.trainBytes > 0) {
            trainSample(s);
        }
        roundAckedBytes += s.ackedBytes;
        if (s.latestRttNs > 0) {
            roundMinRttNs = Math.min(roundMinRttNs, s.latestRttNs);
            roundRttSamples++;
        }
        if (mode == Mode.STARTUP && queueBuilding()) {
            leaveStartup(s.nowNs, "delay");
        }
        // Lost before this controller started (the previous path's packets, or packets of the old size): they say
        // nothing about this path and must not end STARTUP before it has measured anything. Losses of packets
        // sent in STARTUP, found after it ended, are its overshoot into the queue, not a sign that the rate it
        // measured is too high: they must not cut the estimate (nor count as the path's random loss).
        final boolean earlier = s.largestLostSentNs >= 0 && s.largestLostSentNs - epochStartNs < 0;
        final boolean overshoot = mode != Mode.STARTUP && s.largestLostSentNs >= 0
            && s.largestLostSentNs - startupEndNs < 0;
        if (!s.rto && !earlier && !overshoot) {
            // A probe timeout declares everything in flight lost at once: that says the ACKs stopped, not how
            // much of the path's capacity was lost, so it must not look like a heavily losing round.
            roundLostBytes += s.lostBytes;
        }
        roundAppLimited |= s.appLimited;
        final long roundNs = Math.max(MIN_ROUND_NS, s.smoothedRttNs > 0 ? s.smoothedRttNs : DEFAULT_ROUND_NS);
        if (s.nowNs - roundStartNs >= roundNs) {
            endRound(s.nowNs, s.smoothedRttNs, out);
        }
        advanceMode(s);
        decide(s.smoothedRttNs, s.bytesInFlight, out);
    }

    /**
     * One delivery-rate sample: spans about a round trip and is bounded by the sender's own sending rate, so it is
     * taken as it is. Samples over less than the minimum RTT (a spurious retransmission acknowledged early) are not
     * a rate.
     */
    private void sample(final CongestionSample s) {
        if (s.deliveryIntervalNs <= 0 || s.deliveryIntervalNs < minRttNs) {
            return;
        }
        final long rate = s.deliveredBytes * 1_000_000_000L / s.deliveryIntervalNs;
        if (!s.appLimited || rate > bandwidth) {
            // The max-filter moves on every sample, so STARTUP's pacing follows the rate as it is measured
            // instead of jumping once per round.
            final int slot = (int)(round % BANDWIDTH_WINDOW_ROUNDS);
            bandwidthByRound[slot] = Math.max(bandwidthByRound[slot], rate);
            bandwidth = Math.max(bandwidth, rate);
        }
    }

    /** The first flight's packet train: STARTUP starts from a share of its rate (see the class comment). */
    private void trainSample(final CongestionSample s) {
        trainRate = s.trainIntervalNs <= 0 ? 0 : s.trainBytes * 1_000_000_000L / s.trainIntervalNs;
        trainFirstRttNs = s.trainFirstRttNs;
        if (s.trainIntervalNs < TRAIN_MIN_NS || s.trainBytes < (long)TRAIN_MIN_SEGMENTS * segment || minRttNs == 0
            || s.trainFirstRttNs > minRttNs + minRttNs / 2 + ackAggregationNs) {
            return;
        }
        trainUsed = true;
        trainFloor = (long)(TRAIN_SHARE * trainRate);
        trainFloorRounds = TRAIN_FLOOR_ROUNDS;
    }

    private void endRound(final long nowNs, final long smoothedRttNs, final CongestionDecision out) {
        final long elapsedNs = nowNs - roundStartNs;
        final long delivered = roundAckedBytes;
        final long rate = delivered * 1_000_000_000L / Math.max(1, elapsedNs);
        final long total = delivered + roundLostBytes;
        final double lossFraction = total == 0 ? 0 : (double)roundLostBytes / total;
        round++;
        final int slot = (int)(round % BANDWIDTH_WINDOW_ROUNDS);
        bandwidthByRound[slot] = 0;
        final boolean heavy = lossFraction > HEAVY_LOSS && total >= 4L * segment;
        if (heavy) {
            // A policer or a full queue, not random loss: back off multiplicatively (as BBRv2 does), never below
            // what this round delivered.
            java.util.Arrays.fill(bandwidthByRound, 0);
            bandwidthByRound[slot] = Math.max(rate, (long)(HEAVY_LOSS_BACKOFF * bandwidth));
            out.congestionEvent = true;
        } else if (mode == Mode.PROBE_BW && total >= LOSS_AVERAGE_MIN_SEGMENTS * segment
            && smoothedRttNs - minRttNs < minRttNs / 2) {
            // Rounds with little queue: their losses are the path's random loss, not an overflow.
            lossRate += LOSS_AVERAGE_WEIGHT * (lossFraction - lossRate);
        }
        long max = 0;
        for (final long b : bandwidthByRound) {
            max = Math.max(max, b);
        }
        bandwidth = max;
        if (mode == Mode.PROBE_BW && bandwidth >= fullBandwidth * FULL_BANDWIDTH_GROWTH) {
            // The rate grew by a quarter since STARTUP ended: it ended early (a busy CPU looks like a full pipe:
            // no growth and long RTTs), or the path got faster. Find the rate at STARTUP's pace again instead of
            // a quarter per probing cycle.
            mode = Mode.STARTUP;
            restarts++;
            roundsWithoutGrowth = 0;
            fullBandwidth = bandwidth;
        } else if (mode == Mode.STARTUP) {
            if (trainFloor > 0 && (bandwidth >= trainFloor || --trainFloorRounds <= 0)) {
                trainFloor = 0;
            }
            if (bandwidth >= fullBandwidth * FULL_BANDWIDTH_GROWTH) {
                fullBandwidth = bandwidth;
                roundsWithoutGrowth = 0;
            } else if (!roundAppLimited && bandwidth >= trainFloor) {
                roundsWithoutGrowth++;
            }
            if (roundsWithoutGrowth >= FULL_BANDWIDTH_ROUNDS) {
                leaveStartup(nowNs, "flat");
            } else if (lossFraction > STARTUP_LOSS_LIMIT && total >= STARTUP_LOSS_MIN_SEGMENTS * segment) {
                leaveStartup(nowNs, "loss");
            }
        }
        roundStartNs = nowNs;
        roundAckedBytes = 0;
        roundLostBytes = 0;
        roundAppLimited = false;
        roundMinRttNs = Long.MAX_VALUE;
        roundRttSamples = 0;
    }

    /**
     * HyStart++-style delay check, on every ACK rather than at the end of a round: once
     * {@link #STARTUP_QUEUE_SAMPLES} RTT samples of this round all exceed the minimum by the threshold, a queue has
     * been building for that long and STARTUP ends now. At 2.885 x the rate a queue of one bandwidth-delay product
     * fills in half a round trip, so waiting for the round to end overflows it.
     */
    private boolean queueBuilding() {
        if (minRttNs == 0 || bandwidth == 0 || roundRttSamples < STARTUP_QUEUE_SAMPLES
            || bandwidth >= fullBandwidth * FULL_BANDWIDTH_GROWTH || bandwidth < trainFloor) {
            // Still growing by a quarter per round: longer RTTs with a growing delivery rate are a sender or
            // receiver falling behind (a busy CPU), not a queue at the bottleneck.
            return false;
        }
        final long queueNs = Math.clamp((long)(STARTUP_QUEUE_FRACTION * minRttNs), STARTUP_QUEUE_NS_MIN,
            STARTUP_QUEUE_NS_MAX);
        return roundMinRttNs - minRttNs > queueNs;
    }

    private void leaveStartup(final long nowNs, final String why) {
        mode = Mode.DRAIN;
        trainFloor = 0;
        fullBandwidth = Math.max(fullBandwidth, bandwidth);
        startupEndNs = nowNs;
        startupExit = why;
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
            final boolean drained = PROBE_GAINS[probePhase] < 1
                && s.bytesInFlight <= (long)((1 + CRUISE_QUEUE) * bdp());
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
            case PROBE_BW -> PROBE_GAINS[probePhase] == 1 ? cruiseGain(bytesInFlight) : PROBE_GAINS[probePhase];
        };
        // STARTUP starts no lower than the first flight's train says (a floor, not an estimate: see the class comment).
        final long rate = mode == Mode.STARTUP ? Math.max(bandwidth, trainFloor) : bandwidth;
        if (rate == 0 || minRttNs == 0) {
            // No estimate yet: the initial window per RTT, doubling like slow start. It leaves as one burst: the
            // spacing of its ACKs is the first estimate (the scoreboard's packet train).
            final long rttNs = smoothedRttNs > 0 ? smoothedRttNs : DEFAULT_ROUND_NS;
            out.windowBytes = initialWindow;
            out.pacingBytesPerSecond = (long)(HIGH_GAIN * initialWindow * 1_000_000_000L / rttNs);
            out.burstBytes = initialWindow;
            return;
        }
        // Two BDPs in STARTUP too: BBRv1's 2.885 overflows a queue of one BDP by almost another. While the train's
        // floor holds, the window is two BDPs of the train's whole rate (the floor paces at half of it): two of the
        // floor are one BDP of the link, and with the ACKs of a busy receiver coming late the sender stopped there.
        final long windowRate = trainFloor > 0 && mode == Mode.STARTUP ? Math.max(rate, trainRate) : rate;
        final long aggregation = rate * ackAggregationNs / 1_000_000_000L;
        final long window = Math.clamp((long)(WINDOW_GAIN * bdpOf(windowRate)) + aggregation,
            (long)WORKING_WINDOW_SEGMENTS * segment, maxWindowBytes);
        final long pacing = Math.max(segment, (long)(pacingGain * rate * overheadFactor));
        out.windowBytes = window;
        out.pacingBytesPerSecond = pacing;
        if (mode == Mode.STARTUP) {
            // As Linux BBR, STARTUP never paces below where it began: one early sample taken across a dropped
            // first flight (a rate over the whole stall) read 6 KB/s in the WAN lab and held the sender at one
            // datagram per 70 ms until larger samples came back.
            final long rttNs = smoothedRttNs > 0 ? smoothedRttNs : minRttNs > 0 ? minRttNs : DEFAULT_ROUND_NS;
            out.windowBytes = Math.max(window, initialWindow);
            out.pacingBytesPerSecond = Math.max(pacing, (long)(HIGH_GAIN * initialWindow * 1_000_000_000L / rttNs));
        }
        out.burstBytes = Math.max(2L * segment, out.pacingBytesPerSecond * burstNs() / 1_000_000_000L);
    }

    /**
     * How far a late sender may catch up at once. A sender descheduled for a few ms (the WAN lab's loaded 2 vCPUs:
     * 5-20 ms now and then) lets the bottleneck's queue run down by that long; sending what it missed in one burst
     * refills the queue to where it was, so a burst as long as the queue the cruising phases keep anyway (0.15
     * RTT: 6 ms at 40 ms) adds no queue beyond the band. A 1 ms burst lost the rest of every longer stall: 92.5
     * instead of 96.0 % of the simulated link with 1 % loss and stalls of up to 8 ms every ~30 ms.
     */
    private long burstNs() {
        return Math.max(MIN_BURST_NS, (long)(CRUISE_QUEUE * minRttNs));
    }

    /** The cruising phases' gain: steers the data in flight into the band (see the class comment). */
    private double cruiseGain(final long bytesInFlight) {
        final long bdp = bdp();
        if (bytesInFlight < (long)((1 + CRUISE_QUEUE) * bdp)) {
            return CRUISE_UP_GAIN;
        }
        if (bytesInFlight > (long)((1 + 2 * CRUISE_QUEUE) * bdp)) {
            return CRUISE_DOWN_GAIN;
        }
        return 1;
    }

    /** The bandwidth-delay product, in bytes (0 before the first estimate). */
    long bdp() {
        return bdpOf(bandwidth);
    }

    private long bdpOf(final long rate) {
        return rate * minRttNs / 1_000_000_000L;
    }

    /** The bottleneck rate estimate, in bytes per second (0 before the first round). */
    public long bandwidthBytesPerSecond() {
        return bandwidth;
    }

    /** Whether STARTUP is over. */
    public boolean filledPipe() {
        return mode != Mode.STARTUP;
    }

    /** Average loss fraction of cruising rounds with little queue (diagnostics). */
    double lossRate() {
        return lossRate;
    }

    @Override
    public String toString() {
        return "mode=" + mode + (startupExit.isEmpty() ? "" : "(" + startupExit + "," + restarts + ")") + " bw="
            + bandwidth + " phase=" + probePhase + " minRtt=" + minRttNs + " loss="
            + Math.round(lossRate * 10_000) / 100.0 + "%" + (trainRate == 0 ? "" : " train=" + trainRate
            + (trainUsed ? "" : "(unused)") + "/" + trainFirstRttNs / 100_000 / 10.0 + "ms");
    }

    private long minWindow() {
        return (long)MIN_WINDOW_SEGMENTS * segment;
    }
}
