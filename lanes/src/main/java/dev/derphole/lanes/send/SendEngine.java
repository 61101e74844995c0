package dev.derphole.lanes.send;

import static dev.derphole.lanes.wire.WireFormat.DATA_OVERHEAD;
import static dev.derphole.lanes.wire.WireFormat.DATA_PAYLOAD_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.DATA_STREAM_OFFSET_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.HEADER_LENGTH;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamException.Reason;
import dev.derphole.lanes.StreamKeys;
import dev.derphole.lanes.StreamListener;
import dev.derphole.lanes.engine.ByteRing;
import dev.derphole.lanes.engine.Control;
import dev.derphole.lanes.engine.EngineCommands;
import dev.derphole.lanes.engine.Inbox;
import dev.derphole.lanes.engine.PeerLeftWatch;
import dev.derphole.lanes.engine.Signal;
import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.rate.BbrController;
import dev.derphole.lanes.rate.CongestionDecision;
import dev.derphole.lanes.rate.CongestionSample;
import dev.derphole.lanes.rate.CubicController;
import dev.derphole.lanes.rate.Pacer;
import dev.derphole.lanes.repair.RttEstimator;
import dev.derphole.lanes.repair.Scoreboard;
import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.Truncated;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/**
 * The sending half of the stream engine. {@link #run} executes the engine loop on the calling thread, which
 * owns all sender state: the scoreboard, timers, congestion controller, pacer and sealing. Other threads talk
 * to it only through the inbound {@link Inbox} (datagrams), the send {@link ByteRing} (source bytes, filled by
 * the {@link SourceReader} thread) and two volatile commands ({@link #switchPath}, {@link #abort}); each of
 * them signals the loop, which otherwise parks until its next timer.
 * <p>
 * One cycle: apply commands, drain up to {@link #INBOX_DRAIN_LIMIT} datagrams (ACKs update the scoreboard, RTT
 * and window), run timers (loss timer, RTO, heartbeat, peer timeout), then send up to {@link #SEND_BURST_LIMIT}
 * DATA packets: ranges declared lost first, then new bytes, within the congestion window, the pacer and the
 * receiver's credit. The transfer ends when the receiver reports every byte delivered; then two CLOSE packets
 * go out and {@link #run} returns.
 */
public final class SendEngine {
    /** Datagrams drained from the inbox per cycle. */
    private static final int INBOX_DRAIN_LIMIT = 256;
    /** Cycles in a row that may skip timers and sending while the inbox still holds more than one drain. */
    private static final int MAX_BACKLOG_CYCLES = 4;
    /** DATA packets sent per cycle before ACKs are looked at again. */
    private static final int SEND_BURST_LIMIT = 64;
    /** ABORT packets sent when failing (no acknowledgement for them). */
    private static final int ABORT_REPEATS = 3;
    /** CLOSE packets sent after the final ACK. */
    private static final int CLOSE_REPEATS = 2;
    /** Floor of the time-threshold loss delay (RFC 9002 kGranularity). */
    private static final long LOSS_DELAY_FLOOR_NS = 1_000_000L;
    /** Longest park of the loop; timers are usually sooner. */
    private static final long MAX_PARK_NS = 100_000_000L;
    /** Shortest heartbeat interval while waiting for the final ACK. */
    private static final long DRAIN_PROBE_MIN_NS = 20_000_000L;
    /** Unanswered probe timeouts in a row before everything in flight is declared lost (RFC 9002 §7.6). */
    private static final int PERSISTENT_CONGESTION_PROBES = 3;
    /** Ceiling of the adaptive reordering threshold, in packets. */
    private static final int MAX_REORDERING_THRESHOLD = 256;
    /** Time threshold to start with, in eighths of an RTT (RFC 9002 kTimeThreshold = 9/8). */
    private static final int INITIAL_TIME_THRESHOLD_EIGHTHS = 9;
    /** Step and ceiling of the adaptive time threshold, in eighths of an RTT (RACK reo_wnd growth). */
    private static final int TIME_THRESHOLD_STEP_EIGHTHS = 2;
    private static final int MAX_TIME_THRESHOLD_EIGHTHS = 32;
    /**
     * Bytes of one extra lane's batch buffer (at least one largest datagram): {@link LaneSender#BATCHES} of them
     * per lane, so 1 MiB of heap per lane.
     */
    private static final int LANE_BATCH_BYTES = 256 << 10;
    /** Inbox bytes per path: ~1,800 slots of 576 bytes (the receiver's largest datagram), a deep ACK backlog. */
    private static final int INBOUND_BYTES_PER_PATH = 1 << 20;
    /** Selective/loss range capacity. */
    private static final int MAX_RANGES = 1 << 16;

    private final StreamConfig config;
    private final StreamCounters counters;
    private final StreamListener listener;
    private final Signal signal;
    private final Inbox inbox;
    private final PacketCodec codec;
    private final ByteRing ring;
    private final Scoreboard scoreboard;
    private final RttEstimator rtt;
    private final CubicController cubic;
    private final BbrController bbr;
    /** Lane 0: the current path, sent on by this thread; its controller is {@link #cubic} or {@link #bbr}. */
    private final Lane lane0;
    /** Lane 0 and the extra lanes in use ({@link #laneCount} of them), by position; lane 0 first. */
    private final Lane[] lanes = new Lane[Scoreboard.MAX_LANES];
    private int laneCount;
    /** Which lane gets the first chance in the next cycle (round robin, so no lane starves the others). */
    private int nextLane;
    private final AtomicReference<LaneRequest> pendingLanes = new AtomicReference<>();
    private LaneRequest requestedLanes;
    /** Packets handed to each lane index (gauge for tests and status lines). */
    private final AtomicLongArray lanePackets = new AtomicLongArray(Scoreboard.MAX_LANES);
    private final AckFrame ack = new AckFrame();
    private final byte[] tx = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
    private final byte[] rx = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
    private final EngineCommands commands;
    private final long peerTimeoutNs;
    private final PeerLeftWatch peerLeftWatch;
    private final long heartbeatNs;
    private final long maxAckDelayNs;

