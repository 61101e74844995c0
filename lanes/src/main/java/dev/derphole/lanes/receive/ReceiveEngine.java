package dev.derphole.lanes.receive;

import static dev.derphole.lanes.wire.WireFormat.DATA_PAYLOAD_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.DATA_STREAM_OFFSET_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.HEADER_LENGTH;

import java.io.IOException;
import java.io.OutputStream;

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
import dev.derphole.lanes.repair.RangeSet;
import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.Truncated;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/**
 * The receiving half of the stream engine. {@link #run} executes the engine loop on the calling thread, which
 * owns all receiver state: opening packets, the reorder ring (written out of order above the contiguous
 * point, read in order by the {@link SinkWriter} thread), the set of ranges held above that point, and
 * acknowledgements.
 * <p>
 * ACK policy: every {@code ackEveryPackets} DATA packets or 128 KiB, at once for a packet out of order (a new gap
 * or a repair), a duplicate, FIN, HEARTBEAT or the first packet, within {@code maxAckDelay} of any
 * unacknowledged packet, when the sink freed a quarter of the window, and as the heartbeat when idle. Not per
 * wake-up and not every other packet while a gap is open: with 1 % random loss a gap is open nearly all the time,
 * and on the WAN lab's link those rules made an ACK of every 1.7 DATA packets (9,500 a second), each a system
 * call and a trip through the kernel on both ends. ACKs go on the path set by
 * {@link #switchPath}, or on the path that delivered the newest packet if that differs (the sender switched
 * first). The sink writer is woken once {@link #SINK_WAKE_BYTES} wait for it or the oldest byte waited
 * {@link #SINK_MAX_DELAY_NS}, not per packet. After the sink flushed the last byte the final ACK (DELIVERED)
 * goes out and the engine lingers, re-acknowledging anything the sender repeats, until CLOSE arrives or the
 * sender has been silent for the linger time (so a sender still asking for the final ACK on a lossy path gets
 * it), but never longer than the peer timeout after delivery.
 */
public final class ReceiveEngine {
    /** Datagrams drained from the inbox per cycle. */
    private static final int INBOX_DRAIN_LIMIT = 256;
    /** ACK at least every this many DATA payload bytes (large relay datagrams: about every other one). */
    private static final long ACK_EVERY_BYTES = 128 * 1024;
    /** ABORT packets sent when failing. */
    private static final int ABORT_REPEATS = 3;
    /** Longest park of the loop. */
    private static final long MAX_PARK_NS = 100_000_000L;
    /** Capacity of the out-of-order range set (holes above the contiguous point). */
    private static final int MAX_RANGES = 1 << 15;
    /**
     * Bytes waiting for the sink writer before the engine wakes it (at most an eighth of the ring): one wake per
     * datagram cost the receiver ~16,000 futex wake-ups and thread switches per GiB, for 64 KiB writes.
     */
    private static final int SINK_WAKE_BYTES = 256 * 1024;
    /** Longest a published byte waits for the sink writer to be woken, in ns (interactive output stays prompt). */
    private static final long SINK_MAX_DELAY_NS = 500_000L;
    /** DATA packets on a new path acknowledged as they are taken: the stream sender's first flight is 64. */
    static final int FIRST_FLIGHT_PACKETS = 128;

    private final StreamConfig config;
    private final StreamCounters counters;
    private final StreamListener listener;
    private final Signal signal;
    private final Inbox inbox;
    private final PacketCodec codec;
    private final ByteRing ring;
    private final RangeSet received = new RangeSet(MAX_RANGES);
    private final AckFrame ack = new AckFrame();
    private final byte[] tx = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
    private final byte[] rx = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
    private final EngineCommands commands;
    private final long peerTimeoutNs;
    private final PeerLeftWatch peerLeftWatch;
    private final long heartbeatNs;
    private final long lingerNs;
    private final long maxAckDelayNs;
    private final int ackEvery;
    private final int maxRanges;

