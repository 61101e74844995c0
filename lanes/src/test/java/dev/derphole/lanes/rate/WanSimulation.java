package dev.derphole.lanes.rate;

import java.util.ArrayDeque;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

import dev.derphole.lanes.repair.RangeSet;
import dev.derphole.lanes.repair.RttEstimator;
import dev.derphole.lanes.repair.Scoreboard;
import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.WireFormat;

/**
 * A deterministic packet-level simulation of one stream over the lab's emulated WAN link (perf-scripts/wan/wanem.c:
 * per direction random loss first, then a serialising link of {@code linkBytesPerSecond} IP bytes behind a
 * tail-drop queue, then a constant one-way delay), on a virtual clock. The sender is the real
 * {@link Scoreboard}, {@link RttEstimator}, {@link Pacer} and controller wired as {@code SendEngine} wires them
 * (loss detection by packet and time threshold, probe timeouts, retransmissions first, window and pacing); the
 * receiver acknowledges like {@code ReceiveEngine} (every 8 DATA packets and at once out of order, at most 32
 * ranges, newest first). Both can be made to stall at random (a descheduled thread: nothing happens for a while,
 * then everything that arrived is processed at once), which is what bunches ACKs on a loaded machine. Goodput
 * counts stream bytes that reached the receiver for the first time; the forward link's idle time says how much of
 * the link was left unused.
 * <p>
 * Used by tests only; not thread-safe. Allocates (events), which is fine here.
 */
final class WanSimulation {
    /** IP + UDP header bytes per datagram (IPv4). */
    static final int IP_UDP_OVERHEAD = 28;
    private static final int DATAGRAM = 1452;
    static final int PAYLOAD = DATAGRAM - WireFormat.DATA_OVERHEAD;
    private static final int ACK_EVERY = 8;
    private static final int MAX_ACK_RANGES = 32;
    private static final long MAX_ACK_DELAY_NS = 2_000_000L;
    private static final int REORDERING_THRESHOLD = 3;
    private static final int TIME_THRESHOLD_EIGHTHS = 9;
    private static final long LOSS_DELAY_FLOOR_NS = 1_000_000L;
    private static final int SEND_BURST_LIMIT = 64;

    /** The link and the sender's environment. */
    static final class Config {
        long linkBytesPerSecond = 25_000_000L;
        long oneWayDelayNs = 20_000_000L;
        long queueBytes = 1_000_000L;
        double dataLoss;
        double ackLoss;
        long seed = 1;
        /** Mean interval between sender stalls (0 = never stalls). */
        long stallEveryNs;
        /** Longest stall; each is uniform in [0, this]. */
        long maxStallNs;
        /** The same for the receiver: what arrives while it stalls is processed (and acknowledged) at once after. */
        long receiverStallEveryNs;
        long receiverMaxStallNs;
        /** The controller's initial window, in datagrams. */
        int initialWindowPackets = 10;
        /** The path's RTT as its validating probe measured it (0 = none), as a promoted direct path brings. */
        long rttHintNs;

        Config loss(final double fraction) {
            dataLoss = fraction;
            ackLoss = fraction;
            return this;
        }
    }

    /** What a run measured. */
    static final class Result {
        long deliveredBytes;
        long sentPayloadBytes;
        long retransmittedBytes;
        long randomLosses;
        long queueDrops;
        long dataPackets;
        long congestionEvents;
        long duplicatePackets;
        double idleSeconds;
        double seconds;

        double goodputBytesPerSecond() {
            return deliveredBytes / seconds;
        }

        /** Goodput as a fraction of the link's IP rate (the lab's "% of the link"). */
        double linkFraction(final long linkBytesPerSecond) {
            return goodputBytesPerSecond() / linkBytesPerSecond;
        }

        double retransmittedFraction() {
            return sentPayloadBytes == 0 ? 0 : (double)retransmittedBytes / sentPayloadBytes;
        }

        @Override
        public String toString() {
            return String.format("goodput=%.2f MB/s retransmitted=%.2f%% randomLosses=%d queueDrops=%d packets=%d"
                + " congestionEvents=%d duplicates=%d linkIdle=%.1fms", goodputBytesPerSecond() / 1e6,
                100 * retransmittedFraction(), randomLosses, queueDrops, dataPackets, congestionEvents,
                duplicatePackets, idleSeconds * 1e3);
        }
    }

    private enum Kind {
        DATA_ARRIVES, ACK_TIMER, ACK_ARRIVES, SENDER_WAKE, RECEIVER_WAKE
    }