    private PacketPath path;
    private boolean pathFailed;
    private IOException pathError;
    private long pathFailedAtNs;
    private volatile int activeLaneCount = 1;
    private SourceReader reader;
    private long sendNext;
    private long finalOffset = -1;
    /**
     * Tail copies ({@link #nextTailCopy}): -1 until the stream's last byte was sent, then the packet number below
     * which the next copy is looked for (0 once done).
     */
    private long tailCursor = -1;
    /** Which pass over the tail {@link #tailCursor} is in: 1 copies the originals, 2 the copies. */
    private int tailPass;
    /** Packets sent before this time get no tail copy (a round trip before the tail began). */
    private long tailFloorNs;
    private long credit = StreamConfig.MIN_RECEIVE_WINDOW;
    private boolean deliveredAll;
    private boolean firstAck = true;
    private long lastHeardNs;
    private long lastSendNs;
    private long probeDeadlineNs;
    private long pacingWaitNs;
    private long oldEpochLossDelayNs;
    private long released;
    private int reorderingThreshold;
    private int timeThresholdEighths = INITIAL_TIME_THRESHOLD_EIGHTHS;
    private long peerDuplicateBytes;
    private long episodeLostBytes;
    private long episodeDuplicateBytes;
    private long thresholdRaisedAtNs;
    private int consecutiveTimeouts;
    private int probeCount;
    private boolean dataLimited;
    private int backlogCycles;

    /**
     * @param config   tuning
     * @param keys     stream keys (we seal with sender-to-receiver, open receiver-to-sender)
     * @param path     the first path; its handler is installed now
     * @param counters where everything is counted
     * @param listener milestone callbacks (engine thread)
     */
    public SendEngine(
        final StreamConfig config, final StreamKeys keys, final PacketPath path, final StreamCounters counters,
        final StreamListener listener) {
        this.config = config;
        this.counters = counters;
        this.listener = listener;
        this.signal = new Signal();
        // Only ACKs, HEARTBEATs and ABORTs come in: small slots, and a small share of the budget per path (each lane
        // is a path; with 64 KiB slots five paths held 40 MiB of heap for a few KiB of ACKs).
        this.inbox = new Inbox(counters, signal,
            Math.min(config.inboundBytesPerPath(), INBOUND_BYTES_PER_PATH), WireFormat.MAX_RECEIVER_DATAGRAM_LENGTH);
        this.commands = new EngineCommands(config, inbox, signal);
        final byte[] sealKey = keys.senderToReceiverKey();
        final byte[] openKey = keys.receiverToSenderKey();
        this.codec = new PacketCodec(
            sealKey, keys.senderToReceiverPrefix(), openKey, keys.receiverToSenderPrefix(), counters);
        java.util.Arrays.fill(sealKey, (byte)0);
        java.util.Arrays.fill(openKey, (byte)0);
        this.ring = new ByteRing(config.sendBufferBytes());
        this.scoreboard = new Scoreboard(config.maxPacketsInFlight(), MAX_RANGES);
        this.rtt = new RttEstimator(
            config.initialRto().toNanos(), config.minRto().toNanos(), config.maxRto().toNanos());
        this.cubic = new CubicController(config.minWindowPackets(), config.sendBufferBytes(), config.lossTolerance());
        this.bbr = new BbrController(config.sendBufferBytes(), config.maxAckDelay().toNanos());
        this.lane0 = new Lane(0, path, null, cubic);
        lanes[0] = lane0;
        laneCount = 1;
        this.peerTimeoutNs = config.peerTimeout().toNanos();
        this.peerLeftWatch = new PeerLeftWatch(peerTimeoutNs);
        this.heartbeatNs = config.heartbeatInterval().toNanos();
        this.maxAckDelayNs = config.maxAckDelay().toNanos();
        this.reorderingThreshold = config.reorderingThreshold();
        commands.attachPath(path);
        this.path = path;
    }

    /** From any thread: from now on send on {@code newPath}; its handler is installed at once. */
    public void switchPath(final PacketPath newPath) {
        commands.switchPath(newPath);
    }

    /** From any thread: accept packets from {@code path} as well (its handler is installed at once). */
    public void attachPath(final PacketPath path) {
        commands.attachPath(path);
    }

    /** From any thread: fail the stream, telling the peer {@code reason}. */
    public void abort(final String reason) {
        commands.abort(reason);
    }

    /** Any thread: the peer left the relay; fail early if it stays silent ({@link PeerLeftWatch}). */
    public void peerLeft() {
        commands.peerLeft();
    }

    /**
     * From any thread: while the engine sends on {@code primary} (lane 0), also send on {@code extra} (lanes 1
     * and up, each with its own thread, pacer and rate controller). Replaces any earlier set; an empty list leaves
     * lane 0 alone. On another path (the relay after a fallback) the extra lanes rest, and they are used again when
     * the engine switches back to {@code primary}. Their handlers are installed at once.
     */
    public void useLanes(final PacketPath primary, final List<PacketPath> extra) {
        if (extra.size() > Scoreboard.MAX_LANES - 1) {
            throw new IllegalArgumentException("at most " + (Scoreboard.MAX_LANES - 1) + " extra lanes");
        }
        for (final PacketPath lane : extra) {
            commands.attachPath(lane);
        }
        pendingLanes.set(new LaneRequest(primary, List.copyOf(extra)));
        signal.signal();
    }

    /** From any thread: lanes in use now (1 = lane 0 alone). */
    public int activeLanes() {
        return activeLaneCount;
    }