    private SinkWriter writer;
    private PacketPath replyPath;
    private PacketPath chosenPath;
    private long contiguous;
    private long finalOffset = -1;
    private long highestReceived;
    private long largestPacketNumber = -1;
    /** When the largest packet reached the host (the kernel's stamp where the path has one), for the ACK delay. */
    private long largestPacketAtNs;
    private boolean largestPacketStamped;
    /** The path whose first flight is being acknowledged packet-train style, and DATA packets of it still to go. */
    private PacketPath trainPath;
    private int trainPacketsLeft;
    private long lastArrivalOffset = -1;
    private long duplicateBytes;
    private int packetsSinceAck;
    private long bytesSinceAck;
    private boolean sinkPending;
    private long sinkPendingSinceNs;
    private int sinkWakeBytes;
    private long ackPendingSinceNs;
    private boolean ackNow;
    private long advertisedLimit;
    private long lastHeardNs;
    private long lastSendNs;
    private boolean finished;
    private boolean delivered;
    private boolean closeReceived;
    private long deliveredAtNs;
    private boolean firstData = true;

    /**
     * @param config   tuning
     * @param keys     stream keys (we open sender-to-receiver, seal receiver-to-sender)
     * @param path     the first path; its handler is installed now. Null: {@link #bindPath} names it later
     * @param counters where everything is counted
     * @param listener milestone callbacks (engine thread)
     */
    public ReceiveEngine(
        final StreamConfig config, final StreamKeys keys, final PacketPath path, final StreamCounters counters,
        final StreamListener listener) {
        this.config = config;
        this.counters = counters;
        this.listener = listener;
        this.signal = new Signal();
        this.inbox = new Inbox(counters, signal, config.inboundBytesPerPath());
        this.commands = new EngineCommands(config, inbox, signal);
        final byte[] sealKey = keys.receiverToSenderKey();
        final byte[] openKey = keys.senderToReceiverKey();
        this.codec = new PacketCodec(
            sealKey, keys.receiverToSenderPrefix(), openKey, keys.senderToReceiverPrefix(), counters);
        java.util.Arrays.fill(sealKey, (byte)0);
        java.util.Arrays.fill(openKey, (byte)0);
        // Every chunk now: a receiver is built before its token is shown (off the transfer's path), and making a
        // chunk on the engine thread as the first packets arrive would hold up their ACKs.
        this.ring = new ByteRing(config.receiveWindowBytes()).allocateAll();
        this.peerTimeoutNs = config.peerTimeout().toNanos();
        this.peerLeftWatch = new PeerLeftWatch(peerTimeoutNs);
        this.heartbeatNs = config.heartbeatInterval().toNanos();
        this.lingerNs = config.linger().toNanos();
        this.maxAckDelayNs = config.maxAckDelay().toNanos();
        this.ackEvery = config.ackEveryPackets();
        this.maxRanges = config.maxAckRanges();
        if (path != null) {
            bindPath(path);
        }
    }

    /**
     * Names the first path of an engine built without one (a listener builds its engine while it waits for the
     * claim, and learns the claimer's path only then). Before {@link #run}, on the thread that will run it.
     *
     * @throws IllegalStateException when the engine already has a path
     */
    public void bindPath(final PacketPath path) {
        if (chosenPath != null) {
            throw new IllegalStateException("the engine already has its first path");
        }
        replyPath = path;
        chosenPath = path;
        commands.attachPath(path);
    }

    /**
     * Before {@link #run}, on the thread that will call it: continue a stream whose first {@code offset} bytes were
     * received and written before, so the engine works at stream offsets far from 0. For tests of the 32-bit
     * offset wrap that cannot move 4 GiB first; the sink gets the bytes from {@code offset} on and {@link #run}
     * returns the absolute end offset. The sender must start there too.
     */
    public void startAt(final long offset) {
        if (offset < 0 || writer != null || contiguous != 0) {
            throw new IllegalStateException("startAt: once, before run, at an offset >= 0");
        }
        contiguous = offset;
        highestReceived = offset;
        ring.publishProducer(offset);
        ring.publishConsumer(offset);
    }

