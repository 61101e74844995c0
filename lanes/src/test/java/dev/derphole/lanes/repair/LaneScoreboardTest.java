package dev.derphole.lanes.repair;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.WireFormat;

/** Per-lane loss detection: packets of a slower lane are judged against their own lane, not the fastest one. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LaneScoreboardTest {
    private static final long MS = 1_000_000L;
    private static final int LENGTH = 100;
    private final AckFrame ack = new AckFrame();

    /** Even packet numbers on lane 0, odd ones on lane 1 (or all on lane 0 when {@code lanes} is 1). */
    private static Scoreboard sent(final int packets, final int lanes) {
        final Scoreboard board = new Scoreboard(1024, 1024);
        for (int pn = 0; pn < packets; pn++) {
            board.onDataSent(pn, (long)pn * LENGTH, LENGTH, false, false, 0, lanes == 1 ? 0 : pn % 2);
        }
        return board;
    }

    @Test
    void shouldNotDeclareASlowerLanesPacketsLostBecauseAFasterLaneOvertookThem() {
        // Lane 0 delivered all of its ten packets, lane 1 none yet (it is slower): the largest packet number
        // received is 18, far past lane 1's packets.
        final long[] lane0Ranges = new long[20];
        for (int i = 0; i < 10; i++) {
            lane0Ranges[2 * i] = 2L * i * LENGTH;
            lane0Ranges[2 * i + 1] = (2L * i + 1) * LENGTH;
        }
        final Scoreboard lanes = sent(20, 2);
        ack(lanes, 100, 18, java.util.Arrays.copyOfRange(lane0Ranges, 2, 20));
        lanes.detectLosses(MS, 10 * MS, 10 * MS, 3);
        assertThat(lanes.laneMode()).isTrue();
        assertThat(lanes.hasLoss()).as("lane 1 is only slower").isFalse();
        assertThat(lanes.laneAckedBytes(0)).isEqualTo(10 * LENGTH);
        assertThat(lanes.laneAckedBytes(1)).isZero();
        assertThat(lanes.laneBytesInFlight(1)).isEqualTo(10 * LENGTH);
        assertThat(lanes.lossTimerNs()).as("lane 1's tail bound").isEqualTo(Scoreboard.LANE_TAIL_FACTOR * 10 * MS);

        // The same arrivals with every packet on one lane: the classic rule declares the gaps lost at once.
        final Scoreboard oneLane = sent(20, 1);
        ack(oneLane, 100, 18, java.util.Arrays.copyOfRange(lane0Ranges, 2, 20));
        oneLane.detectLosses(MS, 10 * MS, 10 * MS, 3);
        assertThat(oneLane.lostBytes()).isEqualTo(8 * LENGTH);
    }

    @Test
    void shouldDeclareALanesGapLostOnceThreeLaterPacketsOfThatLaneArrived() {
        final Scoreboard board = sent(20, 2);
        // Lane 0 all in; lane 1: packet 1 missing, packets 3, 5, 7 and 9 in.
        final long[] ranges = {200, 300, 300, 1000, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900};
        ack(board, 100, 18, ranges);
        board.detectLosses(MS, 10 * MS, 10 * MS, 3);
        assertThat(board.hasLoss()).isTrue();
        assertThat(board.firstLossStart()).isEqualTo(100);
        assertThat(board.firstLossEnd()).isEqualTo(200);
        assertThat(board.laneLostBytes(1)).isEqualTo(LENGTH);
        assertThat(board.laneLostBytes(0)).as("lane 0 lost nothing").isZero();
        assertThat(board.laneLossCauses()[0]).isEqualTo(1);
    }

    @Test
    void shouldDeclareALanesTailLostAfterTheTailBound() {
        final Scoreboard board = sent(4, 2);
        ack(board, 100, 2, 200, 300); // lane 0 all in, lane 1 (packets 1 and 3) nothing
        board.detectLosses(MS, 10 * MS, 10 * MS, 3);
        assertThat(board.hasLoss()).isFalse();
        board.resetFindings();
        board.detectLosses(Scoreboard.LANE_TAIL_FACTOR * 10 * MS, 10 * MS, 10 * MS, 3);
        // Packet 1; packet 3 is beyond the largest acknowledged: the probe timeout looks after that one.
        assertThat(board.laneLostBytes(1)).isEqualTo(LENGTH);
        assertThat(board.laneLossCauses()[2]).isEqualTo(1);
    }

    @Test
    void shouldNotTakeACoveredRetransmissionAsEvidenceForItsLane() {
        final Scoreboard board = new Scoreboard(1024, 1024);
        // Lane 1 carries packets 0..3 (bytes 0..400); packet 4 on lane 0 retransmits bytes 0..100 while packet 0 is
        // still on its way; packets 5..7 on lane 0 are new data.
        for (int pn = 0; pn < 4; pn++) {
            board.onDataSent(pn, (long)pn * LENGTH, LENGTH, false, false, 0, 1);
        }
        board.onDataSent(4, 0, LENGTH, false, true, 0, 0);
        for (int pn = 5; pn < 8; pn++) {
            board.onDataSent(pn, (long)(pn - 1) * LENGTH, LENGTH, false, false, 0, 0);
        }
        // Packet 0 (the original) arrives first, then lane 0's packets 5..7; the retransmission is covered but did
        // not arrive: lane 0's packets sent before it must not look overtaken.
        ack(board, 100, 7, 400, 700);
        board.detectLosses(MS, 10 * MS, 10 * MS, 3);
        assertThat(board.laneLostBytes(0)).isZero();
        assertThat(board.laneLostBytes(1)).isZero();
    }

    private void ack(final Scoreboard board, final long cumulative, final long largest, final long... ranges) {
        ack.flags = WireFormat.ACK_FLAG_HAS_ECHO;
        ack.cumulative = cumulative;
        ack.maxOffset = 1 << 20;
        ack.largestPacketNumber = largest;
        ack.rangeCount = ranges.length / 2;
        for (int i = 0; i < ack.rangeCount; i++) {
            ack.rangeStart[i] = ranges[2 * i];
            ack.rangeEnd[i] = ranges[2 * i + 1];
        }
        board.resetFindings();
        assertThat(board.onAck(ack, 1_000)).isTrue();
    }
}