    /** Engine thread or after {@link #run} returned: lane-mode loss causes (see {@link Scoreboard#laneLossCauses}). */
    public long[] laneLossCauses() {
        return scoreboard.laneLossCauses();
    }

    /** From any thread: DATA packets handed to lane {@code index} so far. */
    public long lanePackets(final int index) {
        return lanePackets.get(index);
    }

    /** A set of extra lanes for one primary path. */
    private record LaneRequest(PacketPath primary, List<PacketPath> extra) {
    }

    /**
     * Sends {@code source} to the end and returns once the receiver has reported every byte delivered.
     *
     * @return stream length
     * @throws StreamException on abort (either side), peer timeout, protocol violation or I/O failure
     */
    public long run(final InputStream source) throws StreamException {
        signal.bindOwner();
        final long startNs = System.nanoTime();
        lastHeardNs = startNs;
        lastSendNs = startNs;
        applyPathParameters(startNs);
        reader = new SourceReader(source, ring, signal);
        reader.start();
        try {
            while (true) {
                signal.beginCycle();
                final long cycleNs = System.nanoTime();
                int work = applyCommands(cycleNs);
                // A path switch sets the new path up (cold code the first time: 9-18 ms on the loaded WAN lab);
                // packets sealed after it must not carry the time before it, or their round trips (and the first
                // flight's packet train) come out that much longer.
                final long nowNs = work > 0 ? System.nanoTime() : cycleNs;
                final int drained = drainInbox(nowNs);
                work += drained;
                if (deliveredAll) {
                    return complete();
                }
                checkSource();
                // ACKs first: after a stall, timers and sending on a scoreboard with ACKs still queued would
                // retransmit what those ACKs acknowledge. A bounded number of cycles, so a flood cannot stop us.
                if (drained < INBOX_DRAIN_LIMIT || ++backlogCycles > MAX_BACKLOG_CYCLES) {
                    backlogCycles = 0;
                    work += runTimers(nowNs);
                    work += sendData(nowNs);
                }
                if (work == 0) {
                    signal.idle(nextWakeNs(nowNs) - nowNs);
                }
            }
        } catch (final StreamException e) {
            if (e.reason() != Reason.PEER_ABORTED) {
                sendAbort(abortCode(e.reason()), e.getMessage());
            }
            throw e;
        } catch (final RuntimeException e) {
            sendAbort(WireFormat.ABORT_CODE_UNSPECIFIED, "sender failed: " + e);
            throw e;
        } finally {
            inbox.close();
            reader.stop();
            for (int i = 1; i < laneCount; i++) {
                lanes[i].sender.close();
            }
        }
    }

    // ------------------------------------------------------------------ commands

    private int applyCommands(final long nowNs) throws StreamException {
        final String reason = commands.abortReason();
        if (reason != null) {
            throw new StreamException(Reason.LOCAL_ABORT, "aborted: " + reason);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new StreamException(Reason.LOCAL_ABORT, "aborted: interrupted");
        }
        commands.applyPeerLeft(peerLeftWatch);
        final LaneRequest laneRequest = pendingLanes.getAndSet(null);
        final PacketPath next = commands.takePendingPath();
        if (next == null) {
            if (laneRequest == null) {
                return 0;
            }
            requestedLanes = laneRequest;
            applyLanes(nowNs);
            return 1;
        }
        if (laneRequest != null) {
            requestedLanes = laneRequest;
        }
        if (next != path || pathFailed) {
            oldEpochLossDelayNs = rtt.lossDelayNs(
                LOSS_DELAY_FLOOR_NS, config.initialRto().toNanos(), timeThresholdEighths);
            path = next;
            lane0.path = next;
            pathFailed = false;
            pathError = null;
            scoreboard.switchEpoch();
            rtt.reset();
            if (next.rttHintNanos() > 0) {
                rtt.update(Math.min(next.rttHintNanos(), config.initialRto().toNanos()), 0);
            }
            applyPathParameters(nowNs);
            probeCount = 0;
            if (scoreboard.packetsInFlight() > 0) {
                probeDeadlineNs = nowNs + probeTimeoutNs();
            }
            counters.add(StreamCounters.PATH_SWITCHES, 1);
            if (TRACE_NS >= 0) {
                final long postedNs = commands.switchPostedNs();
                System.err.printf("rate-trace switch to %s: attached in %.1f ms, taken %.1f ms later, set up in "
                    + "%.1f ms%n", next.name(), (postedNs - commands.switchCalledNs()) / 1e6, (nowNs - postedNs) / 1e6,
                    (System.nanoTime() - nowNs) / 1e6);
            }
            listener.onPathSwitched(next);
        }
        applyLanes(nowNs);
        return 1;
    }

    /**
     * Makes the extra lanes match the request for the current path: lanes no longer wanted (or all of them, on
     * another path) stop; new ones start with a fresh rate controller. Lane indices are reused (the scoreboard
     * keeps counting each index's packets, so a reused index never confuses its loss detection).
     */
    private void applyLanes(final long nowNs) {
        final List<PacketPath> wanted = requestedLanes != null && requestedLanes.primary() == path && !pathFailed
            ? requestedLanes.extra() : List.of();
        int kept = 1;
        for (int i = 1; i < laneCount; i++) {
            final Lane lane = lanes[i];
            if (wanted.contains(lane.path) && lane.sender.failed() == null) {
                lanes[kept++] = lane;
            } else {
                lane.sender.close();
            }
        }
        for (int i = kept; i < laneCount; i++) {
            lanes[i] = null;
        }
        laneCount = kept;
        for (final PacketPath extra : wanted) {
            if (laneCount < lanes.length && !hasLane(extra)) {
                final int index = freeLaneIndex();
                final int batchBytes = Math.max(WireFormat.MAX_DATAGRAM_LENGTH, LANE_BATCH_BYTES);
                final Lane lane = new Lane(index, extra,
                    new LaneSender(index, extra, batchBytes, signal).start(),
                    new BbrController(config.sendBufferBytes(), config.maxAckDelay().toNanos()));
                resetLane(lane, nowNs);
                lanes[laneCount++] = lane;
            }
        }
        activeLaneCount = laneCount;
    }