    /** From any thread: from now on acknowledge on {@code newPath}; its handler is installed at once. */
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
     * Receives the stream into {@code sink} and returns once every byte was written and flushed (and the
     * sender closed or the linger time passed).
     *
     * @return stream length
     * @throws StreamException on abort (either side), peer timeout, protocol violation or sink failure
     */
    public long run(final OutputStream sink) throws StreamException {
        if (chosenPath == null) {
            throw new IllegalStateException("bindPath first: the engine has no path");
        }
        signal.bindOwner();
        final long startNs = System.nanoTime();
        lastHeardNs = startNs;
        lastSendNs = startNs;
        advertisedLimit = ring.consumerPosition() + ring.capacity();
        sinkWakeBytes = Math.min(SINK_WAKE_BYTES, ring.capacity() / 8);
        writer = new SinkWriter(sink, ring, signal);
        writer.start();
        try {
            sendAck(startNs); // announce the credit and that we are here
            while (true) {
                signal.beginCycle();
                final long nowNs = System.nanoTime();
                int work = applyCommands();
                work += drainInbox(nowNs);
                work += checkSink(nowNs);
                if (delivered && (closeReceived || nowNs - lingerDeadline() >= 0)) {
                    return finalOffset;
                }
                work += maybeAck(nowNs);
                runTimers(nowNs);
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
            sendAbort(WireFormat.ABORT_CODE_UNSPECIFIED, "receiver failed: " + e);
            throw e;
        } finally {
            inbox.close();
            writer.stop();
        }
    }

    // ------------------------------------------------------------------ commands and sink

    private int applyCommands() throws StreamException {
        final String reason = commands.abortReason();
        if (reason != null && !delivered) {
            throw new StreamException(Reason.LOCAL_ABORT, "aborted: " + reason);
        }
        if (Thread.currentThread().isInterrupted() && !delivered) {
            throw new StreamException(Reason.LOCAL_ABORT, "aborted: interrupted");
        }
        commands.applyPeerLeft(peerLeftWatch);
        final PacketPath next = commands.takePendingPath();
        if (next == null) {
            return 0;
        }
        chosenPath = next;
        replyPath = next;
        counters.add(StreamCounters.PATH_SWITCHES, 1);
        listener.onPathSwitched(next);
        ackNow = true;
        return 1;
    }

    private int checkSink(final long nowNs) throws StreamException {
        final IOException error = writer.error();
        if (error != null) {
            throw new StreamException(Reason.IO, "output failed: " + error.getMessage(), error);
        }
        if (!delivered && finished && writer.isFlushed()) {
            delivered = true;
            deliveredAtNs = nowNs;
            counters.set(StreamCounters.STREAM_BYTES, finalOffset);
            sendAck(nowNs);
            listener.onComplete(finalOffset);
            return 1;
        }
        final long limit = ring.consumerPosition() + ring.capacity();
        if (limit - advertisedLimit >= ring.capacity() / 4) {
            ackNow = true; // window update: the sink made room
        }
        return 0;
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
        wakeSinkIfDue(nowNs);
        return n;
    }

    /**
     * Wakes the sink writer for newly published bytes once enough wait (or the oldest waited long enough): the
     * writer then writes them in one piece. A writer still busy writing picks them up without a wake.
     */
    private void wakeSinkIfDue(final long nowNs) {
        if (!sinkPending) {
            return;
        }
        if (sinkPendingSinceNs == 0) {
            sinkPendingSinceNs = nowNs;
        }
        if (ring.producerPosition() - ring.consumerPosition() >= sinkWakeBytes
            || nowNs - sinkPendingSinceNs >= SINK_MAX_DELAY_NS) {
            sinkPending = false;
            sinkPendingSinceNs = 0;
            writer.onData();
        }
    }

    private void onDatagram(final Inbox.Slot slot, final long nowNs) throws StreamException {
        final int bodyLength = codec.open(slot.data, slot.offset, slot.length, rx);
        if (bodyLength < 0) {
            return;
        }
        lastHeardNs = nowNs;
        final long packetNumber = codec.openedPacketNumber();
        if (packetNumber > largestPacketNumber) {
            largestPacketNumber = packetNumber;
            largestPacketStamped = slot.receivedNs != 0;
            largestPacketAtNs = largestPacketStamped ? slot.receivedNs : nowNs;
            // Follow the sender to the path its newest packet used (it switched before we were told).
            replyPath = slot.port.path();
        }
        switch (codec.openedType()) {
            case PacketType.DATA, PacketType.DATA_FIN -> {
                onData(bodyLength, codec.openedType() == PacketType.DATA_FIN, nowNs);
                ackFirstFlight(slot.port.path(), nowNs);
            }
            case PacketType.HEARTBEAT -> {
                if (bodyLength != 0) {
                    counters.add(StreamCounters.MALFORMED, 1);
                }
                ackNow = true;
            }
            case PacketType.CLOSE -> {
                if (delivered) {
                    closeReceived = true;
                } else {
                    counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
                }
            }
            case PacketType.ABORT -> {
                final String text = Control.decodeAbortText(rx, bodyLength);
                if (text == null) {
                    counters.add(StreamCounters.MALFORMED, 1);
                } else if (!delivered) {
                    throw new StreamException(Reason.PEER_ABORTED, "peer aborted: " + text);
                }
            }
            default -> counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
        }
    }

    private void onData(final int bodyLength, final boolean fin, final long nowNs) {
        if (bodyLength < DATA_PAYLOAD_OFFSET) {
            counters.add(StreamCounters.MALFORMED, 1);
            return;
        }
        if (largestPacketNumber - codec.openedPacketNumber() >= WireFormat.DATA_MAX_PACKET_AGE) {
            // So old that the stream may have moved on by more than 2^31 bytes since: its 32-bit offset could be
            // misread. Its bytes, if still missing, are repaired like lost ones.
            counters.add(StreamCounters.REPLAYS, 1);
            return;
        }
        // An honest sender's DATA lies at most a window above our cumulative offset and, younger than the age
        // limit, less than 2^31 + a window below it: restore the high bits from there (docs/stream-protocol.md).
        final long offset = Truncated.STREAM_OFFSET.expand(BigEndian.getInt(rx, DATA_STREAM_OFFSET_OFFSET), contiguous);
        final int length = bodyLength - DATA_PAYLOAD_OFFSET;
        final long end = offset + length;
        if (end - contiguous > ring.capacity()) {
            // No credit we ever gave reaches this far: a broken sender, never an honest one (bytes below the
            // cumulative offset, however far, are duplicates and handled as such below).
            counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
            return;
        }
        if (fin && finalOffset < 0) {
            if (end < highestReceived) {
                counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
                return;
            }
            finalOffset = end;
        } else if ((fin && end != finalOffset) || (finalOffset >= 0 && end > finalOffset)) {
            counters.add(StreamCounters.PROTOCOL_VIOLATIONS, 1);
            return;
        }
        if (firstData) {
            firstData = false;
            listener.onFirstData();
        }
        if (offset != highestReceived) {
            // Out of order: a new gap (something before it is missing) or a repair: the sender should know now
            // (RFC 9000 13.2.1), not only at the next regular ACK.
            ackNow = true;
        }
        highestReceived = Math.max(highestReceived, end);
        packetsSinceAck++;
        bytesSinceAck += length;
        if (ackPendingSinceNs == 0) {
            ackPendingSinceNs = nowNs;
        }
        if (fin || delivered) {
            ackNow = true;
        }
        final long limit = ring.consumerPosition() + ring.capacity();
        final long low = Math.max(offset, contiguous);
        final long high = Math.min(end, limit);
        if (end > limit) {
            counters.add(StreamCounters.FLOW_CONTROL_DROPS, end - Math.max(offset, limit));
        }
        long added = 0;
        if (low < high) {
            added = received.add(low, high);
            if (added < 0) {
                counters.add(StreamCounters.INBOUND_DROPS, 1); // too many holes to track; the sender repeats it
                return;
            }
            ring.copyIn(low, rx, DATA_PAYLOAD_OFFSET + (int)(low - offset), (int)(high - low));
            lastArrivalOffset = low;
            if (received.start(0) == contiguous) {
                contiguous = received.end(0);
                received.removeBelow(contiguous);
                ring.publishProducer(contiguous);
                sinkPending = true; // woken by wakeSinkIfDue once enough is waiting, not per packet
            }
        }
        final long duplicate = Math.max(0, Math.min(end, limit) - offset) - added;
        if (duplicate > 0 || (length > 0 && added == 0 && offset < limit)) {
            duplicateBytes += duplicate;
            counters.add(StreamCounters.DUPLICATE_BYTES, duplicate);
            if (added == 0 && offset < limit) {
                counters.add(StreamCounters.DUPLICATE_PACKETS, 1);
                ackNow = true; // the sender repeats itself: maybe our ACKs got lost
            }
        }
        if (!finished && finalOffset >= 0 && contiguous == finalOffset) {
            finished = true;
            ring.finish(finalOffset);
            writer.onData();
        }
    }

    // ------------------------------------------------------------------ acknowledging

    /**
     * The first {@link #FIRST_FLIGHT_PACKETS} DATA packets on a path are acknowledged every {@code ackEvery} as they
     * are taken, not once per drain: the sender times its first flight by these ACKs (their delay fields carry
     * each one's arrival at the host), and a drain that found the whole flight waiting would answer it with one.
     */
    private void ackFirstFlight(final PacketPath from, final long nowNs) {
        if (from != trainPath) {
            trainPath = from;
            trainPacketsLeft = FIRST_FLIGHT_PACKETS;
        }
        if (trainPacketsLeft > 0) {
            trainPacketsLeft--;
            if (ackNow || packetsSinceAck >= ackEvery) {
                sendAck(nowNs);
            }
        }
    }

    private int maybeAck(final long nowNs) {
        if (ackNow || packetsSinceAck >= ackEvery || bytesSinceAck >= ACK_EVERY_BYTES
            || (ackPendingSinceNs != 0 && nowNs - ackPendingSinceNs >= maxAckDelayNs)) {
            sendAck(nowNs);
            return 1;
        }
        return 0;
    }

    private void sendAck(final long nowNs) {
        final long consumed = ring.consumerPosition();
        ack.flags = 0;
        if (finished) {
            ack.flags |= WireFormat.ACK_FLAG_FIN_RECEIVED;
        }
        if (delivered) {
            ack.flags |= WireFormat.ACK_FLAG_DELIVERED;
        }
        if (largestPacketNumber >= 0) {
            ack.flags |= WireFormat.ACK_FLAG_HAS_ECHO;
            ack.largestPacketNumber = largestPacketNumber;
            // From when the packet reached the host (RFC 9002's ack delay), on a fresh clock: the cycle's may be
            // older than a kernel time stamp taken while the cycle ran. Without a stamp, from the cycle that took
            // it to this one, as before stamps: a receiver's own lag then stays in the sender's RTT samples, whose
            // loss delay must cover it (a loaded in-memory test path reordered into spurious repairs otherwise).
            final long sealedNs = largestPacketStamped ? System.nanoTime() : nowNs;
            ack.ackDelayMicros = Math.max(0, sealedNs - largestPacketAtNs) / 1000;
        } else {
            ack.largestPacketNumber = 0;
            ack.ackDelayMicros = 0;
        }
        ack.cumulative = contiguous;
        ack.maxOffset = consumed + ring.capacity();
        ack.duplicateBytes = duplicateBytes;
        fillRanges();
        final int bodyLength = ack.encode(tx, HEADER_LENGTH);
        transmit(PacketType.ACK, bodyLength, nowNs);
        counters.add(StreamCounters.ACKS, 1);
        advertisedLimit = ack.maxOffset;
        packetsSinceAck = 0;
        bytesSinceAck = 0;
        ackPendingSinceNs = 0;
        ackNow = false;
    }

    /** The range holding the newest arrival first, then the highest ranges downwards. */
    private void fillRanges() {
        int count = 0;
        final int size = received.size();
        final int newest = lastArrivalOffset >= contiguous ? received.indexContaining(lastArrivalOffset) : -1;
        if (newest >= 0) {
            ack.rangeStart[count] = received.start(newest);
            ack.rangeEnd[count] = received.end(newest);
            count++;
        }
        for (int i = size - 1; i >= 0 && count < maxRanges; i--) {
            if (i != newest) {
                ack.rangeStart[count] = received.start(i);
                ack.rangeEnd[count] = received.end(i);
                count++;
            }
        }
        ack.rangeCount = count;
    }

    // ------------------------------------------------------------------ timers and sending

    private void runTimers(final long nowNs) throws StreamException {
        if (!delivered && nowNs - lastHeardNs >= peerTimeoutNs) {
            throw new StreamException(
                Reason.PEER_VANISHED, "peer vanished: no packets for " + Control.seconds(peerTimeoutNs) + " s");
        }
        if (!delivered) {
            peerLeftWatch.check(nowNs, lastHeardNs);
        }
        if (nowNs - lastSendNs >= heartbeatNs) {
            sendAck(nowNs); // an ACK is our heartbeat: it also repeats credit and ranges
        }
    }

    private long nextWakeNs(final long nowNs) {
        long wake = nowNs + MAX_PARK_NS;
        wake = earlier(wake, lastSendNs + heartbeatNs);
        if (!delivered) {
            wake = peerLeftWatch.earlier(earlier(wake, lastHeardNs + peerTimeoutNs), lastHeardNs);
        } else {
            wake = earlier(wake, lingerDeadline());
        }
        if (ackPendingSinceNs != 0) {
            wake = earlier(wake, ackPendingSinceNs + maxAckDelayNs);
        }
        if (sinkPending) {
            wake = earlier(wake, sinkPendingSinceNs + SINK_MAX_DELAY_NS);
        }
        return wake;
    }

    /**
     * Linger ends {@code linger} after the sender's last packet (or delivery), at most a peer timeout after
     * delivery.
     */
    private long lingerDeadline() {
        final long quietEnd = Math.max(deliveredAtNs - lastHeardNs, 0) + lastHeardNs + lingerNs;
        return earlier(quietEnd, deliveredAtNs + Math.max(lingerNs, peerTimeoutNs));
    }

    private static long earlier(final long a, final long b) {
        return b - a < 0 ? b : a;
    }

    private void transmit(final byte type, final int bodyLength, final long nowNs) {
        final int length = codec.seal(type, tx, bodyLength);
        lastSendNs = nowNs;
        try {
            if (replyPath.send(tx, 0, length)) {
                counters.add(StreamCounters.PACKETS_SENT, 1);
            } else {
                counters.add(StreamCounters.LOCAL_SEND_DROPS, 1);
            }
        } catch (final IOException e) {
            // A dead path: fall back to the one the session chose; the peer timeout covers the rest.
            counters.add(StreamCounters.LOCAL_SEND_DROPS, 1);
            replyPath = chosenPath;
        }
    }

    private void sendAbort(final int code, final String text) {
        final long nowNs = System.nanoTime();
        for (int i = 0; i < ABORT_REPEATS; i++) {
            final int bodyLength = Control.encodeAbort(tx, HEADER_LENGTH, code, text);
            transmit(PacketType.ABORT, bodyLength, nowNs);
        }
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
