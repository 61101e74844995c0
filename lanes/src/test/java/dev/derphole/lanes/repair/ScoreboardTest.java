package dev.derphole.lanes.repair;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.WireFormat;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ScoreboardTest {
    private static final long MS = 1_000_000L;

    private final Scoreboard board = new Scoreboard(1024, 1024);
    private final AckFrame ack = new AckFrame();

    @Test
    void shouldDeclareAGapLostAfterThreeLaterPacketsAreAcknowledged() {
        sendPackets(6, 100, 0);
        // Receiver has 0-100 and 200-500 (packet 1 missing), newest packet 4.
        ack(100, 4, 200, 500);
        board.detectLosses(MS, 1000 * MS, 1000 * MS, 3);
        assertThat(board.hasLoss()).isTrue();
        assertThat(board.firstLossStart()).isEqualTo(100);
        assertThat(board.firstLossEnd()).isEqualTo(200);
        assertThat(board.lostBytes()).isEqualTo(100);
        assertThat(board.ackedBytes()).isEqualTo(400);
        assertThat(board.packetsInFlight()).isEqualTo(1); // packet 5
    }

    @Test
    void shouldWaitForTheTimeThresholdWhenTooFewPacketsFollow() {
        sendPackets(3, 100, 0);
        ack(100, 2, 200, 300);
        board.detectLosses(5 * MS, 10 * MS, 10 * MS, 3);
        assertThat(board.hasLoss()).isFalse();
        assertThat(board.lossTimerNs()).isEqualTo(10 * MS);
        board.resetFindings();
        board.detectLosses(10 * MS, 10 * MS, 10 * MS, 3);
        assertThat(board.hasLoss()).isTrue();
    }

    @Test
    void shouldNotRetransmitRangesAcknowledgedAfterTheyWereDeclaredLost() {
        sendPackets(6, 100, 0);
        ack(0, 5, 100, 600); // packet 0 missing
        board.detectLosses(MS, 1000 * MS, 1000 * MS, 3);
        assertThat(board.hasLoss()).isTrue();
        ack(600, 5);
        assertThat(board.hasLoss()).isFalse();
    }

    @Test
    void shouldJudgePacketsOfAnOldPathByTimeOnly() {
        sendPackets(2, 100, 0); // pn 0, 1 on the old path
        board.switchEpoch();
        assertThat(board.bytesInFlight()).isZero();
        assertThat(board.oldEpochBytesInFlight()).isEqualTo(200);
        for (int pn = 2; pn < 10; pn++) {
            board.onDataSent(pn, pn * 100L, 100, false, false, MS);
        }
        ack(0, 9, 200, 1000); // the new path is faster; the old packets are still on their way
        board.detectLosses(2 * MS, 10 * MS, 50 * MS, 3);
        assertThat(board.hasLoss()).isFalse();
        assertThat(board.bytesInFlight()).isZero();
        board.resetFindings();
        board.detectLosses(51 * MS, 10 * MS, 50 * MS, 3);
        assertThat(board.firstLossStart()).isZero();
        assertThat(board.firstLossEnd()).isEqualTo(200);
        assertThat(board.lostBytes()).as("old-path losses do not feed the new path's controller").isZero();
    }

    @Test
    void shouldTrackTheFinUntilItIsAcknowledged() {
        board.finalOffset(100);
        board.onDataSent(0, 0, 100, true, false, 0);
        assertThat(board.finNeeded()).isFalse();
        ack(100, 0);
        assertThat(board.packetsInFlight()).as("bytes covered but FIN not yet confirmed").isEqualTo(1);
        board.onRto();
        assertThat(board.finNeeded()).isTrue();
        ack.flags = WireFormat.ACK_FLAG_FIN_RECEIVED | WireFormat.ACK_FLAG_HAS_ECHO;
        ack.cumulative = 100;
        ack.largestPacketNumber = 0;
        ack.rangeCount = 0;
        assertThat(board.onAck(ack, 1, 0L)).isTrue();
        assertThat(board.finAcked()).isTrue();
        assertThat(board.finNeeded()).isFalse();
    }

    @Test
    void shouldRejectAcknowledgementsOfUnsentData() {
        sendPackets(2, 100, 0);
        ack.flags = WireFormat.ACK_FLAG_HAS_ECHO;
        ack.cumulative = 300;
        ack.largestPacketNumber = 1;
        ack.rangeCount = 0;
        assertThat(board.onAck(ack, 2, 0L)).isFalse();
        ack.cumulative = 100;
        ack.largestPacketNumber = 7;
        assertThat(board.onAck(ack, 2, 0L)).isFalse();
        ack.largestPacketNumber = 1;
        ack.flags |= WireFormat.ACK_FLAG_FIN_RECEIVED;
        assertThat(board.onAck(ack, 2, 0L)).isFalse();
        assertThat(board.cumAcked()).isZero();
    }

    @Test
    void shouldDeclareEverythingUncoveredLostOnTimeout() {
        sendPackets(4, 100, 0);
        ack(0, 2, 100, 200, 300, 400); // wait: ranges 100-200 and 300-400
        board.resetFindings();
        board.onRto();
        assertThat(board.packetsInFlight()).isZero();
        assertThat(board.firstLossStart()).isZero();
        assertThat(board.firstLossEnd()).isEqualTo(100);
    }

    /**
     * A probe timeout in the tail sends a heartbeat and, behind it, a copy of the last packet. The heartbeat's ACK
     * finds the original overdue: its range waits for the copy (repaired only if the copy is lost too).
     */
    @Test
    void shouldLeaveTheRangeOfALostPacketToItsTailCopy() {
        sendPackets(3, 100, 0);
        board.onControlSent(3, MS); // the probe timeout's heartbeat
        board.onDataSent(4, 200, 100, false, true, MS);
        board.onCopied(2);
        ack(200, 3);
        board.detectLosses(20 * MS, 10 * MS, 10 * MS, 3);
        assertThat(board.hasLoss()).as("the copy is still on its way").isFalse();
        assertThat(board.lostBytes()).isEqualTo(100);
        assertThat(board.packetsInFlight()).isEqualTo(1);
        board.onControlSent(5, 2 * MS);
        ack(200, 5);
        board.detectLosses(30 * MS, 10 * MS, 10 * MS, 3);
        assertThat(board.hasLoss()).as("the copy was lost too").isTrue();
        assertThat(board.firstLossStart()).isEqualTo(200);
        assertThat(board.firstLossEnd()).isEqualTo(300);
    }

    @Test
    void shouldOfferEachRangeOfTheTailForOneCopyPerPassNewestFirst() {
        sendPackets(3, 100, 10 * MS); // pn 0-2
        assertThat(board.tailCopyCandidate(3, 0)).isEqualTo(2);
        board.onDataSent(3, 200, 100, false, true, 11 * MS); // the copy of 2
        board.onCopied(2);
        assertThat(board.tailCopyCandidate(2, 0)).isEqualTo(1);
        board.onDataSent(4, 100, 100, false, true, 11 * MS);
        board.onCopied(1);
        ack(100, 4, 200, 300); // 0 acknowledged, and the copy of 2
        assertThat(board.tailCopyCandidate(1, 0)).as("the first pass ends").isEqualTo(-1);
        // The second pass finds the copy of 1 (4), not 1 itself (its range rides on 4), nor 2 (acknowledged).
        assertThat(board.tailCopyCandidate(5, 0)).isEqualTo(4);
        board.onCopied(4);
        assertThat(board.tailCopyCandidate(4, 0)).isEqualTo(-1);
        assertThat(board.tailCopyCandidate(5, 11 * MS + 1)).as("nothing sent since the floor").isEqualTo(-1);
    }

    @Test
    void shouldKnowWhetherAFinWasSent() {
        board.finalOffset(100);
        board.onDataSent(0, 0, 100, false, false, 0);
        assertThat(board.finSent()).as("the last bytes went before the source's end was seen").isFalse();
        board.onDataSent(1, 100, 0, true, false, 0);
        assertThat(board.finSent()).isTrue();
    }

    @Test
    void shouldSampleTheDeliveryRateOverTheLongerOfTheSendAndAckIntervals() {
        sendPackets(10, 1000, 0); // a burst at t = 0
        ackAt(40 * MS, 5000, 4);
        // Packet 4 was sent at 0 with nothing delivered yet: 5,000 bytes over its ACK interval of 40 ms.
        assertThat(board.rateSampleBytes()).isEqualTo(5000);
        assertThat(board.rateSampleIntervalNs()).isEqualTo(40 * MS);
        for (int pn = 10; pn < 20; pn++) {
            board.onDataSent(pn, pn * 1000L, 1000, false, false, (40 + 10L * (pn - 10)) * MS); // t = 40 .. 130 ms
        }
        // Everything is acknowledged at once at 135 ms (ACKs held back and delivered in a bunch): since packet 19
        // was sent, 15,000 bytes were delivered in 95 ms of ACKs, but they took 130 ms to send (from packet 4's
        // send at 0 to packet 19's): the path did not carry more than that.
        ackAt(135 * MS, 20_000, 19);
        assertThat(board.rateSampleBytes()).isEqualTo(15_000);
        assertThat(board.rateSampleIntervalNs()).isEqualTo(130 * MS);
        board.resetFindings();
        assertThat(board.rateSampleIntervalNs()).as("no sample without an acknowledgement").isZero();
    }

    @Test
    void shouldTimeTheFirstFlightAsAPacketTrainByTheSpacingOfItsAcks() {
        // 64 packets leave at once; the bottleneck spaces them 50 us apart; every 8th is acknowledged 40 ms later.
        sendPackets(64, 1000, 0);
        for (int k = 1; k <= 8; k++) {
            final long at = 40 * MS + k * 8 * 50_000L;
            ackAt(at, k * 8000L, k * 8 - 1);
            if (k < 8) {
                assertThat(board.trainSampleBytes(0)).as("no sample before the train is complete").isZero();
            }
        }
        // The first ACK only marks the start: 56 packets over the 7 spacings after it.
        assertThat(board.trainSampleBytes(0)).isEqualTo(56_000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(7 * 8 * 50_000L);
        assertThat(board.trainSampleFirstRttNs(0)).isEqualTo(40 * MS + 8 * 50_000L);
        board.onDataSent(64, 64_000, 1000, false, false, 44 * MS);
        ackAt(85 * MS, 65_000, 64);
        assertThat(board.trainSampleBytes(0)).as("reported once per path").isZero();
    }

    @Test
    void shouldTimeTheTrainByWhenItsPacketsReachedThePeerNotWhenItsAcksWereRead() {
        // The receiver found the flight waiting and its ACKs came in one bunch, read at 60 ms; their delays say
        // when each acknowledged packet reached the receiver's host: 400 us apart.
        sendPackets(64, 1000, 0);
        for (int k = 1; k <= 8; k++) {
            ack.ackDelayMicros = (60_000_000L - (20 * MS + k * 400_000L)) / 1000;
            ack.flags = WireFormat.ACK_FLAG_HAS_ECHO;
            ack.cumulative = k * 8000L;
            ack.maxOffset = 1 << 20;
            ack.largestPacketNumber = k * 8 - 1;
            ack.rangeCount = 0;
            board.resetFindings();
            assertThat(board.onAck(ack, 1_000, 60 * MS + k, 60 * MS)).isTrue();
        }
        assertThat(board.trainSampleBytes(0)).isEqualTo(56_000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(7 * 400_000L);
        assertThat(board.trainSampleFirstRttNs(0)).isEqualTo(20 * MS + 400_000L);
    }

    @Test
    void shouldTakeTheMedianGapBetweenAcksSoALateFirstOneCannotShortenTheTrain() {
        // Every 8 packets 400 us apart (20 MB/s), but the first ACK's packets were forwarded 1.2 ms late: the span
        // from it to the last would read 1.6 instead of 2.8 ms.
        sendPackets(64, 1000, 0);
        for (int k = 1; k <= 8; k++) {
            ackAt(40 * MS + k * 400_000L + (k == 1 ? 1_200_000L : 0), k * 8000L, k * 8 - 1);
        }
        assertThat(board.trainSampleBytes(0)).isEqualTo(56_000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(56_000L * 1_000_000_000L / 20_000_000L);
    }

    @Test
    void shouldStartANewSendIntervalWhenTheTrainEnds() {
        sendPackets(16, 1000, 0);
        for (int pn = 16; pn < 20; pn++) {
            board.onDataSent(pn, pn * 1000L, 1000, false, false, MS); // after the burst: still in flight below
        }
        for (int k = 1; k <= 4; k++) {
            ackAt(40 * MS + k * MS, k * 4000L, k * 4 - 1);
        }
        assertThat(board.trainSampleBytes(0)).isPositive();
        // Sent 2 ms after the train's end, at the rate it found; acknowledged 17 ms later. Its interval runs from
        // the last ACK before it (44 ms); measured from the first flight's send times, its send interval alone
        // would be 46 ms.
        board.onDataSent(20, 20_000, 1000, false, false, 46 * MS);
        ackAt(63 * MS, 21_000, 20);
        assertThat(board.rateSampleIntervalNs()).isEqualTo(63 * MS - 44 * MS);
    }

    @Test
    void shouldEndTheTrainWhereTheBurstEnded() {
        sendPackets(16, 1000, 0);
        // Sent after the burst (the pacer let them out later): their ACKs come later by as much.
        for (int pn = 16; pn < 20; pn++) {
            board.onDataSent(pn, pn * 1000L, 1000, false, false, 5 * MS);
        }
        ackAt(40 * MS, 4000, 3);
        ackAt(41 * MS, 16_000, 15);
        assertThat(board.trainSampleBytes(0)).isEqualTo(12_000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(MS);
    }

    @Test
    void shouldFinishATrainWhoseTailWasLostAtTheFirstLaterPacketAcknowledged() {
        sendPackets(16, 1000, 0);
        board.onDataSent(16, 16_000, 1000, false, false, 2 * MS);
        ackAt(40 * MS, 4000, 3);
        ackAt(41 * MS, 12_000, 11);
        assertThat(board.trainSampleBytes(0)).isZero();
        ackAt(43 * MS, 12_000, 16, 16_000, 17_000); // packets 12-15 missing
        assertThat(board.trainSampleBytes(0)).isEqualTo(8000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(MS);
    }

    @Test
    void shouldFinishTheTrainWhenItsLastPacketIsAcknowledgedThoughAnEarlierOneIsStillOut() {
        sendPackets(16, 1000, 0);
        ackAt(40 * MS, 4000, 3);
        ackAt(41 * MS, 8000, 7);
        ackAt(42 * MS, 8000, 15, 9000, 16_000); // packet 8 missing, too recent to be declared lost
        assertThat(board.hasLoss()).isFalse();
        assertThat(board.trainSampleBytes(0)).isEqualTo(11_000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(2 * MS);
    }

    @Test
    void shouldNotTimeRetransmissionsOrPacketsOfTheOldPathAndStartAgainOnANewPath() {
        sendPackets(4, 1000, 0);
        ackAt(40 * MS, 4000, 3);
        assertThat(board.trainSampleBytes(0)).as("one ACK: no spacing").isZero();
        board.switchEpoch();
        board.onDataSent(4, 4000, 1000, false, false, 50 * MS);
        board.onDataSent(5, 1000, 1000, false, true, 50 * MS); // a retransmission in the new path's first flight
        board.onDataSent(6, 5000, 1000, false, false, 50 * MS);
        board.onDataSent(7, 6000, 1000, false, false, 50 * MS);
        ackAt(90 * MS, 5000, 4);
        ackAt(91 * MS, 7000, 7);
        assertThat(board.trainSampleBytes(0)).isEqualTo(2000);
        assertThat(board.trainSampleIntervalNs(0)).isEqualTo(MS);
        assertThat(board.trainSampleFirstRttNs(0)).isEqualTo(40 * MS);
    }

    private void sendPackets(final int count, final int length, final long nowNs) {
        for (int pn = 0; pn < count; pn++) {
            board.onDataSent(pn, (long)pn * length, length, false, false, nowNs);
        }
    }

    private void ack(final long cumulative, final long largest, final long... ranges) {
        ackAt(0, cumulative, largest, ranges);
    }

    private void ackAt(final long nowNs, final long cumulative, final long largest, final long... ranges) {
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
        assertThat(board.onAck(ack, 1_000, nowNs)).isTrue();
    }
}
