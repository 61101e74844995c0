package dev.derphole.lanes.repair;

import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.WireFormat;

/**
 * The sender's view of what the receiver has: the cumulative offset, selectively acknowledged ranges above it,
 * the packets in flight ({@link SentPacketLog}) and the ranges declared lost and waiting to be sent again.
 * <p>
 * A DATA packet is acknowledged when its bytes (and FIN, if it carried one) are covered by the cumulative
 * offset or a selective range; ACKs carry byte ranges, not packet numbers, plus the largest packet number the
 * receiver has seen. Loss detection follows RFC 9002 §6.1 with that largest number: an unacknowledged packet
 * is lost when {@code packetThreshold} later-numbered packets were received, or when it was sent more than
 * the loss delay before now. Packets sent on an earlier path (epoch) are judged by time only, with that
 * path's delay, so data still travelling a slower old path is not declared lost just because the new path is
 * faster; they also do not count against the current path's congestion window.
 * <p>
 * <b>Lanes.</b> Packets may go out on several lanes (UDP sockets) at once; a lane can be slower than another,
 * so packets of different lanes overtake each other and the largest packet number received says little about a
 * packet of another lane. Once a packet went on a lane other than 0 in the current epoch ("lane mode"), the
 * packet threshold counts per lane: a packet is lost when {@code packetThreshold} later packets <em>of its lane</em>
 * were acknowledged, or by time once a later packet of its lane was acknowledged, or after
 * {@link #LANE_TAIL_FACTOR} loss delays without that (a lane's tail). Bytes in flight, acknowledged and lost
 * are also kept per lane, so each lane's rate controller sees its own losses. With lane 0 alone nothing changes.
 * <p>
 * After each {@link #onAck}, {@link #detectLosses} or {@link #onRto} the counters {@link #ackedBytes()},
 * {@link #lostBytes()} and {@link #largestLostSentNs()} describe what that call found on the current path,
 * for the congestion controller, together with a delivery-rate sample ({@link #rateSampleBytes()} over
 * {@link #rateSampleIntervalNs()}) after draft-cheng-iccrg-delivery-rate-estimation: each DATA packet remembers
 * how much had been delivered when it was sent; when it is acknowledged, the bytes delivered since then divided
 * by the longer of its send interval and its ACK interval is the rate the path delivered over about one round
 * trip. Taking the longer interval is what keeps ACKs that arrive bunched (a descheduled sender thread, a
 * receiver acknowledging in batches) from reading as more bandwidth than the sender ever put on the path.
 * <p>
 * <b>First flight.</b> That sample cannot see a path's capacity in its first round trips: it spans a round trip,
 * so it reads the initial window over the RTT, and the rate only doubles per round from there. The first flight on
 * a lane of a new path is therefore also measured as a packet train (as in packet-pair probing): the packets of
 * that flight sent within {@link #TRAIN_SEND_SPREAD_NS} of its first leave at once, queue at the bottleneck and
 * reach the receiver spaced by its rate (or by the sender's, if that was slower), and so do their ACKs. The bytes
 * acknowledged after the train's first ACK over the time to its last ({@link #trainSampleBytes(int)} over
 * {@link #trainSampleIntervalNs(int)}) are that rate, reported once per lane and path, with the first ACK's round
 * trip ({@link #trainSampleFirstRttNs(int)}) so the controller can refuse a train a receiver held back and
 * acknowledged in one bunch. The rate is the median of the rates between consecutive ACKs (with at least three
 * such gaps): a train lasts only a few ms, and a router or host that forwarded its first or last packets a
 * millisecond late would otherwise shorten the whole span (the WAN lab read 47 MB/s off its 25 MB/s link once).
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation after construction.
 */
public final class Scoreboard {
    /** Packet numbers kept free in the log for control packets (heartbeats, aborts) when data fills it. */
    public static final int CONTROL_RESERVE = 1024;
    /** Most lanes a packet can be sent on (lane indices 0..15). */
    public static final int MAX_LANES = 16;
    private static final int ALL_LANES = (1 << MAX_LANES) - 1;
    /**
     * In lane mode, how many loss delays a packet may stay unacknowledged when no later packet of its own lane was
     * acknowledged yet (lanes may differ in delay; the tail of a lane needs a bound all the same).
     */
    static final int LANE_TAIL_FACTOR = 4;
    /**
     * Longest time after the first packet of a lane's first flight that a packet still joins its train: the flight
     * is sealed in one engine cycle; a packet the pacer let out later would stretch the ACKs' spacing by its delay.
     */
    static final long TRAIN_SEND_SPREAD_NS = 500_000L;
    /** ACKs of a train whose times are kept (later ones extend the last gap). */
    private static final int TRAIN_POINTS = 32;
    private static final byte TRAIN_ARMED = 0;
    private static final byte TRAIN_SENDING = 1;
    private static final byte TRAIN_MEASURING = 2;
    private static final byte TRAIN_DONE = 3;