    private boolean hasLane(final PacketPath candidate) {
        for (int i = 1; i < laneCount; i++) {
            if (lanes[i].path == candidate) {
                return true;
            }
        }
        return false;
    }

    private int freeLaneIndex() {
        for (int index = 1; index < Scoreboard.MAX_LANES; index++) {
            boolean used = false;
            for (int i = 1; i < laneCount; i++) {
                used |= lanes[i].index == index;
            }
            if (!used) {
                return index;
            }
        }
        throw new IllegalStateException("no free lane index");
    }

    /** The first window on {@code p}: a direct path's RTT is known from its probe, so it starts larger. */
    private long initialWindowBytes(final PacketPath p, final int payload) {
        return (long)(p.lossIsCongestion() ? config.initialWindowPackets() : config.directInitialWindowPackets())
            * payload;
    }

    private void resetLane(final Lane lane, final long nowNs) {
        lane.maxPayload = Control.datagramLength(lane.path, config) - DATA_OVERHEAD;
        lane.congestion.reset(lane.maxPayload, initialWindowBytes(lane.path, lane.maxPayload), lane.decision);
        applyDecision(lane, nowNs);
        lane.pacer.fill(nowNs);
    }

    private void applyPathParameters(final long nowNs) {
        lane0.maxPayload = Control.datagramLength(path, config) - DATA_OVERHEAD;
        lane0.congestion = switch (config.rateControl()) {
            case AUTO -> path.lossIsCongestion() ? cubic : bbr;
            case CUBIC -> cubic;
            case BBR -> bbr;
        };
        // Random loss is tolerated (config) only where it can exist: on the relay every loss is an overflow.
        cubic.lossTolerance(path.lossIsCongestion() ? 0 : config.lossTolerance());
        lane0.congestion.reset(lane0.maxPayload, initialWindowBytes(path, lane0.maxPayload), lane0.decision);
        applyDecision(lane0, nowNs);
        lane0.pacer.fill(nowNs);
    }

    /**
     * Diagnostics: with {@code DERPHOLE_TRACE_RATE} set, the controller's state and the last rate sample on stderr
     * every 250 ms, or every {@code DERPHOLE_TRACE_RATE_MS} ms.
     */
    private static final long TRACE_NS = System.getenv("DERPHOLE_TRACE_RATE") == null ? -1
        : traceIntervalNs(System.getenv("DERPHOLE_TRACE_RATE_MS"));
    private long tracedAtNs;

    private static long traceIntervalNs(final String ms) {
        try {
            return ms == null ? 250_000_000L : Math.max(1, Long.parseLong(ms.strip())) * 1_000_000L;
        } catch (final NumberFormatException e) {
            return 250_000_000L;
        }
    }

    private void traceRate(final long nowNs) {
        if (TRACE_NS < 0 || nowNs - tracedAtNs < TRACE_NS) {
            return;
        }
        tracedAtNs = nowNs;
        final CongestionSample last = lane0.sample;
        System.err.printf("rate-trace lanes=%d cc=%s %s window=%d pacing=%d inflight=%d srtt=%.1fms minrtt=%.1fms "
                + "acked=%d sample=%d/%dns app-limited=%b%n", laneCount, lane0.congestion.getClass().getSimpleName(),
            lane0.congestion, lane0.windowBytes, lane0.decision.pacingBytesPerSecond, scoreboard.bytesInFlight(),
            rtt.smoothedNs() / 1e6, rtt.minNs() / 1e6, scoreboard.cumAcked(), last.deliveredBytes,
            last.deliveryIntervalNs, last.appLimited);
    }

    private void applyDecision(final Lane lane, final long nowNs) {
        if (lane == lane0) {
            traceRate(nowNs);
        }
        final CongestionDecision decision = lane.decision;
        lane.windowBytes = decision.windowBytes;
        lane.pacer.configure(decision.pacingBytesPerSecond, decision.burstBytes, nowNs);
        long window = 0;
        for (int i = 0; i < laneCount; i++) {
            window += lanes[i].windowBytes;
        }
        counters.set(StreamCounters.CWND_BYTES, window);
        if (decision.congestionEvent) {
            counters.add(StreamCounters.LOSS_EVENTS, 1);
        }
    }

    // ------------------------------------------------------------------ receiving

    private int drainInbox(final long nowNs) throws StreamException {
        int n = 0;
        Inbox.Slot slot;
        while (n < INBOX_DRAIN_LIMIT && (slot = inbox.poll()) != null) {
            try {
                onDatagram(slot, nowNs);
            } finally {
                inbox.release(slot);
            }
            n++;
        }
        return n;
    }

    private void onDatagram(final Inbox.Slot slot, final long nowNs) throws StreamException {
        final int bodyLength = codec.open(slot.data, slot.offset, slot.length, rx);
        if (bodyLength < 0) {
            return;
        }
        lastHeardNs = nowNs;
        switch (codec.openedType()) {
            // The cycle's clock can be milliseconds old by the time a drain reaches this ACK (a descheduled thread):
            // its RTT and delivery-rate samples need a fresh one, or the minimum RTT comes out short.
            case PacketType.ACK -> onAck(bodyLength, System.nanoTime(), slot.receivedNs);
            case PacketType.HEARTBEAT -> {
                if (bodyLength != 0) {
                    counters.add(StreamCounters.MALFORMED, 1);
                }
            }
            case PacketType.ABORT -> onAbort(bodyLength);
            default -> counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
        }
    }

