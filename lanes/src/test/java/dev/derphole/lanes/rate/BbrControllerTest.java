package dev.derphole.lanes.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rate-based controller against a fluid model of one bottleneck: every millisecond the link delivers what the
 * sender's pacing and window allow, up to its rate, and a seeded fraction of it is lost; each tick's delivery-rate
 * sample is what was delivered over the last round trip. ({@link BbrOnEmulatedWanTest} runs it packet by packet
 * over the lab's emulated link instead.)
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BbrControllerTest {
    private static final int SEGMENT = 1400;
    private static final long TICK_NS = 1_000_000L;
    private static final long RTT_NS = 40_000_000L;
    private static final long LINK = 25_000_000L; // 200 Mbit/s

    private final CongestionSample sample = new CongestionSample();
    private final CongestionDecision decision = new CongestionDecision();
    private long nowNs = 1_000_000_000L;
    /** Delivered bytes per tick over the last round trip (a ring), for the delivery-rate samples. */
    private final long[] deliveredPerTick = new long[(int)(RTT_NS / TICK_NS)];
    private long ticks;
    /** Data in flight the model reports, in BDPs of the link (0: what the model itself has in flight). */
    private double heldInFlightBdps;
    /** Congestion events the controller reported while {@link #run} ran. */
    private int congestionEvents;
    /** Sum of pacing rate / estimate over the ticks of the last run (for the average). */
    private double pacingToEstimate;

    /** Runs the model for {@code ms} ticks; returns the bytes delivered (acknowledged) in them. */
    private long run(final BbrController bbr, final long link, final double lossFraction, final int ms,
        final SplittableRandom random) {
        long delivered = 0;
        pacingToEstimate = 0;
        for (int i = 0; i < ms; i++) {
            nowNs += TICK_NS;
            // What the sender may put on the wire this tick, and what the link carries of it.
            final long windowPerTick = decision.windowBytes * TICK_NS / RTT_NS;
            final long pacedPerTick = decision.pacingBytesPerSecond * TICK_NS / 1_000_000_000L;
            final long offered = Math.min(windowPerTick, pacedPerTick);
            final long carried = Math.min(offered, link * TICK_NS / 1_000_000_000L);
            long lost = 0;
            for (long b = 0; b < carried; b += SEGMENT) {
                if (random.nextDouble() < lossFraction) {
                    lost += SEGMENT;
                }
            }
            sample.clearEvents();
            sample.nowNs = nowNs;
            sample.ackedBytes = carried - lost;
            sample.lostBytes = lost;
            deliveredPerTick[(int)(ticks++ % deliveredPerTick.length)] = carried - lost;
            if (ticks >= deliveredPerTick.length) {
                long lastRoundTrip = 0;
                for (final long d : deliveredPerTick) {
                    lastRoundTrip += d;
                }
                sample.deliveredBytes = lastRoundTrip;
                sample.deliveryIntervalNs = RTT_NS;
            }
            sample.smoothedRttNs = RTT_NS;
            sample.latestRttNs = RTT_NS;
            sample.minRttNs = RTT_NS;
            sample.bytesInFlight = heldInFlightBdps > 0 ? (long)(heldInFlightBdps * LINK * RTT_NS / 1_000_000_000L)
                : Math.min(decision.windowBytes, carried * RTT_NS / TICK_NS);
            sample.appLimited = false;
            bbr.update(sample, decision);
            if (decision.congestionEvent) {
                congestionEvents++;
            }
            pacingToEstimate += (double)decision.pacingBytesPerSecond / Math.max(1, bbr.bandwidthBytesPerSecond());
            delivered += carried - lost;
        }
        return delivered;
    }

    private BbrController started() {
        java.util.Arrays.fill(deliveredPerTick, 0);
        ticks = 0;
        final BbrController bbr = new BbrController(1 << 30, 2_000_000L);
        bbr.reset(SEGMENT, 10L * SEGMENT, decision);
        return bbr;
    }

    @Test
    void shouldFindTheBottleneckRateAndLeaveStartup() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 2_000, new SplittableRandom(1));
        assertThat(bbr.filledPipe()).isTrue();
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.9 * LINK), (long)(1.1 * LINK));
        // Steady state: the link is kept busy (the 0.75 phase gives back what the 1.25 phase queued).
        final long delivered = run(bbr, LINK, 0, 4_000, new SplittableRandom(2));
        assertThat((double)delivered / (LINK * 4)).isGreaterThan(0.9);
        // The window holds about two bandwidth-delay products (plus the ACK-delay allowance), not more.
        assertThat(decision.windowBytes).isBetween(LINK * RTT_NS / 1_000_000_000L, 3 * LINK * RTT_NS / 1_000_000_000L);
    }

    @Test
    void shouldKeepTheRateUnderRandomLoss() {
        for (final double loss : new double[] {0.01, 0.03}) {
            final BbrController bbr = started();
            run(bbr, LINK, loss, 2_000, new SplittableRandom(3));
            final long delivered = run(bbr, LINK, loss, 4_000, new SplittableRandom(4));
            assertThat((double)delivered / (LINK * 4)).as("goodput at %.0f%% loss", 100 * loss)
                .isGreaterThan(0.9 * (1 - loss));
            assertThat(decision.congestionEvent).isFalse();
        }
    }

    @Test
    void shouldFollowTheRateDownWhenALinkLosesHeavily() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 2_000, new SplittableRandom(5));
        assertThat(bbr.bandwidthBytesPerSecond()).isGreaterThan(LINK / 2);
        // A policer now drops 40 %: a round like that is congestion, and the estimate follows the delivered rate.
        run(bbr, LINK, 0.4, 200, new SplittableRandom(6));
        assertThat(bbr.bandwidthBytesPerSecond()).isLessThan((long)(0.8 * LINK));
    }

    @Test
    void shouldFollowALinkThatGetsSlowerWithinTheFilterWindow() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 2_000, new SplittableRandom(7));
        // The bottleneck halves; after the max-filter's rounds the old rate is forgotten.
        run(bbr, LINK / 2, 0, 3_000, new SplittableRandom(8));
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.4 * LINK), (long)(0.6 * LINK));
    }

    @Test
    void shouldStartOverAfterPersistentCongestion() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 2_000, new SplittableRandom(9));
        sample.clearEvents();
        sample.nowNs = nowNs;
        sample.rto = true;
        sample.consecutiveTimeouts = 2;
        bbr.update(sample, decision);
        assertThat(decision.congestionEvent).isTrue();
        assertThat(bbr.filledPipe()).isFalse();
        assertThat(bbr.bandwidthBytesPerSecond()).isZero();
        assertThat(decision.windowBytes).isEqualTo(4L * SEGMENT);
    }

    @Test
    void shouldNotLeaveStartupForLossesOfPacketsSentBeforeItStarted() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 1, new SplittableRandom(10));
        // The previous path's packets in flight at the switch are declared lost now: a lot, sent earlier.
        sample.clearEvents();
        sample.nowNs = nowNs + 50_000_000L;
        sample.ackedBytes = SEGMENT;
        sample.lostBytes = 500L * SEGMENT;
        sample.largestLostSentNs = nowNs - 100_000_000L;
        bbr.update(sample, decision);
        assertThat(bbr.filledPipe()).isFalse();
        assertThat(decision.congestionEvent).isFalse();
        // The same losses of packets sent since it started end STARTUP: the queue overflowed.
        sample.clearEvents();
        sample.nowNs += 50_000_000L;
        sample.ackedBytes = SEGMENT;
        sample.lostBytes = 500L * SEGMENT;
        sample.largestLostSentNs = sample.nowNs - 1_000_000L;
        bbr.update(sample, decision);
        assertThat(bbr.filledPipe()).isTrue();
    }

    @Test
    void shouldStartOverWhenStartupEndedBelowTheRateThePathHas() {
        final BbrController bbr = started();
        // A path (or a busy CPU) that delivers 2 MB/s makes STARTUP end there; then 25 MB/s become possible.
        run(bbr, LINK / 12, 0, 1_000, new SplittableRandom(11));
        assertThat(bbr.filledPipe()).isTrue();
        assertThat(bbr.bandwidthBytesPerSecond()).isLessThan(LINK / 10);
        int ms = 0;
        while (bbr.bandwidthBytesPerSecond() < 0.9 * LINK && ms < 5_000) {
            run(bbr, LINK, 0, 10, new SplittableRandom(12 + ms));
            ms += 10;
        }
        // STARTUP again: 150 ms; climbing by the probing cycle's quarter and the cruising gain: 480 ms.
        assertThat(ms).as("ms to reach 90 %% of the new rate").isLessThan(300);
    }

    @Test
    void shouldNotCutTheEstimateForLossesStartupCausedBeforeItEnded() {
        final long startedNs = nowNs;
        final BbrController bbr = started();
        run(bbr, LINK, 0, 2_000, new SplittableRandom(13));
        final long estimate = bbr.bandwidthBytesPerSecond();
        // STARTUP's overshoot into the queue is found lost now: half of a round's bytes, all sent in STARTUP.
        congestionEvents = 0;
        sample.clearEvents();
        sample.nowNs = nowNs;
        sample.lostBytes = LINK * RTT_NS / 1_000_000_000L;
        sample.largestLostSentNs = startedNs + 100_000_000L;
        bbr.update(sample, decision);
        run(bbr, LINK, 0, 100, new SplittableRandom(14));
        assertThat(congestionEvents).isZero();
        assertThat(bbr.bandwidthBytesPerSecond()).isGreaterThanOrEqualTo((long)(0.95 * estimate));
        // The same loss among packets sent now is congestion.
        sample.clearEvents();
        sample.nowNs = nowNs;
        sample.lostBytes = LINK * RTT_NS / 1_000_000_000L;
        sample.largestLostSentNs = nowNs - 1_000_000L;
        bbr.update(sample, decision);
        run(bbr, LINK, 0, 100, new SplittableRandom(15));
        assertThat(congestionEvents).isEqualTo(1);
    }

    @Test
    void shouldKeepItsEstimateWhenThePathMtuIsMeasured() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 150, new SplittableRandom(18));
        final long midStartup = bbr.bandwidthBytesPerSecond();
        assertThat(bbr.filledPipe()).isFalse();
        assertThat(midStartup).isPositive();
        // The promoted path's MTU probes come back: 1,400-byte datagrams become 1,452-byte ones.
        final int larger = SEGMENT + 52;
        bbr.resize(larger, 10L * larger, decision);
        assertThat(bbr.bandwidthBytesPerSecond()).isEqualTo(midStartup);
        assertThat(bbr.filledPipe()).isFalse();
        assertThat(decision.pacingBytesPerSecond).as("STARTUP's pace from the estimate, not the initial window")
            .isGreaterThan(2 * midStartup);
        assertThat(decision.windowBytes).isGreaterThan(10L * larger);
        run(bbr, LINK, 0, 2_000, new SplittableRandom(19));
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.9 * LINK), (long)(1.1 * LINK));
        // Without an estimate there is nothing to keep: the initial window in the new datagrams.
        final BbrController fresh = started();
        fresh.resize(larger, 10L * larger, decision);
        assertThat(decision.windowBytes).isEqualTo(10L * larger);
    }

    @Test
    void shouldNeverPaceStartupBelowWhereItBegan() {
        final BbrController bbr = started();
        // Where STARTUP begins once the RTT is known: the initial window, 2.885 times per round trip.
        final long initialPacing = (long)(BbrController.HIGH_GAIN * 10 * SEGMENT * 1_000_000_000L / RTT_NS);
        final long initialWindow = decision.windowBytes;
        // The first flight was dropped; the one retransmitted datagram is acknowledged 200 ms after it left.
        sample.clearEvents();
        nowNs += RTT_NS;
        sample.nowNs = nowNs;
        sample.ackedBytes = SEGMENT;
        sample.deliveredBytes = SEGMENT;
        sample.deliveryIntervalNs = 5 * RTT_NS;
        sample.smoothedRttNs = RTT_NS;
        sample.latestRttNs = RTT_NS;
        sample.minRttNs = RTT_NS;
        sample.bytesInFlight = 0;
        bbr.update(sample, decision);

        assertThat(bbr.bandwidthBytesPerSecond()).as("the sample counts").isPositive().isLessThan(10_000);
        assertThat(decision.pacingBytesPerSecond).isGreaterThanOrEqualTo(initialPacing);
        assertThat(decision.windowBytes).isGreaterThanOrEqualTo(initialWindow);
        run(bbr, LINK, 0, 2_000, new SplittableRandom(20));
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.9 * LINK), (long)(1.1 * LINK));
    }

    @Test
    void shouldPaceDatagramBytesWhileTheEstimateCountsPayload() {
        final BbrController bbr = started();
        run(bbr, LINK, 0, 2_000, new SplittableRandom(16));
        // Data in flight held inside the cruising band: over whole probing cycles (8 RTTs: 1.25, 0.75, 6 x 1) the
        // pacing rate averages the estimate plus the per-datagram overhead, not the bare estimate.
        heldInFlightBdps = 1 + 1.5 * BbrController.CRUISE_QUEUE;
        final int ticksRun = (int)(10 * 8 * RTT_NS / TICK_NS);
        run(bbr, LINK, 0, ticksRun, new SplittableRandom(17));
        heldInFlightBdps = 0;
        final double overhead = (double)(SEGMENT + dev.derphole.lanes.wire.WireFormat.DATA_OVERHEAD) / SEGMENT;
        assertThat(pacingToEstimate / ticksRun).isCloseTo(overhead, org.assertj.core.data.Offset.offset(0.005));
    }

    @Test
    void shouldSendTheFirstFlightAsOneBurst() {
        started();
        assertThat(decision.burstBytes).as("the initial window leaves at once").isEqualTo(10L * SEGMENT);
    }

    /** One ACK of the first flight that completes its packet train: {@code bytes} over {@code intervalNs}. */
    private void trainAck(final BbrController bbr, final long bytes, final long intervalNs, final long firstRttNs) {
        sample.clearEvents();
        nowNs += RTT_NS;
        sample.nowNs = nowNs;
        sample.ackedBytes = 10L * SEGMENT;
        sample.deliveredBytes = 10L * SEGMENT;
        sample.deliveryIntervalNs = RTT_NS + intervalNs;
        sample.trainBytes = bytes;
        sample.trainIntervalNs = intervalNs;
        sample.trainFirstRttNs = firstRttNs;
        sample.smoothedRttNs = RTT_NS;
        sample.latestRttNs = RTT_NS;
        sample.minRttNs = RTT_NS;
        sample.bytesInFlight = 0;
        bbr.update(sample, decision);
    }

    @Test
    void shouldStartFromHalfTheRateTheFirstFlightsTrainMeasured() {
        final BbrController bbr = started();
        // 40 segments 2.24 ms apart end to end: the 25 MB/s bottleneck.
        final long interval = 40L * SEGMENT * 1_000_000_000L / LINK;
        trainAck(bbr, 40L * SEGMENT, interval, RTT_NS);
        assertThat(bbr.filledPipe()).isFalse();
        // A floor under STARTUP's pacing (half the train's rate), not an estimate; the window is two BDPs of the
        // train's whole rate, so late ACKs do not stop the sender at one BDP of the link.
        assertThat(bbr.bandwidthBytesPerSecond()).isLessThan(LINK / 10);
        assertThat((double)decision.pacingBytesPerSecond).isGreaterThan(BbrController.HIGH_GAIN * LINK / 2);
        assertThat((double)decision.windowBytes).isCloseTo(2.0 * LINK * RTT_NS / 1e9,
            org.assertj.core.data.Offset.offset(0.1 * LINK * RTT_NS / 1e9));
        assertThat(bbr.toString()).contains("train=" + 40L * SEGMENT * 1_000_000_000L / interval);
        // STARTUP goes on from there and finds the rest.
        run(bbr, LINK, 0, 1_000, new SplittableRandom(30));
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.9 * LINK), (long)(1.1 * LINK));
    }

    @Test
    void shouldNotTakeTheRoundAfterTheTrainForAFullPipe() {
        final BbrController bbr = started();
        trainAck(bbr, 40L * SEGMENT, 40L * SEGMENT * 1_000_000_000L / LINK, RTT_NS);
        // The rounds after: the burst's queue and a busy host make every RTT 10 ms longer, while the delivery rate
        // doubles per round towards the floor the train set. That is not a full pipe.
        for (int i = 1; i <= 40; i++) {
            sample.clearEvents();
            nowNs += RTT_NS / 10;
            sample.nowNs = nowNs;
            sample.ackedBytes = 20L * SEGMENT;
            sample.deliveredBytes = (long)(LINK / 20.0 * Math.pow(1.06, i) * RTT_NS / 1e9);
            sample.deliveryIntervalNs = RTT_NS;
            sample.smoothedRttNs = RTT_NS + 10_000_000L;
            sample.latestRttNs = RTT_NS + 10_000_000L;
            sample.minRttNs = RTT_NS;
            sample.bytesInFlight = decision.windowBytes / 2;
            bbr.update(sample, decision);
        }
        assertThat(bbr.filledPipe()).as(bbr.toString()).isFalse();
        run(bbr, LINK, 0, 1_000, new SplittableRandom(32));
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.9 * LINK), (long)(1.1 * LINK));
    }

    @Test
    void shouldNotLetATrainThatReadFarTooHighHoldStartupOpen() {
        final BbrController bbr = started();
        // The train read four times the link (ACKs bunched on the way back): the floor is twice what the link does,
        // so the measured rate never reaches it; the floor must go after a few rounds and STARTUP end as usual.
        trainAck(bbr, 200L * SEGMENT, 200L * SEGMENT * 1_000_000_000L / (4 * LINK), RTT_NS);
        assertThat((double)decision.pacingBytesPerSecond).isGreaterThan(BbrController.HIGH_GAIN * 2 * LINK);
        run(bbr, LINK, 0, (int)((BbrController.TRAIN_FLOOR_ROUNDS + 6) * RTT_NS / TICK_NS), new SplittableRandom(33));
        assertThat(bbr.filledPipe()).as(bbr.toString()).isTrue();
        run(bbr, LINK, 0, 1_000, new SplittableRandom(34));
        assertThat(bbr.bandwidthBytesPerSecond()).isBetween((long)(0.9 * LINK), (long)(1.1 * LINK));
        assertThat((double)decision.pacingBytesPerSecond).isLessThan(1.3 * LINK);
    }

    @Test
    void shouldNotUseATrainTooShortToTimeOrOneTheReceiverHeldBack() {
        final long fast = 40L * SEGMENT * 1_000_000_000L / LINK;
        // Shorter than a millisecond: at the mercy of when the ACKs were processed.
        final BbrController tooShort = started();
        trainAck(tooShort, 8L * SEGMENT, 8L * SEGMENT * 1_000_000_000L / LINK, RTT_NS);
        assertThat(tooShort.bandwidthBytesPerSecond()).isLessThan(LINK / 10);
        assertThat(tooShort.toString()).contains("(unused)");
        // Too few segments.
        final BbrController tooFew = started();
        trainAck(tooFew, 8L * SEGMENT, 2 * fast, RTT_NS);
        assertThat(tooFew.bandwidthBytesPerSecond()).isLessThan(LINK / 10);
        // The first ACK came back 30 ms later than the path's RTT: the receiver held the flight and acknowledged it
        // in one bunch, so the spacing is its own, not the bottleneck's.
        final BbrController held = started();
        trainAck(held, 40L * SEGMENT, fast, RTT_NS + 30_000_000L);
        assertThat(held.bandwidthBytesPerSecond()).isLessThan(LINK / 10);
    }

    @Test
    void shouldIgnoreATrainOnceStartupIsOver() {
        final BbrController bbr = started();
        run(bbr, LINK / 4, 0, 2_000, new SplittableRandom(31));
        assertThat(bbr.filledPipe()).isTrue();
        final long before = bbr.bandwidthBytesPerSecond();
        trainAck(bbr, 40L * SEGMENT, 40L * SEGMENT * 1_000_000_000L / (4 * LINK), RTT_NS);
        assertThat(bbr.bandwidthBytesPerSecond()).isEqualTo(before);
    }
}