    private final SentPacketLog log;
    private final RangeSet sacked;
    private final RangeSet lossQueue;
    private long cumAcked;
    private long highestSent;
    private long largestAckedPn = -1;
    private long finalOffset = -1;
    private boolean finAcked;
    private boolean finSent;
    private int finInFlight;
    private int epoch;
    private long bytesInFlight;
    private long oldEpochBytesInFlight;
    private int packetsInFlight;
    private long lossTimerNs = -1;

    private long ackedBytes;
    private long lostBytes;
    private long lostPackets;
    private long largestLostSentNs;

    private boolean laneMode;
    private long laneLostByCount;
    private long laneLostByTime;
    private long laneLostByTail;
    /** When the packets being acknowledged now were acknowledged, or -1 (no lane delay sample). */
    private long ackClockNs = -1;
    /** Per lane: time from sealing a packet to its acknowledgement, a decaying maximum in ns (0 = no sample). */
    private final long[] laneDelayNs = new long[MAX_LANES];
    private final long[] laneNextSequence = new long[MAX_LANES];
    private final long[] laneLargestAcked = new long[MAX_LANES];
    private final long[] laneBytesInFlight = new long[MAX_LANES];
    private final int[] lanePacketsInFlight = new int[MAX_LANES];
    private final long[] laneAckedBytes = new long[MAX_LANES];
    private final long[] laneLostBytes = new long[MAX_LANES];
    private final long[] laneLargestLostSentNs = new long[MAX_LANES];
    /**
     * Delivery-rate state per lane (a lane's controller sees its own rate): bytes acknowledged, when that last
     * grew, the send-interval start; and the newest-sent packet acknowledged since {@link #resetFindings}: its
     * delivery state at send (prior delivered -1: none).
     */
    private final long[] delivered = new long[MAX_LANES];
    private final long[] deliveredNs = new long[MAX_LANES];
    private final long[] firstSentNs = new long[MAX_LANES];
    private final long[] rateNewestSentNs = new long[MAX_LANES];
    private final long[] ratePriorDelivered = new long[MAX_LANES];
    private final long[] ratePriorNs = new long[MAX_LANES];
    private final long[] rateSendElapsedNs = new long[MAX_LANES];
    /**
     * First-flight train per lane (see the class comment): its state, lane sequences [first, end), packets still
     * in flight, when its first packet was sent, which ACK was its first, the first ACK's round trip; and the
     * finished sample, a finding.
     */
    private final byte[] trainState = new byte[MAX_LANES];
    private final long[] trainFirstSequence = new long[MAX_LANES];
    private final long[] trainEndSequence = new long[MAX_LANES];
    private final int[] trainOutstanding = new int[MAX_LANES];
    private final long[] trainSentNs = new long[MAX_LANES];
    private final long[] trainStartAck = new long[MAX_LANES];
    private final long[] trainFirstRttNs = new long[MAX_LANES];
    /**
     * Per lane, per ACK of the train (TRAIN_POINTS each; point 0 the first ACK, at 0 bytes): bytes acknowledged
     * after the first ACK so far, and when the ACK's packets arrived.
     */
    private final long[] trainPointBytes = new long[MAX_LANES * TRAIN_POINTS];
    private final long[] trainPointNs = new long[MAX_LANES * TRAIN_POINTS];
    private final int[] trainPoints = new int[MAX_LANES];
    private final long[] trainPointAck = new long[MAX_LANES];
    private final long[] gapRates = new long[TRAIN_POINTS];
    private final long[] trainSampleBytes = new long[MAX_LANES];
    private final long[] trainSampleNs = new long[MAX_LANES];
    private final long[] trainSampleFirstRttNs = new long[MAX_LANES];
    /** When the packets the last ACK acknowledged reached the receiver's host, on our clock (see onAck). */
    private long trainClockNs;
    /** ACKs applied so far (which one started each lane's train). */
    private long acks;
    /** The clock of the last {@link #onAck} or {@link #detectLosses}. */
    private long clockNs;

