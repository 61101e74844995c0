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
 * After each {@link #onAck}, {@link #detectLosses} or {@link #onRto} the counters {@link #ackedBytes()},
 * {@link #lostBytes()} and {@link #largestLostSentNs()} describe what that call found on the current path,
 * for the congestion controller, together with a delivery-rate sample ({@link #rateSampleBytes()} over
 * {@link #rateSampleIntervalNs()}) after draft-cheng-iccrg-delivery-rate-estimation: each DATA packet remembers
 * how much had been delivered when it was sent; when it is acknowledged, the bytes delivered since then divided
 * by the longer of its send interval and its ACK interval is the rate the path delivered over about one round
 * trip. Taking the longer interval is what keeps ACKs that arrive bunched (a descheduled sender thread, a
 * receiver acknowledging in batches) from reading as more bandwidth than the sender ever put on the path.
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation after construction.
 */
public final class Scoreboard {
    /** Packet numbers kept free in the log for control packets (heartbeats, aborts) when data fills it. */
    public static final int CONTROL_RESERVE = 1024;

    private final SentPacketLog log;
    private final RangeSet sacked;
    private final RangeSet lossQueue;
    private long cumAcked;
    private long highestSent;
    private long largestAckedPn = -1;
    private long finalOffset = -1;
    private boolean finAcked;
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

    /** Delivery-rate state on the current path: bytes acknowledged, when that last grew, send-interval start. */
    private long delivered;
    private long deliveredNs;
    private long firstSentNs;
    /** The clock of the last {@link #onAck} or {@link #detectLosses}. */
    private long clockNs;
    /** The newest-sent packet acknowledged since {@link #resetFindings}: its delivery state at send, or -1. */
    private long rateNewestSentNs;
    private long ratePriorDelivered = -1;
    private long ratePriorNs;
    private long rateSendElapsedNs;

    /**
     * @param maxPacketsInFlight log capacity (power of two)
     * @param maxRanges          capacity of the selective-ack and loss range sets
     */
    public Scoreboard(final int maxPacketsInFlight, final int maxRanges) {
        this.log = new SentPacketLog(maxPacketsInFlight);
        this.sacked = new RangeSet(maxRanges);
        this.lossQueue = new RangeSet(maxRanges);
    }

    // ------------------------------------------------------------------ sending

    /** True when a DATA packet with this number fits in the log. */
    public boolean canSendData(final long packetNumber) {
        return log.hasRoom(packetNumber, CONTROL_RESERVE);
    }

    /** Records a DATA packet just handed to the path. */
    public void onDataSent(
        final long packetNumber, final long offset, final int length, final boolean fin, final boolean retransmission,
        final long nowNs) {
        if (bytesInFlight == 0) {
            // Nothing in flight: a new send interval starts now (an idle gap is not delivery time).
            firstSentNs = nowNs;
            deliveredNs = nowNs;
        }
        log.recordData(packetNumber, offset, length, fin, retransmission, epoch, nowNs, delivered, deliveredNs,
            firstSentNs);
        bytesInFlight += length;
        packetsInFlight++;
        highestSent = Math.max(highestSent, offset + length);
        if (fin) {
            finalOffset = offset + length;
            finInFlight++;
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
    public boolean onAck(final AckFrame ack, final long nextPacketNumber, final long nowNs) {
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

    public long cumAcked() {
        return cumAcked;
    }

    public long highestSent() {
        return highestSent;
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
        return ratePriorDelivered < 0 ? 0 : delivered - ratePriorDelivered;
    }

    /** The sample's interval in ns: the longer of its send and ACK intervals; 0 when there is no sample. */
    public long rateSampleIntervalNs() {
        return ratePriorDelivered < 0 ? 0 : Math.max(rateSendElapsedNs, deliveredNs - ratePriorNs);
    }

    // ------------------------------------------------------------------ internals

    /** Clears what the last calls found (acked, lost); the engine calls it before each group of updates. */
    public void resetFindings() {
        ackedBytes = 0;
        lostBytes = 0;
        lostPackets = 0;
        largestLostSentNs = -1;
        ratePriorDelivered = -1;
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
            bytesInFlight -= length;
            ackedBytes += length;
            delivered += length;
            deliveredNs = Math.max(deliveredNs, clockNs);
            final long sent = log.sentNs(pn);
            if (ratePriorDelivered < 0 || sent - rateNewestSentNs > 0) {
                rateNewestSentNs = sent;
                ratePriorDelivered = log.deliveredAtSend(pn);
                ratePriorNs = log.deliveredNsAtSend(pn);
                rateSendElapsedNs = sent - log.firstSentNsAtSend(pn);
                firstSentNs = sent;
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
            bytesInFlight -= length;
            lostBytes += length;
            lostPackets++;
            largestLostSentNs = Math.max(largestLostSentNs, sent);
        } else {
            oldEpochBytesInFlight -= length;
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
