package dev.derphole.lanes.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rate-based controller against a fluid model of one bottleneck: every millisecond the link delivers what the
 * sender's pacing and window allow, up to its rate, and a seeded fraction of it is lost.
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

    /** Runs the model for {@code ms} ticks; returns the bytes delivered (acknowledged) in them. */
    private long run(final BbrController bbr, final long link, final double lossFraction, final int ms,
        final SplittableRandom random) {
        long delivered = 0;
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
            sample.smoothedRttNs = RTT_NS;
            sample.minRttNs = RTT_NS;
            sample.bytesInFlight = Math.min(decision.windowBytes, carried * RTT_NS / TICK_NS);
            sample.appLimited = false;
            bbr.update(sample, decision);
            delivered += carried - lost;
        }
        return delivered;
    }

    private BbrController started() {
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
}