    /**
     * @param maxPacketsInFlight log capacity (power of two)
     * @param maxRanges          capacity of the selective-ack and loss range sets
     */
    public Scoreboard(final int maxPacketsInFlight, final int maxRanges) {
        this.log = new SentPacketLog(maxPacketsInFlight);
        this.sacked = new RangeSet(maxRanges);
        this.lossQueue = new RangeSet(maxRanges);
        java.util.Arrays.fill(laneLargestAcked, -1);
        java.util.Arrays.fill(laneLargestLostSentNs, -1);
        java.util.Arrays.fill(ratePriorDelivered, -1);
    }

    // ------------------------------------------------------------------ sending

    /** True when a DATA packet with this number fits in the log. */
    public boolean canSendData(final long packetNumber) {
        return log.hasRoom(packetNumber, CONTROL_RESERVE);
    }

    /** Records a DATA packet just handed to the path (lane 0). */
    public void onDataSent(
        final long packetNumber, final long offset, final int length, final boolean fin, final boolean retransmission,
        final long nowNs) {
        onDataSent(packetNumber, offset, length, fin, retransmission, nowNs, 0);
    }

    /** Records a DATA packet just handed to lane {@code lane} (0..{@link #MAX_LANES} - 1). */
    public void onDataSent(
        final long packetNumber, final long offset, final int length, final boolean fin, final boolean retransmission,
        final long nowNs, final int lane) {
        if (laneBytesInFlight[lane] == 0) {
            // Nothing in flight on the lane: a new send interval starts now (an idle gap is not delivery time).
            firstSentNs[lane] = nowNs;
            deliveredNs[lane] = nowNs;
        }
        final long sequence = laneNextSequence[lane]++;
        joinTrain(lane, sequence, nowNs);
        log.recordData(packetNumber, offset, length, fin, retransmission, epoch, nowNs, lane,
            sequence, delivered[lane], deliveredNs[lane], firstSentNs[lane]);
        if (lane != 0) {
            laneMode = true;
        }
        laneBytesInFlight[lane] += length;
        lanePacketsInFlight[lane]++;
        bytesInFlight += length;
        packetsInFlight++;
        highestSent = Math.max(highestSent, offset + length);
        if (fin) {
            finalOffset = offset + length;
            finInFlight++;
            finSent = true;
        }
    }

    /** Records a control packet number (no retransmission state; its send time still gives RTT samples). */
    public void onControlSent(final long packetNumber, final long nowNs) {
        log.recordControl(packetNumber, epoch, nowNs);
    }

    /** The source ended: the stream is {@code length} bytes long. */
    public void finalOffset(final long length) {
        finalOffset = length;
    }

    /** Drops a lost range from the repair queue once it has been resent (or was found acknowledged). */
    public void takeLoss(final long start, final long end) {
        lossQueue.remove(start, end);
    }

    // ------------------------------------------------------------------ acknowledgements

    /**
     * Applies an ACK (findings accumulate until {@link #resetFindings}). Impossible ACKs (acknowledging bytes or
     * packets never sent, a final length that does not
     * match) change nothing and return false; the caller counts them as protocol violations.
     *
     * @param nextPacketNumber one past the highest packet number we have sealed
     * @param nowNs            when the ACK arrived (the delivery time of what it acknowledges)
     */
    public boolean onAck(final AckFrame ack, final long nextPacketNumber) {
        return onAck(ack, nextPacketNumber, -1);
    }

    /**
     * As {@link #onAck(AckFrame, long)}, at {@code nowNs} (the time each lane's packets take to be acknowledged is
     * measured from it; -1 = unknown).
     */
    public boolean onAck(final AckFrame ack, final long nextPacketNumber, final long nowNs) {
        return onAck(ack, nextPacketNumber, nowNs, nowNs);
    }