    private record Event(long timeNs, long seq, Kind kind, long packetNumber, long offset, int length,
        AckFrame ack) {
    }

    /** One direction of wanem: loss, then the serialising link behind its queue, then the delay. */
    private static final class Link {
        private final double nsPerByte;
        private final long queueBytes;
        private final long delayNs;
        private final double loss;
        private final SplittableRandom random;
        private double txEndNs;
        long lost;
        long dropped;
        /** Time the link had nothing to send (it waited for a packet), in ns. */
        double idleNs;

        Link(final Config c, final double loss, final long seed) {
            this.nsPerByte = 1e9 / c.linkBytesPerSecond;
            this.queueBytes = c.queueBytes;
            this.delayNs = c.oneWayDelayNs;
            this.loss = loss;
            this.random = new SplittableRandom(seed);
        }

        /** Arrival time at the far end, or -1 when the packet is lost or dropped. */
        long carry(final long nowNs, final int ipBytes) {
            if (loss > 0 && random.nextDouble() < loss) {
                lost++;
                return -1;
            }
            if (nowNs > txEndNs && txEndNs > 0) {
                idleNs += nowNs - txEndNs;
            }
            final double start = Math.max(txEndNs, nowNs);
            if ((start - nowNs) / nsPerByte + ipBytes > queueBytes) {
                dropped++;
                return -1;
            }
            txEndNs = start + ipBytes * nsPerByte;
            return (long)txEndNs + delayNs;
        }
    }

    private final Config config;
    private final CongestionControl controller;
    private final PriorityQueue<Event> events = new PriorityQueue<>(
        (x, y) -> x.timeNs != y.timeNs ? Long.compare(x.timeNs, y.timeNs) : Long.compare(x.seq, y.seq));
    private final Link forward;
    private final Link backward;
    private final SplittableRandom stalls;
    private final SplittableRandom receiverStalls;
    private long receiverBusyUntilNs;
    private long nextReceiverStallNs;
    private boolean receiverWakeScheduled;
    private final ArrayDeque<Event> pendingData = new ArrayDeque<>();
    private long seq;
    private long nowNs = 1_000_000_000L;

    // sender
    private final Scoreboard scoreboard = new Scoreboard(1 << 16, 1 << 16);
    private final RttEstimator rtt = new RttEstimator(1_000_000_000L, 50_000_000L, 10_000_000_000L);
    private final Pacer pacer = new Pacer();
    private final CongestionSample sample = new CongestionSample();
    private final CongestionDecision decision = new CongestionDecision();
    private long nextPacketNumber;
    private long sendNext;
    private long probeDeadlineNs;
    private int probeCount;
    private long senderBusyUntilNs;
    private long nextStallNs;
    private boolean wakeScheduled;
    private long wakeAtNs = Long.MAX_VALUE;
    private final ArrayDeque<Event> pendingAcks = new ArrayDeque<>();

    // receiver
    private final RangeSet received = new RangeSet(1 << 15);
    private long contiguous;
    /** Stream bytes that arrived for the first time (in order or not): goodput without the wait for repairs. */
    private long uniqueBytes;
    private long lastArrivalOffset = -1;
    private long largestReceived = -1;
    /** End of the highest stream byte received. */
    private long highestEnd;
    private long largestReceivedAtNs;
    private int packetsSinceAck;
    private boolean ackTimerSet;
    private boolean ackNow;

    private final Result result = new Result();

    WanSimulation(final Config config, final CongestionControl controller) {
        this.config = config;
        this.controller = controller;
        this.forward = new Link(config, config.dataLoss, config.seed * 7 + 1);
        this.backward = new Link(config, config.ackLoss, config.seed * 13 + 5);
        this.stalls = new SplittableRandom(config.seed * 31 + 3);
        this.receiverStalls = new SplittableRandom(config.seed * 37 + 11);
        nextReceiverStallNs = config.receiverStallEveryNs > 0
            ? nowNs + receiverStalls.nextLong(2 * config.receiverStallEveryNs) : Long.MAX_VALUE;
        if (config.rttHintNs > 0) {
            rtt.update(config.rttHintNs, 0);
        }
        controller.reset(PAYLOAD, (long)config.initialWindowPackets * PAYLOAD, decision);
        pacer.configure(decision.pacingBytesPerSecond, decision.burstBytes, nowNs);
        nextStallNs = config.stallEveryNs > 0 ? nowNs + stalls.nextLong(2 * config.stallEveryNs) : Long.MAX_VALUE;
        wakeAt(nowNs);
    }

