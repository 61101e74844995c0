package dev.derphole.lanes.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.wire.WireFormat;

/**
 * The rate-based controller with the real scoreboard, RTT estimator and pacer, packet by packet over the NAT lab's
 * emulated link ({@link WanSimulation}: 200 Mbit/s of IP bytes, 20 ms each way, a 1 MB tail-drop queue, random
 * loss in front of it), on a virtual clock, so the numbers are exact and repeatable. The stalls model a loaded
 * machine: the sender's and the receiver's threads stop for up to a few ms now and then, so ACKs arrive and are
 * processed in bunches, which is what made the previous estimator overshoot the link and overflow its queue.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BbrOnEmulatedWanTest {
    private static final long LINK = 25_000_000L;
    /** The best one datagram of the simulated size can do: its payload over its IP bytes. */
    private static final double CEILING = (double)WanSimulation.PAYLOAD
        / (WanSimulation.PAYLOAD + WireFormat.DATA_OVERHEAD + WanSimulation.IP_UDP_OVERHEAD);
    private static final long SECOND = 1_000_000_000L;

    private static WanSimulation.Config stalling(final double loss) {
        final WanSimulation.Config c = new WanSimulation.Config().loss(loss);
        c.stallEveryNs = 5_000_000L;
        c.maxStallNs = 1_000_000L;
        c.receiverStallEveryNs = 5_000_000L;
        c.receiverMaxStallNs = 1_000_000L;
        return c;
    }

    @ParameterizedTest(name = "{0}% loss")
    @ValueSource(doubles = {0, 1, 3})
    void shouldKeepTheLinkBusyWithoutOverflowingItsQueueWhenThreadsStall(final double lossPercent) {
        final double loss = lossPercent / 100;
        final WanSimulation sim = new WanSimulation(stalling(loss), new BbrController(32 << 20, 2_000_000L));
        sim.run(2 * SECOND);
        final WanSimulation.Result steady = sim.run(3 * SECOND);
        System.out.printf("stalling threads, %.0f%% loss: %.1f%% of the link (ceiling %.1f%%), %s%n", lossPercent,
            100 * steady.linkFraction(LINK), 100 * CEILING, steady);
        // The previous controller (per-RTT windows of ACKed bytes, BBRv1's gains): 702 and 186 queue drops at 0 and
        // 1 % loss, 93.4 % of the link at 3 %; with the new estimator but pacing at exactly the estimate: 313 drops
        // at 0 %.
        assertThat(steady.queueDrops).as("queue overflows").isZero();
        assertThat(steady.retransmittedFraction()).as("retransmitted").isLessThan(loss + 0.003);
        assertThat(steady.linkFraction(LINK)).as("share of the link").isGreaterThan(CEILING - 0.01);
    }

    /** Seconds 2-8 of a transfer whose sender (only) stalls about every {@code everyNs} for up to {@code maxNs}. */
    private static WanSimulation.Result steadyWithSenderStalls(final double lossPercent, final long everyNs,
        final long maxNs) {
        final WanSimulation.Config c = new WanSimulation.Config().loss(lossPercent / 100);
        c.stallEveryNs = everyNs;
        c.maxStallNs = maxNs;
        final WanSimulation sim = new WanSimulation(c, new BbrController(32 << 20, 2_000_000L));
        sim.run(2 * SECOND);
        return sim.run(6 * SECOND);
    }

    @ParameterizedTest(name = "{0}% loss")
    @ValueSource(doubles = {1, 3})
    void shouldMakeUpForRandomLossWhenTheSenderStalls(final double lossPercent) {
        // Only the sender stalls (3 ms now and then). Pacing at exactly the estimate leaves the link idle after each
        // stall and for the lost share of every cruising round: 94.1 and 92.2 % of the link (0.1 and 0.2 s idle in
        // 6 s). The previous controller kept it busy by overflowing its queue: 3,844 and 1,631 drops, 5.6 %
        // retransmitted.
        final WanSimulation.Result steady = steadyWithSenderStalls(lossPercent, 20_000_000L, 3_000_000L);
        System.out.printf("stalling sender, %.0f%% loss: %.2f%% of the link, %s%n", lossPercent,
            100 * steady.linkFraction(LINK), steady);
        assertThat(steady.queueDrops).as("queue overflows").isZero();
        assertThat(steady.linkFraction(LINK)).as("share of the link").isGreaterThan(CEILING - 0.01);
        assertThat(steady.congestionEvents).as("random loss is not congestion").isZero();
    }

    @ParameterizedTest(name = "{0}% loss")
    @ValueSource(doubles = {1, 3})
    void shouldCatchUpAfterStallsLongerThanAMillisecond(final double lossPercent) {
        // What the WAN lab's sender sees while two JVMs compile and wanem runs on 2 vCPUs: woken up to 5-20 ms late
        // now and then. With the pacer's burst at 1 ms of the rate, the rest of every longer stall was lost to the
        // link: 92.5 and 90.7 % of it (0.3 and 0.5 s idle in 6 s); a burst as long as the cruising queue makes it up.
        final WanSimulation.Result steady = steadyWithSenderStalls(lossPercent, 30_000_000L, 8_000_000L);
        System.out.printf("sender late by up to 8 ms, %.0f%% loss: %.2f%% of the link, %s%n", lossPercent,
            100 * steady.linkFraction(LINK), steady);
        assertThat(steady.queueDrops).as("queue overflows").isZero();
        assertThat(steady.linkFraction(LINK)).as("share of the link").isGreaterThan(CEILING - 0.012);
    }

    @ParameterizedTest(name = "{0}% loss")
    @ValueSource(doubles = {0, 1, 3})
    void shouldFillTheLinkSoonAfterAPromotion(final double lossPercent) {
        // A promoted direct path: its RTT known from the probe, the direct initial window. Deterministic: with the
        // relay's 10 datagrams the first second fell 0.26-0.29 s short of the ceiling, with 32 0.20-0.21 s, with 64
        // 0.15-0.16 s; with STARTUP starting from half the first flight's train rate 0.063-0.068 s (the first 20 ms,
        // one way, are lost to any sender, and the first flight's round trip to all but 64 datagrams of it).
        final WanSimulation.Config c = new WanSimulation.Config().loss(lossPercent / 100);
        c.initialWindowPackets = StreamConfig.builder().build().directInitialWindowPackets();
        c.rttHintNs = 40_000_000L;
        final WanSimulation sim = new WanSimulation(c, new BbrController(32 << 20, 2_000_000L));
        final WanSimulation.Result first = sim.run(SECOND);
        final double shortSeconds = 1 - first.linkFraction(LINK) / CEILING;
        System.out.printf("first second after a promotion, %.0f%% loss: %.3f s short of the ceiling, %s%n",
            lossPercent, shortSeconds, first);
        assertThat(shortSeconds).as("seconds of the first one lost to the start").isLessThan(0.10);
        assertThat(first.queueDrops).as("queue drops in the first second").isLessThan(50);
    }

    @ParameterizedTest(name = "{0}% loss")
    @ValueSource(doubles = {0, 3})
    void shouldLeaveStartupWithoutOverflowingAQueueOfOneBdp(final double lossPercent) {
        final BbrController bbr = new BbrController(32 << 20, 2_000_000L);
        final WanSimulation sim = new WanSimulation(new WanSimulation.Config().loss(lossPercent / 100), bbr);
        final WanSimulation.Result first = sim.run(SECOND);
        // STARTUP with BBRv1's window of 2.885 BDPs, ending after three rounds without growth, overflowed it.
        assertThat(first.queueDrops).as("queue drops in the first second").isLessThan(50);
        assertThat(bbr.filledPipe()).isTrue();
        final double payloadRate = LINK * CEILING;
        assertThat((double)bbr.bandwidthBytesPerSecond()).isBetween(0.95 * payloadRate, 1.05 * payloadRate);
        final WanSimulation.Result second = sim.run(SECOND);
        assertThat(second.linkFraction(LINK)).isGreaterThan(CEILING - 0.01);
    }
}