    /**
     * As {@link #onAck(AckFrame, long, long)}, for an ACK that reached the host at {@code arrivedNs} (the kernel's
     * time stamp; {@code nowNs} when there is none). The first flight's train is timed by it less the ACK's delay:
     * when the acknowledged packet reached the peer's host, as far as that is known, whenever either side got
     * round to processing it.
     */
    public boolean onAck(final AckFrame ack, final long nextPacketNumber, final long nowNs, final long arrivedNs) {
        trainClockNs = arrivedNs - ack.ackDelayMicros * 1000L;
        acks++;
        ackClockNs = nowNs;
        clockNs = nowNs;
        final boolean hasEcho = (ack.flags & WireFormat.ACK_FLAG_HAS_ECHO) != 0;
        final boolean finReceived = (ack.flags & WireFormat.ACK_FLAG_FIN_RECEIVED) != 0;
        if (ack.cumulative > highestSent || (hasEcho && ack.largestPacketNumber >= nextPacketNumber)
            || (finReceived && (finalOffset < 0 || ack.cumulative != finalOffset))) {
            return false;
        }
        for (int i = 0; i < ack.rangeCount; i++) {
            if (ack.rangeEnd[i] > highestSent) {
                return false;
            }
        }
        clockNs = nowNs;
        if (ack.cumulative > cumAcked) {
            cumAcked = ack.cumulative;
            sacked.removeBelow(cumAcked);
            lossQueue.removeBelow(cumAcked);
        }
        for (int i = 0; i < ack.rangeCount; i++) {
            final long start = Math.max(ack.rangeStart[i], cumAcked);
            final long end = ack.rangeEnd[i];
            if (start < end) {
                sacked.add(start, end); // full set: forgets this range; at worst a spurious retransmission
                lossQueue.remove(start, end);
            }
        }
        if (finReceived) {
            finAcked = true;
        }
        if (hasEcho && ack.largestPacketNumber > largestAckedPn) {
            final long from = Math.max(largestAckedPn + 1, log.oldest());
            for (long pn = from; pn <= ack.largestPacketNumber; pn++) {
                if (log.isInFlight(pn) && isCovered(pn)) {
                    acknowledge(pn);
                }
            }
            largestAckedPn = ack.largestPacketNumber;
        }
        return true;
    }

    /**
     * Declares packets lost (RFC 9002 §6.1) and acknowledges covered ones, scanning from the oldest in flight up
     * to the largest acknowledged; sets {@link #lossTimerNs()} for the first packet not yet old enough.
     */
    public void detectLosses(
        final long nowNs, final long lossDelayNs, final long oldEpochLossDelayNs, final int packetThreshold) {
        clockNs = nowNs;
        if (laneMode) {
            detectLaneLosses(nowNs, lossDelayNs, oldEpochLossDelayNs, packetThreshold);
            return;
        }
        lossTimerNs = -1;
        final long last = Math.min(largestAckedPn, log.next() - 1);
        for (long pn = log.oldest(); pn <= last; pn++) {
            if (!log.isInFlight(pn)) {
                continue;
            }
            if (isCovered(pn)) {
                acknowledge(pn);
                continue;
            }
            final boolean current = log.epoch(pn) == epoch;
            final long deadline = log.sentNs(pn) + (current ? lossDelayNs : oldEpochLossDelayNs);
            if ((current && largestAckedPn - pn >= packetThreshold) || deadline - nowNs <= 0) {
                declareLost(pn);
                continue;
            }
            lossTimerNs = deadline;
            return;
        }
    }

    /**
     * Lane mode: first acknowledges every covered packet up to the largest acknowledged (a slow lane's packets
     * arrive after a fast lane's later ones, so coverage changes anywhere in the window, and each lane's largest
     * acknowledged packet must be known before judging its older ones); then judges each lane's packets against
     * that lane's own largest acknowledged, and by time. Costs a scan of the packets in flight per call.
     */
    private void detectLaneLosses(
        final long nowNs, final long lossDelayNs, final long oldEpochLossDelayNs, final int packetThreshold) {
        lossTimerNs = -1;
        ackClockNs = nowNs;
        final long last = Math.min(largestAckedPn, log.next() - 1);
        for (long pn = log.oldest(); pn <= last; pn++) {
            if (log.isInFlight(pn) && isCovered(pn)) {
                acknowledge(pn);
            }
        }
        int done = 0;
        for (int lane = 0; lane < MAX_LANES; lane++) {
            if (lanePacketsInFlight[lane] == 0) {
                done |= 1 << lane;
            }
        }
        for (long pn = log.oldest(); pn <= last; pn++) {
            if (!log.isInFlight(pn)) {
                continue;
            }
            if (log.epoch(pn) != epoch) {
                final long deadline = log.sentNs(pn) + oldEpochLossDelayNs;
                if (deadline - nowNs <= 0) {
                    declareLost(pn);
                } else {
                    lossTimerNs = earlier(lossTimerNs, deadline);
                }
                continue;
            }
            final int lane = log.lane(pn);
            if ((done & 1 << lane) != 0) {
                continue; // an older packet of this lane is not lost yet: neither is this one
            }
            // Time alone needs evidence from the packet's own lane (a later packet of it arrived); without it the
            // lane may just be slower than the others, and only a much older packet counts as lost (its tail).
            // A lane slower than the path's RTT estimate (which the fastest lane sets) gets its own, longer delay.
            final long delayNs = Math.max(lossDelayNs, laneDelayNs[lane] + (laneDelayNs[lane] >> 3));
            final long overtakenBy = laneLargestAcked[lane] - log.laneSequence(pn);
            final long deadline = log.sentNs(pn) + (overtakenBy > 0 ? delayNs : LANE_TAIL_FACTOR * delayNs);
            if (overtakenBy >= packetThreshold || deadline - nowNs <= 0) {
                if (overtakenBy >= packetThreshold) {
                    laneLostByCount++;
                } else if (overtakenBy > 0) {
                    laneLostByTime++;
                } else {
                    laneLostByTail++;
                }
                declareLost(pn);
                continue;
            }
            lossTimerNs = earlier(lossTimerNs, deadline);
            done |= 1 << lane;
            if (done == ALL_LANES) {
                return;
            }
        }
    }