    /** The decision the controller made last. */
    CongestionDecision decision() {
        return decision;
    }

    /**
     * Runs for {@code ns} of virtual time and returns what happened in it (counters since the previous call); the
     * delivered bytes are those that reached the receiver for the first time, so a repair still on its way at
     * either end of the interval does not move bytes from one interval to the next.
     */
    Result run(final long ns) {
        final long endNs = nowNs + ns;
        final long deliveredBefore = uniqueBytes;
        final long sentBefore = result.sentPayloadBytes;
        final long retransmittedBefore = result.retransmittedBytes;
        final long lostBefore = forward.lost;
        final long droppedBefore = forward.dropped;
        final long packetsBefore = result.dataPackets;
        final long eventsBefore = result.congestionEvents;
        final long duplicatesBefore = result.duplicatePackets;
        final double idleBefore = forward.idleNs;
        while (!events.isEmpty() && events.peek().timeNs <= endNs) {
            final Event e = events.poll();
            nowNs = Math.max(nowNs, e.timeNs);
            switch (e.kind) {
                case DATA_ARRIVES -> onDataArrives(e);
                case ACK_TIMER -> onAckTimer();
                case ACK_ARRIVES -> onAckArrives(e);
                case SENDER_WAKE -> onSenderWake(e);
                case RECEIVER_WAKE -> onReceiverWake();
            }
        }
        nowNs = endNs;
        final Result r = new Result();
        r.seconds = ns / 1e9;
        r.deliveredBytes = uniqueBytes - deliveredBefore;
        r.sentPayloadBytes = result.sentPayloadBytes - sentBefore;
        r.retransmittedBytes = result.retransmittedBytes - retransmittedBefore;
        r.randomLosses = forward.lost - lostBefore;
        r.queueDrops = forward.dropped - droppedBefore;
        r.dataPackets = result.dataPackets - packetsBefore;
        r.congestionEvents = result.congestionEvents - eventsBefore;
        r.duplicatePackets = result.duplicatePackets - duplicatesBefore;
        r.idleSeconds = (forward.idleNs - idleBefore) / 1e9;
        return r;
    }

    private void schedule(final long atNs, final Kind kind, final long packetNumber, final long offset,
        final int length, final AckFrame ack) {
        events.add(new Event(atNs, seq++, kind, packetNumber, offset, length, ack));
    }

    // ------------------------------------------------------------------ sender

    /** Whether the sender thread is running at {@code nowNs}; if not, it catches up when it next runs. */
    private boolean senderRunnable() {
        if (nowNs >= nextStallNs) {
            senderBusyUntilNs = nowNs + stalls.nextLong(config.maxStallNs + 1);
            nextStallNs = senderBusyUntilNs + stalls.nextLong(2 * config.stallEveryNs);
        }
        if (nowNs < senderBusyUntilNs) {
            wakeAt(senderBusyUntilNs);
            return false;
        }
        return true;
    }

    private void onAckArrives(final Event e) {
        pendingAcks.add(e);
        if (senderRunnable()) {
            senderCycle();
        }
    }

    private void onSenderWake(final Event e) {
        if (!wakeScheduled || e.timeNs != wakeAtNs) {
            return; // superseded by an earlier wake
        }
        wakeScheduled = false;
        wakeAtNs = Long.MAX_VALUE;
        if (senderRunnable()) {
            senderCycle();
        }
    }

    private void wakeAt(final long atNs) {
        if (wakeScheduled && wakeAtNs <= atNs) {
            return;
        }
        wakeScheduled = true;
        wakeAtNs = atNs;
        schedule(atNs, Kind.SENDER_WAKE, 0, 0, 0, null);
    }

    private void senderCycle() {
        while (!pendingAcks.isEmpty()) {
            onAck(pendingAcks.poll().ack);
        }
        final long lossTimer = scoreboard.lossTimerNs();
        if (lossTimer != -1 && nowNs - lossTimer >= 0) {
            scoreboard.resetFindings();
            detectLosses();
            feed(false);
        }
        if (probeDeadlineNs != 0 && nowNs - probeDeadlineNs >= 0) {
            onProbeTimeout();
        }
        sendBurst();
        long wake = Long.MAX_VALUE;
        if (scoreboard.lossTimerNs() != -1) {
            wake = Math.min(wake, scoreboard.lossTimerNs());
        }
        if (probeDeadlineNs != 0) {
            wake = Math.min(wake, probeDeadlineNs);
        }
        if (wake != Long.MAX_VALUE) {
            wakeAt(Math.max(wake, nowNs + 1));
        }
    }