    private void onAbort(final int bodyLength) throws StreamException {
        final String text = Control.decodeAbortText(rx, bodyLength);
        if (text == null) {
            counters.add(StreamCounters.MALFORMED, 1);
            return;
        }
        throw new StreamException(Reason.PEER_ABORTED, "peer aborted: " + text);
    }

    /** @param arrivedNs when the ACK reached the host (the kernel's stamp), 0 when unknown */
    private void onAck(final int bodyLength, final long nowNs, final long arrivedNs) {
        if (!ack.decode(rx, bodyLength)) {
            counters.add(StreamCounters.MALFORMED, 1);
            return;
        }
        final long previousCumulative = scoreboard.cumAcked();
        final long previousLargest = scoreboard.largestAckedPacketNumber();
        scoreboard.resetFindings();
        if (!scoreboard.onAck(ack, codec.nextPacketNumber(), nowNs, arrivedNs != 0 ? arrivedNs : nowNs)) {
            counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
            return;
        }
        counters.add(StreamCounters.ACKS, 1);
        if (firstAck) {
            firstAck = false;
            listener.onFirstData();
        }
        if (ack.maxOffset > credit) {
            credit = ack.maxOffset;
        }
        if ((ack.flags & WireFormat.ACK_FLAG_HAS_ECHO) != 0 && ack.largestPacketNumber > previousLargest
            && scoreboard.epochOf(ack.largestPacketNumber) == scoreboard.epoch()) {
            final long sentNs = scoreboard.sentNs(ack.largestPacketNumber);
            rtt.update(nowNs - sentNs, ack.ackDelayMicros * 1000L);
            counters.set(StreamCounters.SMOOTHED_RTT_NS, rtt.smoothedNs());
            counters.set(StreamCounters.MIN_RTT_NS, rtt.minNs());
        }
        final long cumulative = scoreboard.cumAcked();
        if (cumulative > released) {
            released = cumulative;
            ring.publishConsumer(cumulative);
            reader.onSpaceFreed();
            counters.set(StreamCounters.STREAM_BYTES, cumulative);
        }
        if ((ack.flags & WireFormat.ACK_FLAG_DELIVERED) != 0) {
            if (scoreboard.finAcked() && cumulative == finalOffset) {
                deliveredAll = true;
            } else {
                counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
            }
        }
        onPeerDuplicates(nowNs);
        detectLosses(nowNs);
        feedCongestion(nowNs, false);
        if (cumulative > previousCumulative) {
            consecutiveTimeouts = 0;
        }
        if (cumulative > previousCumulative || scoreboard.ackedBytes() > 0) {
            probeCount = 0;
            probeDeadlineNs = scoreboard.packetsInFlight() > 0 ? nowNs + probeTimeoutNs() : 0;
        }
    }

    /**
     * The receiver counts DATA bytes it got twice under different packet numbers: retransmissions of data
     * that was not lost after all (reordering, or our ACK information was lost). We react like RACK (RFC 8985
     * §6.2 reo_wnd adaptation) and Linux DSACK undo: widen both loss thresholds (packet count doubles, time
     * grows by a quarter RTT; at most once per RTT, up to their ceilings) and, when the duplicates cover what
     * the last congestion episode declared lost, undo that window reduction.
     */
    private void onPeerDuplicates(final long nowNs) {
        if (ack.duplicateBytes <= peerDuplicateBytes) {
            return;
        }
        final long fresh = ack.duplicateBytes - peerDuplicateBytes;
        peerDuplicateBytes = ack.duplicateBytes;
        if (tailCursor != -1) {
            return; // our tail copies: duplicates by design, not reordering
        }
        episodeDuplicateBytes += fresh;
        if (thresholdRaisedAtNs == 0 || nowNs - thresholdRaisedAtNs > rtt.smoothedNs()) {
            reorderingThreshold = Math.min(MAX_REORDERING_THRESHOLD, reorderingThreshold * 2);
            timeThresholdEighths = Math.min(MAX_TIME_THRESHOLD_EIGHTHS, timeThresholdEighths
                + TIME_THRESHOLD_STEP_EIGHTHS);
            thresholdRaisedAtNs = nowNs;
        }
        if (episodeLostBytes > 0 && episodeDuplicateBytes >= episodeLostBytes
            && lane0.congestion == cubic && cubic.undo(rtt.smoothedNs(), lane0.decision)) {
            applyDecision(lane0, nowNs);
            episodeLostBytes = 0;
        }
    }

    private void detectLosses(final long nowNs) {
        scoreboard.detectLosses(
            nowNs, rtt.lossDelayNs(LOSS_DELAY_FLOOR_NS, config.initialRto().toNanos(), timeThresholdEighths),
            oldEpochLossDelayNs, reorderingThreshold);
    }

    /** Feeds each lane's controller what the scoreboard found for that lane (its own losses only). */
    private void feedCongestion(final long nowNs, final boolean rto) {
        for (int i = 0; i < laneCount; i++) {
            feedLane(lanes[i], nowNs, rto);
        }
        dataLimited = false;
    }