    private static long earlier(final long timer, final long deadline) {
        return timer == -1 || deadline - timer < 0 ? deadline : timer;
    }

    /**
     * The newest packet numbered below {@code below} that is worth a tail copy: in flight on the current path, not
     * covered by what the receiver acknowledged, not copied already (its range rides on its copy, which a later
     * pass may copy in turn), and sent at or after {@code notBeforeNs}; -1 when the scan
     * reaches an older packet (or the log's start) first. The caller walks down from the newest packet, passing
     * the last candidate it copied, so over a stream's tail each packet number is looked at about once.
     */
    public long tailCopyCandidate(final long below, final long notBeforeNs) {
        for (long pn = Math.min(below, log.next()) - 1; pn >= log.oldest(); pn--) {
            if (!log.isKnown(pn)) {
                continue;
            }
            if (log.sentNs(pn) - notBeforeNs < 0) {
                return -1;
            }
            if (log.isInFlight(pn) && log.epoch(pn) == epoch && !isCovered(pn) && !log.isCopied(pn)) {
                return pn;
            }
        }
        return -1;
    }

    /** A tail copy of {@code packetNumber} was sent: its acknowledgement may come from the copy's arrival. */
    public void onCopied(final long packetNumber) {
        log.markCopied(packetNumber);
    }

    /** Stream offset of the DATA packet {@code packetNumber} (in the log). */
    public long offsetOf(final long packetNumber) {
        return log.offset(packetNumber);
    }

    /** Payload length of the DATA packet {@code packetNumber} (in the log). */
    public int lengthOf(final long packetNumber) {
        return log.length(packetNumber);
    }

    /** Retransmission timeout: everything in flight that is not covered is lost. */
    public void onRto() {
        lossTimerNs = -1;
        for (long pn = log.oldest(); pn < log.next(); pn++) {
            if (log.isInFlight(pn)) {
                if (isCovered(pn)) {
                    acknowledge(pn);
                } else {
                    declareLost(pn);
                }
            }
        }
    }

    /** A new path: what is in flight now belongs to the old one. */
    public void switchEpoch() {
        oldEpochBytesInFlight += bytesInFlight;
        bytesInFlight = 0;
        epoch++;
        java.util.Arrays.fill(laneBytesInFlight, 0);
        java.util.Arrays.fill(lanePacketsInFlight, 0);
        java.util.Arrays.fill(laneAckedBytes, 0);
        java.util.Arrays.fill(laneLostBytes, 0);
        java.util.Arrays.fill(laneLargestLostSentNs, -1);
        java.util.Arrays.fill(trainState, TRAIN_ARMED);
        laneMode = false; // the old path's packets are judged by time only
    }

    /**
     * Diagnostics of lane mode: packets declared lost by the per-lane packet threshold, by time after a later packet
     * of their lane arrived, and as a lane's tail.
     */
    public long[] laneLossCauses() {
        return new long[] {laneLostByCount, laneLostByTime, laneLostByTail};
    }

    /** Whether a packet went on a lane other than 0 in this epoch (per-lane loss detection is on). */
    public boolean laneMode() {
        return laneMode;
    }

    /** Bytes in flight on lane {@code lane} of the current path. */
    public long laneBytesInFlight(final int lane) {
        return laneBytesInFlight[lane];
    }

    /** Bytes of lane {@code lane} newly acknowledged in the last calls (see {@link #resetFindings}). */
    public long laneAckedBytes(final int lane) {
        return laneAckedBytes[lane];
    }

    /** Bytes of lane {@code lane} newly declared lost in the last calls. */
    public long laneLostBytes(final int lane) {
        return laneLostBytes[lane];
    }

    /** Send time of the newest packet of lane {@code lane} found lost in the last calls, or -1. */
    public long laneLargestLostSentNs(final int lane) {
        return laneLargestLostSentNs[lane];
    }

    // ------------------------------------------------------------------ queries

    public boolean hasLoss() {
        return !lossQueue.isEmpty();
    }

    public long firstLossStart() {
        return lossQueue.start(0);
    }