    private void onAck(final AckFrame ack) {
        final long previousCumulative = scoreboard.cumAcked();
        final long previousLargest = scoreboard.largestAckedPacketNumber();
        scoreboard.resetFindings();
        if (!scoreboard.onAck(ack, nextPacketNumber, nowNs)) {
            throw new IllegalStateException("the simulated receiver sent an impossible ACK");
        }
        if ((ack.flags & WireFormat.ACK_FLAG_HAS_ECHO) != 0 && ack.largestPacketNumber > previousLargest) {
            rtt.update(nowNs - scoreboard.sentNs(ack.largestPacketNumber), ack.ackDelayMicros * 1000L);
        }
        detectLosses();
        feed(false);
        if (scoreboard.cumAcked() > previousCumulative || scoreboard.ackedBytes() > 0) {
            probeCount = 0;
            probeDeadlineNs = scoreboard.packetsInFlight() > 0 ? nowNs + probeTimeoutNs() : 0;
        }
    }

    private void detectLosses() {
        scoreboard.detectLosses(nowNs, rtt.lossDelayNs(LOSS_DELAY_FLOOR_NS, 1_000_000_000L, TIME_THRESHOLD_EIGHTHS),
            0, REORDERING_THRESHOLD);
    }

    private void feed(final boolean rto) {
        sample.nowNs = nowNs;
        sample.ackedBytes = scoreboard.ackedBytes();
        sample.lostBytes = scoreboard.lostBytes();
        sample.largestLostSentNs = scoreboard.largestLostSentNs();
        sample.rto = rto;
        sample.consecutiveTimeouts = 0;
        sample.smoothedRttNs = rtt.smoothedNs();
        sample.latestRttNs = rtt.latestNs();
        sample.minRttNs = rtt.minNs();
        sample.bytesInFlight = scoreboard.bytesInFlight();
        sample.deliveredBytes = scoreboard.rateSampleBytes();
        sample.deliveryIntervalNs = scoreboard.rateSampleIntervalNs();
        sample.trainBytes = scoreboard.trainSampleBytes(0);
        sample.trainIntervalNs = scoreboard.trainSampleIntervalNs(0);
        sample.trainFirstRttNs = scoreboard.trainSampleFirstRttNs(0);
        sample.appLimited = false;
        if (sample.ackedBytes == 0 && sample.lostBytes == 0 && !rto) {
            return;
        }
        controller.update(sample, decision);
        if (decision.congestionEvent) {
            result.congestionEvents++;
        }
        pacer.configure(decision.pacingBytesPerSecond, decision.burstBytes, nowNs);
    }

    private long probeTimeoutNs() {
        return rtt.rtoNs() + MAX_ACK_DELAY_NS;
    }

    private void onProbeTimeout() {
        if (scoreboard.packetsInFlight() == 0) {
            probeDeadlineNs = 0;
            return;
        }
        probeCount++;
        rtt.backOff();
        if (probeCount >= 3) {
            scoreboard.resetFindings();
            scoreboard.onRto();
            feed(true);
            probeCount = 0;
        } else {
            // An ack-eliciting HEARTBEAT: the receiver answers at once.
            final long pn = nextPacketNumber++;
            scoreboard.onControlSent(pn, nowNs);
            sendDatagram(pn, -1, 0, 10 + 16);
        }
        probeDeadlineNs = nowNs + probeTimeoutNs();
    }

    private void sendBurst() {
        for (int sent = 0; sent < SEND_BURST_LIMIT; sent++) {
            final long pn = nextPacketNumber;
            if (!scoreboard.canSendData(pn)) {
                return;
            }
            final long start;
            final int length;
            final boolean retransmission = scoreboard.hasLoss();
            if (retransmission) {
                start = scoreboard.firstLossStart();
                length = (int)Math.min(scoreboard.firstLossEnd() - start, PAYLOAD);
            } else {
                start = sendNext;
                length = PAYLOAD;
            }
            final long inFlight = scoreboard.bytesInFlight();
            if (inFlight > 0 && inFlight + length > decision.windowBytes) {
                return;
            }
            final int datagram = length + WireFormat.DATA_OVERHEAD;
            final long delay = pacer.delayNs(nowNs, datagram);
            if (delay > 0) {
                wakeAt(nowNs + delay);
                return;
            }
            nextPacketNumber++;
            scoreboard.onDataSent(pn, start, length, false, retransmission, nowNs);
            if (retransmission) {
                scoreboard.takeLoss(start, start + length);
                result.retransmittedBytes += length;
            } else {
                sendNext = start + length;
            }
            pacer.onSent(nowNs, datagram);
            result.sentPayloadBytes += length;
            result.dataPackets++;
            if (probeDeadlineNs == 0) {
                probeDeadlineNs = nowNs + probeTimeoutNs();
            }
            sendDatagram(pn, start, length, datagram);
        }
        // The burst limit: the engine looks at ACKs again, then goes on at once.
        wakeAt(nowNs);
    }