    private void feedLane(final Lane lane, final long nowNs, final boolean rto) {
        final CongestionSample sample = lane.sample;
        sample.nowNs = nowNs;
        sample.ackedBytes = scoreboard.laneAckedBytes(lane.index);
        sample.lostBytes = scoreboard.laneLostBytes(lane.index);
        sample.largestLostSentNs = scoreboard.laneLargestLostSentNs(lane.index);
        sample.rto = rto;
        sample.consecutiveTimeouts = consecutiveTimeouts;
        sample.smoothedRttNs = rtt.smoothedNs();
        sample.latestRttNs = rtt.latestNs();
        sample.minRttNs = rtt.minNs();
        sample.bytesInFlight = scoreboard.laneBytesInFlight(lane.index);
        sample.deliveredBytes = scoreboard.rateSampleBytes(lane.index);
        sample.deliveryIntervalNs = scoreboard.rateSampleIntervalNs(lane.index);
        sample.trainBytes = scoreboard.trainSampleBytes(lane.index);
        sample.trainIntervalNs = scoreboard.trainSampleIntervalNs(lane.index);
        sample.trainFirstRttNs = scoreboard.trainSampleFirstRttNs(lane.index);
        // A rate-based controller must not read "paced below the window" as application-limited: only running out
        // of data (source or credit) is. The window-based one has no better signal than a half-empty window.
        sample.appLimited = lane.congestion != cubic ? dataLimited
            : sample.bytesInFlight + sample.ackedBytes < lane.windowBytes / 2;
        if (sample.ackedBytes == 0 && sample.lostBytes == 0 && !rto) {
            return;
        }
        lane.congestion.update(sample, lane.decision);
        if (lane == lane0) {
            if (lane.decision.congestionEvent) {
                episodeLostBytes = 0;
                episodeDuplicateBytes = 0;
            }
            episodeLostBytes += sample.lostBytes;
        }
        applyDecision(lane, nowNs);
    }

    private void checkSource() throws StreamException {
        final IOException error = reader.error();
        if (error != null) {
            throw new StreamException(Reason.IO, "input failed: " + error.getMessage(), error);
        }
        if (finalOffset < 0) {
            finalOffset = ring.endPosition();
            if (finalOffset >= 0) {
                scoreboard.finalOffset(finalOffset);
            }
        }
    }

    // ------------------------------------------------------------------ timers

    private int runTimers(final long nowNs) throws StreamException {
        int work = 0;
        if (nowNs - lastHeardNs >= peerTimeoutNs) {
            throw new StreamException(
                Reason.PEER_VANISHED, "peer vanished: no packets for " + Control.seconds(peerTimeoutNs) + " s");
        }
        peerLeftWatch.check(nowNs, lastHeardNs);
        if (pathFailed && nowNs - pathFailedAtNs >= peerTimeoutNs) {
            throw new StreamException(Reason.IO, "path " + path.name() + " failed: " + pathError.getMessage(),
                pathError);
        }
        final long lossTimer = scoreboard.lossTimerNs();
        if (lossTimer != -1 && nowNs - lossTimer >= 0) {
            scoreboard.resetFindings();
            detectLosses(nowNs);
            feedCongestion(nowNs, false);
            work++;
        }
        if (probeDeadlineNs != 0 && nowNs - probeDeadlineNs >= 0) {
            onProbeTimeout(nowNs);
            work++;
        }
        if (nowNs - lastSendNs >= heartbeatInterval()) {
            sendControl(PacketType.HEARTBEAT, 0, nowNs);
            work++;
        }
        return work;
    }

    /**
     * RFC 9002 §6.2 probe timeout: nothing was acknowledged for a PTO while data is in flight (the tail or its
     * ACKs were lost). Send an ack-eliciting HEARTBEAT so the receiver reports what it has; the ACK then drives
     * ordinary loss detection, and the window is left alone. Only after {@link #PERSISTENT_CONGESTION_PROBES}
     * unanswered probes is everything in flight declared lost and the window reduced (a timeout).
     */
    private void onProbeTimeout(final long nowNs) {
        if (scoreboard.packetsInFlight() == 0) {
            probeDeadlineNs = 0;
            return;
        }
        probeCount++;
        rtt.backOff();
        if (probeCount >= PERSISTENT_CONGESTION_PROBES) {
            counters.add(StreamCounters.RTO_EXPIRIES, 1);
            final boolean currentInFlight = scoreboard.bytesInFlight() > 0;
            scoreboard.resetFindings();
            scoreboard.onRto();
            consecutiveTimeouts++;
            feedCongestion(nowNs, currentInFlight);
            probeCount = 0;
        } else {
            counters.add(StreamCounters.PROBES, 1);
            sendControl(PacketType.HEARTBEAT, 0, nowNs);
            if (tailCursor != -1) {
                // The tail's last packets or their ACKs were lost: what is still out gets one more copy now (a few
                // packets at most), so the heartbeat's ACK finds them there instead of asking for repairs a
                // round trip later (RFC 9002 6.2.4: a probe may carry data in flight). Same floor as the tail's
                // first pass: anything older still out is found overdue by the heartbeat's ACK and repaired.
                tailCursor = codec.nextPacketNumber();
            }
        }
        probeDeadlineNs = nowNs + probeTimeoutNs();
    }

    /** PTO: the RTO estimate (with backoff) plus the receiver's largest ack delay. */
    private long probeTimeoutNs() {
        return rtt.rtoNs() + maxAckDelayNs;
    }

    /**
     * Normally the configured interval. While waiting for the final ACK, or while the receiver's credit holds
     * back data we have, every 2 RTT (at least 20 ms): the HEARTBEAT makes the receiver ACK at once, so a lost
     * final ACK or window update costs a round trip, not a heartbeat interval.
     */
    private long heartbeatInterval() {
        final boolean draining = finalOffset >= 0 && scoreboard.cumAcked() == finalOffset && scoreboard.finAcked();
        final boolean creditBlocked = sendNext >= credit && ring.producerPosition() > credit
            && scoreboard.packetsInFlight() == 0;
        if (draining || creditBlocked) {
            return Math.min(heartbeatNs, Math.max(DRAIN_PROBE_MIN_NS, 2 * rtt.smoothedNs()));
        }
        return heartbeatNs;
    }

    private long nextWakeNs(final long nowNs) {
        long wake = nowNs + MAX_PARK_NS;
        wake = peerLeftWatch.earlier(earlier(wake, lastHeardNs + peerTimeoutNs), lastHeardNs);
        wake = earlier(wake, lastSendNs + heartbeatInterval());
        if (probeDeadlineNs != 0) {
            wake = earlier(wake, probeDeadlineNs);
        }
        if (scoreboard.lossTimerNs() != -1) {
            wake = earlier(wake, scoreboard.lossTimerNs());
        }
        if (pacingWaitNs != 0) {
            wake = earlier(wake, pacingWaitNs);
        }
        return wake;
    }