    public long firstLossEnd() {
        return lossQueue.end(0);
    }

    /** True when the final length is known, not yet acknowledged, and no packet carrying FIN is in flight. */
    public boolean finNeeded() {
        return finalOffset >= 0 && !finAcked && finInFlight == 0;
    }

    public boolean finAcked() {
        return finAcked;
    }

    /** A packet carrying FIN has been sent (a FIN sent again is a retransmission). */
    public boolean finSent() {
        return finSent;
    }

    public long cumAcked() {
        return cumAcked;
    }

    public long largestAckedPacketNumber() {
        return largestAckedPn;
    }

    /** Bytes in flight on the current path. */
    public long bytesInFlight() {
        return bytesInFlight;
    }

    /** Bytes in flight on earlier paths. */
    public long oldEpochBytesInFlight() {
        return oldEpochBytesInFlight;
    }

    public int packetsInFlight() {
        return packetsInFlight;
    }

    public int epoch() {
        return epoch;
    }

    /** Deadline of the time-threshold loss check, or -1. */
    public long lossTimerNs() {
        return lossTimerNs;
    }

    /** Send time of a recorded packet number, or -1 when unknown. */
    public long sentNs(final long packetNumber) {
        return log.isKnown(packetNumber) ? log.sentNs(packetNumber) : -1;
    }

    /** Epoch a recorded packet was sent in, or -1. */
    public int epochOf(final long packetNumber) {
        return log.isKnown(packetNumber) ? log.epoch(packetNumber) : -1;
    }

    public long ackedBytes() {
        return ackedBytes;
    }

    public long lostBytes() {
        return lostBytes;
    }

    public long lostPackets() {
        return lostPackets;
    }

    /** Send time of the newest current-path packet found lost in the last call, or -1. */
    public long largestLostSentNs() {
        return largestLostSentNs;
    }

    /**
     * Bytes delivered over {@link #rateSampleIntervalNs()}: the delivery-rate sample of the newest-sent packet
     * acknowledged since {@link #resetFindings}, or 0 when none was.
     */
    public long rateSampleBytes() {
        return rateSampleBytes(0);
    }

    /** {@link #rateSampleBytes()} of lane {@code lane}. */
    public long rateSampleBytes(final int lane) {
        return ratePriorDelivered[lane] < 0 ? 0 : delivered[lane] - ratePriorDelivered[lane];
    }

    /** The sample's interval in ns: the longer of its send and ACK intervals; 0 when there is no sample. */
    public long rateSampleIntervalNs() {
        return rateSampleIntervalNs(0);
    }

    /** {@link #rateSampleIntervalNs()} of lane {@code lane}. */
    public long rateSampleIntervalNs(final int lane) {
        return ratePriorDelivered[lane] < 0 ? 0
            : Math.max(rateSendElapsedNs[lane], deliveredNs[lane] - ratePriorNs[lane]);
    }

    /**
     * Payload bytes the first flight's train on lane {@code lane} delivered over {@link #trainSampleIntervalNs},
     * found by the last calls (see {@link #resetFindings}); 0 when no train finished in them.
     */
    public long trainSampleBytes(final int lane) {
        return trainSampleBytes[lane];
    }

    /** Time from the train's first ACK to its last, in ns (0 = no sample). */
    public long trainSampleIntervalNs(final int lane) {
        return trainSampleNs[lane];
    }

    /** The round trip of the packet the train's first ACK acknowledged, in ns (0 = no sample). */
    public long trainSampleFirstRttNs(final int lane) {
        return trainSampleFirstRttNs[lane];
    }

    // ------------------------------------------------------------------ internals

    /** Clears what the last calls found (acked, lost); the engine calls it before each group of updates. */
    public void resetFindings() {
        ackedBytes = 0;
        lostBytes = 0;
        lostPackets = 0;
        largestLostSentNs = -1;
        if (laneMode) {
            java.util.Arrays.fill(laneAckedBytes, 0);
            java.util.Arrays.fill(laneLostBytes, 0);
            java.util.Arrays.fill(laneLargestLostSentNs, -1);
        } else {
            laneAckedBytes[0] = 0;
            laneLostBytes[0] = 0;
            laneLargestLostSentNs[0] = -1;
        }
        java.util.Arrays.fill(ratePriorDelivered, -1);
        java.util.Arrays.fill(trainSampleBytes, 0);
        java.util.Arrays.fill(trainSampleNs, 0);
        java.util.Arrays.fill(trainSampleFirstRttNs, 0);
    }