    private void sendDatagram(final long pn, final long offset, final int length, final int datagram) {
        final long arrival = forward.carry(nowNs, datagram + IP_UDP_OVERHEAD);
        if (arrival >= 0) {
            schedule(arrival, Kind.DATA_ARRIVES, pn, offset, length, null);
        }
    }

    // ------------------------------------------------------------------ receiver

    private void onDataArrives(final Event e) {
        if (nowNs >= nextReceiverStallNs) {
            receiverBusyUntilNs = nowNs + receiverStalls.nextLong(config.receiverMaxStallNs + 1);
            nextReceiverStallNs = receiverBusyUntilNs + receiverStalls.nextLong(2 * config.receiverStallEveryNs);
        }
        if (nowNs < receiverBusyUntilNs) {
            pendingData.add(e);
            if (!receiverWakeScheduled) {
                receiverWakeScheduled = true;
                schedule(receiverBusyUntilNs, Kind.RECEIVER_WAKE, 0, 0, 0, null);
            }
            return;
        }
        receive(e);
    }

    private void onReceiverWake() {
        receiverWakeScheduled = false;
        while (!pendingData.isEmpty()) {
            receive(pendingData.poll());
        }
    }

    private void receive(final Event e) {
        if (e.packetNumber > largestReceived) {
            largestReceived = e.packetNumber;
            largestReceivedAtNs = nowNs;
        }
        if (e.offset < 0) {
            ackNow = true; // a HEARTBEAT
        } else {
            if (e.offset != highestEnd) {
                ackNow = true; // out of order: a new gap or a repair
            }
            highestEnd = Math.max(highestEnd, e.offset + e.length);
            final long low = Math.max(e.offset, contiguous);
            final long high = e.offset + e.length;
            if (low < high) {
                final long added = received.add(low, high);
                uniqueBytes += added;
                lastArrivalOffset = low;
                if (added == 0) {
                    ackNow = true;
                    result.duplicatePackets++;
                }
                if (received.start(0) == contiguous) {
                    contiguous = received.end(0);
                    received.removeBelow(contiguous);
                }
            } else {
                ackNow = true; // a duplicate
                result.duplicatePackets++;
            }
            packetsSinceAck++;
        }
        if (ackNow || packetsSinceAck >= ACK_EVERY) {
            sendAck();
        } else if (!ackTimerSet) {
            ackTimerSet = true;
            schedule(nowNs + MAX_ACK_DELAY_NS, Kind.ACK_TIMER, 0, 0, 0, null);
        }
    }

    private void onAckTimer() {
        ackTimerSet = false;
        if (packetsSinceAck > 0) {
            sendAck();
        }
    }

    private void sendAck() {
        final AckFrame ack = new AckFrame();
        ack.flags = WireFormat.ACK_FLAG_HAS_ECHO;
        ack.largestPacketNumber = largestReceived;
        ack.ackDelayMicros = (nowNs - largestReceivedAtNs) / 1000;
        ack.cumulative = contiguous;
        ack.maxOffset = Long.MAX_VALUE / 2;
        // The range holding the newest arrival first, then the highest ranges downwards (as ReceiveEngine).
        int count = 0;
        final int newest = lastArrivalOffset >= contiguous ? received.indexContaining(lastArrivalOffset) : -1;
        if (newest >= 0) {
            ack.rangeStart[count] = received.start(newest);
            ack.rangeEnd[count] = received.end(newest);
            count++;
        }
        for (int i = received.size() - 1; i >= 0 && count < MAX_ACK_RANGES; i--) {
            if (i != newest) {
                ack.rangeStart[count] = received.start(i);
                ack.rangeEnd[count] = received.end(i);
                count++;
            }
        }
        ack.rangeCount = count;
        packetsSinceAck = 0;
        ackNow = false;
        final long arrival = backward.carry(nowNs, WireFormat.PACKET_OVERHEAD + ack.length() + IP_UDP_OVERHEAD);
        if (arrival >= 0) {
            schedule(arrival, Kind.ACK_ARRIVES, 0, 0, 0, ack);
        }
    }
}
