package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.MergedPath;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.udp.PacketPath;

/**
 * Several lanes at once ({@link BulkSender#useLanes}): each lane is an in-memory path with its own impairments;
 * the receiver sees them as one path (like its one UDP socket) and acknowledges on lane 0.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MultiLaneTransferTest {
    private static final int UDP_DATAGRAM = 1452;
    private static final int LANES = 4;
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .sendBufferBytes(8 << 20)
        .receiveWindowBytes(8 << 20)
        .minRto(Duration.ofMillis(20))
        .initialRto(Duration.ofMillis(200))
        .peerTimeout(Duration.ofSeconds(20))
        .build();

    @ParameterizedTest(name = "{0}% loss, reorder 32, 2% duplicates on every lane, 32 MiB over 4 lanes")
    @ValueSource(ints = {0, 2, 10})
    void shouldDeliverEveryByteOverFourImpairedLanes(final int lossPercent) throws Exception {
        final Result r = transfer(32 << 20, 40 + lossPercent, lane -> LossyPathPair.builder().maxDatagram(UDP_DATAGRAM)
            .lossPercent(lossPercent).reorderDepth(32).duplicatePercent(2).seed(lossPercent * 10L + lane));
        for (int lane = 0; lane < LANES; lane++) {
            assertThat(r.lanePackets[lane]).as("packets on lane %d", lane).isPositive();
        }
        assertThat(r.received.replays()).as("path duplicates are caught as replays").isPositive();
        assertThat(r.received.authFailures() + r.received.malformed() + r.received.protocolViolations()).isZero();
        assertThat(r.received.flowControlDrops()).as("data beyond the receive window").isZero();
        final double overhead = (double)r.sent.retransmittedBytes() / r.received.streamBytes();
        final double loss = lossPercent / 100.0;
        System.out.printf("4 lanes: repair overhead %.2f %% at %d %% loss%n", 100 * overhead, lossPercent);
        // 3 points of slack: a loaded machine that delays a lane thread makes a lane's tail bound expire (1.5 % of
        // spurious repair seen at 0 % loss with a load average of 8).
        assertThat(overhead).isLessThanOrEqualTo(2 * loss / (1 - loss) + 0.03);
    }

    @Test
    void shouldDeliverEveryByteWhenOneLaneLosesATenth() throws Exception {
        final Result r = transfer(32 << 20, 51, lane -> LossyPathPair.builder().maxDatagram(UDP_DATAGRAM)
            .lossPercent(lane == 2 ? 10 : 0).reorderDepth(lane == 2 ? 16 : 0).seed(51 + lane));
        assertThat(r.sent.retransmittedBytes()).isPositive();
        assertThat(r.lanePackets[2]).isPositive();
    }

    /**
     * Lanes of different delay (0, 1, 0 and 2 ms one way) overtake each other all the time; without per-lane loss
     * detection every packet of a slower lane would look lost once three packets of a faster one arrived.
     */
    @Test
    void shouldNotRetransmitForCrossLaneReordering() throws Exception {
        final int[] delayMs = {0, 1, 0, 2};
        final Result r = transfer(32 << 20, 52, lane -> LossyPathPair.builder().maxDatagram(UDP_DATAGRAM)
            .delay(Duration.ofMillis(delayMs[lane])).seed(52 + lane));
        final long packets = java.util.Arrays.stream(r.lanePackets).sum();
        System.out.printf("cross-lane reordering: %d retransmitted of %d packets; lanes %s%n",
            r.sent.retransmittedPackets(), packets, java.util.Arrays.toString(r.lanePackets));
        // Its controller sees the longest RTT, so its share varies with the machine's load (82 to thousands of
        // packets seen); a few dozen already overtake and are overtaken by the other lanes' packets.
        assertThat(r.lanePackets[3]).as("the slowest lane carried data").isGreaterThan(20);
        // The per-lane packet threshold never fires here (a global one would fire for nearly every packet of lanes 1
        // and 3); what remains are a lane's tail bound expiring when a loaded machine delays a lane thread: 0-29
        // packets alone, 270 of 23,800 (1.1 %) once in a clean-clone run of the whole suite, hence 3 %.
        assertThat(r.lossCauses[0]).as("losses by the per-lane packet threshold").isZero();
        assertThat(r.sent.retransmittedPackets()).as("spurious retransmissions")
            .isLessThanOrEqualTo(3 * packets / 100);
    }

    /**
     * One lane is ten times slower than the others (a bottleneck of a tenth of their rate, with a small queue that
     * overflows, and 2 % loss on top): its own controller backs off, the other three keep their rate. Measured
     * against the same four lanes all fast (the in-memory links' threads share the machine's cores).
     */
    @Test
    void shouldKeepTheOtherLanesRateWhenOneLaneIsSlowAndLossy() throws Exception {
        final long fast = 8_000_000;
        final long slow = 800_000;
        final long size = 32 << 20;
        final IntFunction<LossyPathPair.Builder> allFastLanes = lane -> LossyPathPair.builder()
            .maxDatagram(UDP_DATAGRAM).delay(Duration.ofMillis(2)).bandwidth(fast).queueBytes(1 << 20).seed(53 + lane);
        final IntFunction<LossyPathPair.Builder> oneSlowLane = lane -> LossyPathPair.builder()
            .maxDatagram(UDP_DATAGRAM).delay(Duration.ofMillis(2)).bandwidth(lane == 1 ? slow : fast)
            .queueBytes(lane == 1 ? 32 << 10 : 1 << 20).lossPercent(lane == 1 ? 2 : 0).seed(54 + lane);
        // Best of two alternating rounds each: the links' threads share the cores with other test forks (and the
        // JIT warms up during the first round), and one starved round must not decide the comparison.
        double allFast = 0;
        double oneSlow = 0;
        final long[] lanes = new long[LANES];
        final long[] roundLanes = new long[LANES];
        for (int round = 0; round < 2; round++) {
            allFast = Math.max(allFast, rate(size, 53, allFastLanes, null));
            final double roundRate = rate(size, 54, oneSlowLane, roundLanes);
            if (roundRate > oneSlow) {
                oneSlow = roundRate;
                System.arraycopy(roundLanes, 0, lanes, 0, LANES);
            }
        }
        System.out.printf("four fast lanes: %.1f MB/s; one of them slow and lossy: %.1f MB/s; lanes %s%n",
            allFast / 1e6, oneSlow / 1e6, java.util.Arrays.toString(lanes));
        // Three fast lanes keep three quarters of four; a controller shared by all lanes would throttle them all to
        // what the slow lane's losses allow.
        assertThat(oneSlow).as("goodput with one slow lane").isGreaterThan(0.6 * allFast);
        final long total = java.util.Arrays.stream(lanes).sum();
        // About 30 % each when the machine is idle; a lane thread starved by other jobs gets less.
        for (final int lane : new int[] {0, 2, 3}) {
            assertThat(lanes[lane]).as("share of fast lane %d", lane).isGreaterThan(total / 6);
        }
        assertThat(lanes[1]).as("share of the slow lane").isLessThan(total / 8);
    }

    private static double rate(final long size, final long seed, final IntFunction<LossyPathPair.Builder> lane,
        final long[] lanePackets) throws Exception {
        final long t0 = System.nanoTime();
        final Result r = transfer(size, seed, lane);
        final double seconds = (System.nanoTime() - t0) / 1e9;
        if (lanePackets != null) {
            System.arraycopy(r.lanePackets, 0, lanePackets, 0, LANES);
        }
        return size / seconds;
    }

    @Test
    void shouldFallBackToLaneZeroWhenLanesAreWithdrawn() throws Exception {
        final List<LossyPathPair> pairs = pairs(lane -> LossyPathPair.builder().maxDatagram(UDP_DATAGRAM).seed(54));
        try {
            final DeterministicSource source = new DeterministicSource(54, 24 << 20, 1 << 16, true);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = pair(pairs, 54).start(source, sink);
            streams.sender.useLanes(pairs.get(0).a(), extraEnds(pairs));
            awaitAcked(streams, 4 << 20);
            assertThat(streams.sender.activeLanes()).isEqualTo(LANES);
            streams.sender.useLanes(pairs.get(0).a(), List.of());
            streams.await(60, TimeUnit.SECONDS);
            assertThat(streams.sender.activeLanes()).isEqualTo(1);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
        } finally {
            pairs.forEach(LossyPathPair::close);
        }
    }

    private record Result(StreamStats sent, StreamStats received, long[] lanePackets, long[] lossCauses) {
    }

    private static Result transfer(final long size, final long seed, final IntFunction<LossyPathPair.Builder> lane)
        throws Exception {
        final List<LossyPathPair> pairs = pairs(lane);
        try {
            final DeterministicSource source = new DeterministicSource(seed, size);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = pair(pairs, seed);
            streams.sender.useLanes(pairs.get(0).a(), extraEnds(pairs));
            streams.start(source, sink);
            final long t0 = System.nanoTime();
            assertThat(streams.await(120, TimeUnit.SECONDS)).isEqualTo(size);
            System.out.printf("%d MiB over %d lanes in %.0f ms, lane losses by count/time/tail %s%n%s%n", size >> 20,
                LANES, (System.nanoTime() - t0) / 1e6, java.util.Arrays.toString(streams.sender.laneLossCauses()),
                streams);
            assertThat(sink.count()).isEqualTo(size);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            final long[] perLane = new long[LANES];
            for (int i = 0; i < LANES; i++) {
                perLane[i] = streams.sender.lanePackets(i);
            }
            return new Result(streams.sender.stats(), streams.receiver.stats(), perLane,
                streams.sender.laneLossCauses());
        } finally {
            pairs.forEach(LossyPathPair::close);
        }
    }

    private static List<LossyPathPair> pairs(final IntFunction<LossyPathPair.Builder> lane) {
        final List<LossyPathPair> pairs = new ArrayList<>();
        for (int i = 0; i < LANES; i++) {
            pairs.add(lane.apply(i).build());
        }
        return pairs;
    }

    private static StreamPair pair(final List<LossyPathPair> pairs, final long seed) {
        final List<PacketPath> receiverEnds = new ArrayList<>();
        for (final LossyPathPair p : pairs) {
            receiverEnds.add(p.b());
        }
        return new StreamPair(CONFIG, StreamPair.keys(seed), pairs.get(0).a(), new MergedPath(receiverEnds));
    }

    private static List<PacketPath> extraEnds(final List<LossyPathPair> pairs) {
        final List<PacketPath> extra = new ArrayList<>();
        for (int i = 1; i < pairs.size(); i++) {
            extra.add(pairs.get(i).a());
        }
        return extra;
    }

    private static void awaitAcked(final StreamPair streams, final long bytes) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (streams.sender.stats().streamBytes() < bytes) {
            if (System.nanoTime() > deadline || streams.sent.isDone()) {
                throw new AssertionError("no progress: " + streams);
            }
            Thread.sleep(5);
        }
    }
}