    private static long earlier(final long a, final long b) {
        return b - a < 0 ? b : a;
    }

    // ------------------------------------------------------------------ sending

    private int sendData(final long nowNs) {
        pacingWaitNs = 0;
        if (pathFailed) {
            return 0;
        }
        if (laneCount == 1) {
            return sendLane0(nowNs);
        }
        int sent = 0;
        final int first = nextLane++ % laneCount;
        for (int k = 0; k < laneCount; k++) {
            final Lane lane = lanes[(first + k) % laneCount];
            sent += lane == lane0 ? sendLane0(nowNs) : sendExtraLane(lane, nowNs);
        }
        return sent;
    }

    private int sendLane0(final long nowNs) {
        resizeIfNeeded(lane0, nowNs);
        final int sent = sendBurst(nowNs, lane0, null);
        if (sent > 0) {
            flushPath(nowNs);
        }
        return sent;
    }

    /**
     * A direct path may grow its datagrams once its path MTU is measured (PacketPath.maxDatagramLength): the
     * lane's controller takes the new segment size and keeps what it measured where it can (BBR's rate).
     */
    private void resizeIfNeeded(final Lane lane, final long nowNs) {
        final int payload = Control.datagramLength(lane.path, config) - DATA_OVERHEAD;
        if (payload != lane.maxPayload) {
            lane.maxPayload = payload;
            lane.congestion.resize(payload, initialWindowBytes(lane.path, payload), lane.decision);
            applyDecision(lane, nowNs);
        }
    }

    /** Fills a free batch of an extra lane and hands it to the lane's thread; a busy or failed lane is skipped. */
    private int sendExtraLane(final Lane lane, final long nowNs) {
        final LaneSender sender = lane.sender;
        if (sender.failed() != null) {
            return 0; // the session drops it (useLanes without it); its packets are repaired on the others
        }
        final LaneBatch batch = sender.takeFree();
        if (batch == null) {
            return 0; // its thread is still sending: it signals us when a batch comes back
        }
        if (batch.dropped > 0) {
            counters.add(StreamCounters.LOCAL_SEND_DROPS, batch.dropped);
        }
        batch.clear();
        resizeIfNeeded(lane, nowNs);
        final int sent = sendBurst(nowNs, lane, batch);
        if (batch.count > 0) {
            sender.submit(batch);
        } else {
            sender.giveBack(batch);
        }
        return sent;
    }

    /**
     * Seals up to {@link #SEND_BURST_LIMIT} DATA packets for {@code lane}, within its window and pacer: on lane 0
     * queued on the path (the caller flushes them together), on the others copied into {@code batch}.
     */
    private int sendBurst(final long nowNs, final Lane lane, final LaneBatch batch) {
        final int maxPayload = lane.maxPayload;
        final Pacer pacer = lane.pacer;
        int sent = 0;
        // A pending switch ends the burst: the relay's first window (ten 64 KiB datagrams sealed while the JIT and
        // the crypto are cold) took 26-50 ms in the WAN lab, and the direct path waited all of it.
        while (sent < SEND_BURST_LIMIT && !commands.hasPendingPath()) {
            final long packetNumber = codec.nextPacketNumber();
            if (!scoreboard.canSendData(packetNumber)) {
                break;
            }
            final long start;
            final int length;
            final boolean retransmission;
            long copyOf = -1;
            if (scoreboard.hasLoss()) {
                start = scoreboard.firstLossStart();
                length = (int)Math.min(scoreboard.firstLossEnd() - start, maxPayload);
                retransmission = true;
            } else {
                final long limit = Math.min(ring.producerPosition(), credit);
                if (sendNext < limit) {
                    start = sendNext;
                    length = (int)Math.min(limit - sendNext, maxPayload);
                    retransmission = false;
                } else if (finalOffset >= 0 && sendNext == finalOffset && scoreboard.finNeeded()) {
                    start = finalOffset;
                    length = 0;
                    retransmission = scoreboard.finSent();
                } else if ((copyOf = nextTailCopy(nowNs)) >= 0) {
                    start = scoreboard.offsetOf(copyOf);
                    length = scoreboard.lengthOf(copyOf);
                    retransmission = true;
                } else {
                    dataLimited = true; // nothing to send: the source or the receiver's credit holds us back
                    break;
                }
            }
            final long inFlight = scoreboard.laneBytesInFlight(lane.index);
            if (inFlight > 0 && inFlight + length > lane.windowBytes) {
                break;
            }
            final int datagram = length + DATA_OVERHEAD;
            if (batch != null && !batch.fits(datagram)) {
                break;
            }
            final long delay = pacer.delayNs(nowNs, datagram);
            if (delay > 0) {
                pacingWaitNs = pacingWaitNs == 0 ? nowNs + delay : earlier(pacingWaitNs, nowNs + delay);
                break;
            }
            final boolean fin = finalOffset >= 0 && start + length == finalOffset && !scoreboard.finAcked();
            // Low 32 bits only: the receiver restores the rest from its cumulative offset (Truncated).
            BigEndian.putInt(tx, HEADER_LENGTH + DATA_STREAM_OFFSET_OFFSET, Truncated.STREAM_OFFSET.truncate(start));
            ring.copyOut(start, tx, HEADER_LENGTH + DATA_PAYLOAD_OFFSET, length);
            final int datagramLength = codec.seal(fin ? PacketType.DATA_FIN : PacketType.DATA, tx,
                DATA_PAYLOAD_OFFSET + length);
            if (batch != null) {
                batch.add(tx, datagramLength);
                lastSendNs = nowNs;
                counters.add(StreamCounters.PACKETS_SENT, 1);
            } else if (!transmit(datagramLength, nowNs, true)) {
                scoreboard.onControlSent(packetNumber, nowNs);
                break;
            }
            lanePackets.lazySet(lane.index, lanePackets.get(lane.index) + 1);
            scoreboard.onDataSent(packetNumber, start, length, fin, retransmission, nowNs, lane.index);
            if (copyOf >= 0) {
                tailCursor = copyOf;
                scoreboard.onCopied(copyOf);
                counters.add(StreamCounters.TAIL_COPIES, 1);
            } else if (retransmission) {
                if (length > 0) {
                    scoreboard.takeLoss(start, start + length);
                }
                counters.add(StreamCounters.RETRANSMITTED_BYTES, length);
                counters.add(StreamCounters.RETRANSMITTED_PACKETS, 1);
            } else if (length > 0) {
                sendNext = start + length;
            }
            pacer.onSent(nowNs, datagram);
            counters.add(StreamCounters.DATA_PACKETS_SENT, 1);
            counters.add(StreamCounters.PAYLOAD_BYTES_SENT, length);
            if (probeDeadlineNs == 0) {
                probeDeadlineNs = nowNs + probeTimeoutNs();
            }
            sent++;
        }
        return sent;
    }