    /** A packet sent on {@code lane}: the lane's first flight on this path gathers its train. */
    private void joinTrain(final int lane, final long sequence, final long nowNs) {
        if (trainState[lane] == TRAIN_ARMED) {
            trainState[lane] = TRAIN_SENDING;
            trainFirstSequence[lane] = sequence;
            trainEndSequence[lane] = sequence;
            trainOutstanding[lane] = 0;
            trainSentNs[lane] = nowNs;
        }
        if (trainState[lane] == TRAIN_SENDING && trainEndSequence[lane] == sequence
            && nowNs - trainSentNs[lane] <= TRAIN_SEND_SPREAD_NS) {
            trainEndSequence[lane] = sequence + 1;
            trainOutstanding[lane]++;
        }
    }

    /** A current-path packet of {@code lane} was acknowledged ({@code acked}) or declared lost. */
    private void trainResolved(final int lane, final long pn, final boolean acked) {
        final byte state = trainState[lane];
        if (state != TRAIN_SENDING && state != TRAIN_MEASURING) {
            return;
        }
        final long sequence = log.laneSequence(pn);
        if (sequence < trainFirstSequence[lane] || sequence >= trainEndSequence[lane]) {
            if (acked && state == TRAIN_MEASURING) {
                finishTrain(lane); // a packet sent after the train arrived: the train is over
            }
            return;
        }
        trainOutstanding[lane]--;
        if (!acked) {
            if (state == TRAIN_SENDING) {
                trainState[lane] = TRAIN_DONE; // lost before any ACK came back (a timeout): no spacing to measure
                return;
            }
        } else if (state == TRAIN_SENDING) {
            // The first ACK marks the start: the spacing of what it acknowledges is unknown.
            trainState[lane] = TRAIN_MEASURING;
            trainStartAck[lane] = acks;
            trainPoints[lane] = 1;
            trainPointAck[lane] = acks;
            trainPointBytes[lane * TRAIN_POINTS] = 0;
            trainPointNs[lane * TRAIN_POINTS] = trainClockNs;
            trainFirstRttNs[lane] = trainClockNs - log.sentNs(pn);
        } else if (acks != trainStartAck[lane] && !log.isRetransmission(pn)) {
            // A retransmission may be covered by its original's late arrival, not by its own.
            final int base = lane * TRAIN_POINTS;
            if (acks != trainPointAck[lane]) {
                // A new ACK: a new point carrying on from the last, or once all are used the last one moves on.
                trainPointAck[lane] = acks;
                if (trainPoints[lane] < TRAIN_POINTS) {
                    trainPointBytes[base + trainPoints[lane]] = trainPointBytes[base + trainPoints[lane] - 1];
                    trainPoints[lane]++;
                }
                trainPointNs[base + trainPoints[lane] - 1] = trainClockNs;
            }
            trainPointBytes[base + trainPoints[lane] - 1] += log.length(pn);
        }
        // Its last packet acknowledged, the train is over: a packet of it still out is lost and adds nothing, and
        // waiting for it to be declared lost would hold the sample back a round trip.
        if (trainOutstanding[lane] == 0 || (acked && sequence == trainEndSequence[lane] - 1)) {
            finishTrain(lane);
        }
    }

    private void finishTrain(final int lane) {
        trainState[lane] = TRAIN_DONE;
        // A new send interval starts here, as after an idle spell: what the sender sends next (at the rate the
        // train found) must not be measured against the first flight's send times, a round trip and more ago,
        // or its delivery-rate samples read a half or a third of the rate for several rounds (seen in the lab).
        firstSentNs[lane] = clockNs;
        final int base = lane * TRAIN_POINTS;
        final int last = base + trainPoints[lane] - 1;
        final long bytes = trainPointBytes[last];
        final long spanNs = trainPointNs[last] - trainPointNs[base];
        if (bytes > 0 && spanNs > 0) {
            trainSampleBytes[lane] = bytes;
            final long median = medianGapRate(lane);
            trainSampleNs[lane] = median > 0 ? Math.max(1, bytes * 1_000_000_000L / median) : spanNs;
            trainSampleFirstRttNs[lane] = trainFirstRttNs[lane];
        }
    }

    /** Median rate between consecutive ACKs of the train in bytes per second, or 0 with fewer than three gaps. */
    private long medianGapRate(final int lane) {
        final int gaps = trainPoints[lane] - 1;
        if (gaps < 3) {
            return 0;
        }
        final int base = lane * TRAIN_POINTS;
        for (int k = 0; k < gaps; k++) {
            final long bytes = trainPointBytes[base + k + 1] - trainPointBytes[base + k];
            final long ns = trainPointNs[base + k + 1] - trainPointNs[base + k];
            gapRates[k] = ns <= 0 ? Long.MAX_VALUE : bytes * 1_000_000_000L / ns;
        }
        java.util.Arrays.sort(gapRates, 0, gaps);
        return gaps % 2 == 1 ? gapRates[gaps / 2] : gapRates[gaps / 2 - 1] / 2 + gapRates[gaps / 2] / 2;
    }

    private boolean isCovered(final long pn) {
        final long offset = log.offset(pn);
        final long end = offset + log.length(pn);
        final boolean bytes = end <= cumAcked || sacked.covers(Math.max(offset, cumAcked), end);
        return bytes && (!log.isFin(pn) || finAcked);
    }

    private void acknowledge(final long pn) {
        final int length = log.length(pn);
        final boolean fin = log.isFin(pn);
        final boolean current = log.epoch(pn) == epoch;
        log.clearInFlight(pn);
        packetsInFlight--;
        if (fin) {
            finInFlight--;
        }
        if (current) {
            final int lane = log.lane(pn);
            bytesInFlight -= length;
            ackedBytes += length;
            laneBytesInFlight[lane] -= length;
            lanePacketsInFlight[lane]--;
            laneAckedBytes[lane] += length;
            trainResolved(lane, pn, true);
            if (!log.isRetransmission(pn) && !log.isCopied(pn)) {
                // A retransmission may be covered by the late arrival of its original on another lane (and a copied
                // original by its copy's arrival): that says nothing about how far its own lane got, and taking it
                // as evidence would cascade.
                laneLargestAcked[lane] = Math.max(laneLargestAcked[lane], log.laneSequence(pn));
                if (laneMode && ackClockNs != -1) {
                    // Rises at once, decays by an eighth per sample: a lane thread descheduled for a while (a
                    // loaded machine) delays a whole batch, and its tail must not look lost the next time.
                    final long sample = Math.max(0, ackClockNs - log.sentNs(pn));
                    laneDelayNs[lane] = sample >= laneDelayNs[lane] ? sample
                        : laneDelayNs[lane] - (laneDelayNs[lane] >> 3) + (sample >> 3);
                }
            }
            delivered[lane] += length;
            deliveredNs[lane] = Math.max(deliveredNs[lane], clockNs);
            final long sent = log.sentNs(pn);
            if (ratePriorDelivered[lane] < 0 || sent - rateNewestSentNs[lane] > 0) {
                rateNewestSentNs[lane] = sent;
                ratePriorDelivered[lane] = log.deliveredAtSend(pn);
                ratePriorNs[lane] = log.deliveredNsAtSend(pn);
                rateSendElapsedNs[lane] = sent - log.firstSentNsAtSend(pn);
                firstSentNs[lane] = sent;
            }
        } else {
            oldEpochBytesInFlight -= length;
        }
    }

    private void declareLost(final long pn) {
        final long offset = log.offset(pn);
        final int length = log.length(pn);
        final long sent = log.sentNs(pn);
        final boolean fin = log.isFin(pn);
        final boolean current = log.epoch(pn) == epoch;
        log.clearInFlight(pn);
        packetsInFlight--;
        if (fin) {
            finInFlight--;
        }
        if (current) {
            final int lane = log.lane(pn);
            bytesInFlight -= length;
            lostBytes += length;
            lostPackets++;
            largestLostSentNs = Math.max(largestLostSentNs, sent);
            laneBytesInFlight[lane] -= length;
            lanePacketsInFlight[lane]--;
            laneLostBytes[lane] += length;
            laneLargestLostSentNs[lane] = Math.max(laneLargestLostSentNs[lane], sent);
            trainResolved(lane, pn, false);
        } else {
            oldEpochBytesInFlight -= length;
        }
        if (log.isCopied(pn)) {
            // Its tail copy carries the range under its own number: the copy's ACK covers it, the copy's loss
            // queues it. A repair now would duplicate a copy still on its way, e.g. when a probe timeout's ACK for
            // its heartbeat comes a moment before the ACK for the copy sent behind the heartbeat.
            return;
        }
        // Queue the parts of the range the receiver does not have.
        final long end = offset + length;
        long position = Math.max(offset, cumAcked);
        int i = sacked.firstEndingAfter(position);
        while (position < end) {
            if (i < sacked.size() && sacked.start(i) <= position) {
                position = sacked.end(i);
                i++;
                continue;
            }
            final long gapEnd = i < sacked.size() ? Math.min(end, sacked.start(i)) : end;
            lossQueue.addOrWiden(position, gapEnd);
            position = gapEnd;
        }
    }
}