    /**
     * The packet to send a copy of now, or -1: once the stream's last byte and FIN were sent on a path with random
     * loss, and nothing is waiting for repair, the link would idle for a round trip while the sender waits for the
     * final ACKs. That time carries one copy of each packet of the last round trip the receiver has not
     * acknowledged yet, newest first: a packet lost near the end is otherwise found lost only when later packets'
     * ACKs come back (or by the probe timeout, for the very last ones), and its repair arrives one or two round
     * trips after the rest. Sent newest first, the copy of a packet sent y before the end leaves about y after it,
     * so it beats a repair while y is under half a round trip; older ones are acknowledged (or found lost and
     * repaired) before their turn comes, which ends the copies. A second pass then copies the copies still out,
     * newest first: at 3 % loss some packet of a 200 Mbit/s, 40 ms tail loses its copy too in about one transfer
     * of three, which otherwise waited for the probe timeout (a round trip and more). The link has nothing else to
     * carry then, and the last ACK ends the passes. The relay (TCP) loses nothing, so gets none.
     */
    private long nextTailCopy(final long nowNs) {
        if (tailCursor == 0 || finalOffset < 0 || sendNext != finalOffset || path.lossIsCongestion()) {
            return -1;
        }
        if (tailCursor == -1) {
            tailCursor = codec.nextPacketNumber();
            tailFloorNs = nowNs - rtt.smoothedNs();
            tailPass = 1;
        }
        long candidate = scoreboard.tailCopyCandidate(tailCursor, tailFloorNs);
        if (candidate < 0 && tailPass == 1) {
            tailPass = 2;
            tailCursor = codec.nextPacketNumber();
            candidate = scoreboard.tailCopyCandidate(tailCursor, tailFloorNs);
        }
        if (candidate < 0) {
            tailCursor = 0;
        }
        return candidate;
    }

    private void sendControl(final byte type, final int bodyLength, final long nowNs) {
        final long packetNumber = codec.nextPacketNumber();
        final int length = codec.seal(type, tx, bodyLength);
        scoreboard.onControlSent(packetNumber, nowNs);
        transmit(length, nowNs, false);
    }

    /**
     * Hands a datagram to the path, at once or (queued) held back for the burst's {@link #flushPath}; false when
     * it was not sent (dropped locally or the path failed).
     */
    private boolean transmit(final int length, final long nowNs, final boolean queued) {
        lastSendNs = nowNs;
        if (pathFailed) {
            return false;
        }
        try {
            if (queued ? path.queue(tx, 0, length) : path.send(tx, 0, length)) {
                counters.add(StreamCounters.PACKETS_SENT, 1);
                return true;
            }
            counters.add(StreamCounters.LOCAL_SEND_DROPS, 1);
            return false;
        } catch (final IOException e) {
            onPathFailure(e, nowNs);
            return false;
        }
    }

    private void flushPath(final long nowNs) {
        if (pathFailed) {
            return;
        }
        try {
            path.flush();
        } catch (final IOException e) {
            onPathFailure(e, nowNs);
        }
    }

    private void onPathFailure(final IOException e, final long nowNs) {
        // The session will switch to another path; until then we wait (and fail after the peer timeout).
        pathFailed = true;
        pathError = e;
        pathFailedAtNs = nowNs;
    }

    private void sendAbort(final int code, final String text) {
        final long nowNs = System.nanoTime();
        if (!pathFailed) {
            path.discardQueued();
        }
        for (int i = 0; i < ABORT_REPEATS; i++) {
            final int bodyLength = Control.encodeAbort(tx, HEADER_LENGTH, code, text);
            sendControl(PacketType.ABORT, bodyLength, nowNs);
        }
    }

    private long complete() {
        final long nowNs = System.nanoTime();
        for (int i = 0; i < CLOSE_REPEATS; i++) {
            sendControl(PacketType.CLOSE, 0, nowNs);
        }
        counters.set(StreamCounters.STREAM_BYTES, finalOffset);
        listener.onComplete(finalOffset);
        return finalOffset;
    }

    private static int abortCode(final Reason reason) {
        return switch (reason) {
            case LOCAL_ABORT -> WireFormat.ABORT_CODE_USER;
            case PROTOCOL -> WireFormat.ABORT_CODE_PROTOCOL;
            case IO -> WireFormat.ABORT_CODE_IO;
            case PEER_VANISHED -> WireFormat.ABORT_CODE_TIMEOUT;
            case PEER_ABORTED -> WireFormat.ABORT_CODE_UNSPECIFIED;
        };
    }
}
