package dev.derphole.derp.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.derp.proto.FrameReader;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.NodeKey;

/**
 * A client of one DERP relay (Tailscale's protocol, version 2): sends packets to other clients' node keys and
 * receives theirs, answers the relay's pings, and redials with backoff when the connection drops (if allowed).
 * <p>
 * Threads: per connection one reader and one writer (virtual threads, or platform threads when configured; the
 * writer is the only thread that writes to the socket) and, once connected, one supervisor that redials. Senders
 * copy packets into a bounded send queue (they block while it is full: backpressure); the writer drains it many
 * frames per flush, paced to the relay's advertised token bucket. The reader puts received packets into a bounded
 * receive queue and stops reading while it is full, so TCP pushes back on the relay (or hands them to a
 * {@link PacketListener}). Note: Tailscale's derper closes a connection whose writes stall for 2 s, so the
 * application must keep receiving.
 * <p>
 * Across a reconnect, packets still in the send queue are kept and sent on the new connection; packets the writer
 * had taken when its connection failed are counted as {@link DropReason#CONNECTION_LOST}.
 * <p>
 * Thread-safe: any thread may send, receive, ping or close.
 */
public final class DerpClient implements AutoCloseable {
    /** How long {@link #close()} waits for the client's threads to finish. */
    static final long CLOSE_JOIN_MS = 2_000;

    /** Longest Health text kept (the frame may be up to 1 MiB). */
    static final int MAX_HEALTH_CHARS = 1024;

    /**
     * Frames the reader handles before yielding its carrier. Virtual threads are not time-sliced: a reader whose
     * socket always has data would otherwise keep a carrier from other clients' threads (the relay found the same).
     */
    static final int READER_YIELD_FRAMES = 32;

    private final DerpClientConfig config;
    private final Curve25519KeyPair keyPair;
    private final NodeKey publicKey;
    private final DerpCounters counters = new DerpCounters();
    private final OutboundQueue outbound;
    private final EventQueue events;
    private final ConcurrentHashMap<Long, PendingPing> pings = new ConcurrentHashMap<>();
    private final SplittableRandom jitter = new SplittableRandom();
    private final Object lifecycle = new Object();
    private final String description;

    private volatile PacketListener packetListener;
    private volatile Link link;
    private volatile NodeKey serverKey;
    private volatile String health = "";
    private volatile boolean closed;
    private boolean connecting;
    private volatile boolean started;
    private int generation;
    private Thread supervisor;

    private record PendingPing(long startNs, CompletableFuture<Long> rttNs) {
    }

    public DerpClient(final DerpClientConfig config) {
        this.config = config;
        keyPair = config.keyPair();
        publicKey = NodeKey.of(keyPair.publicKey());
        outbound = new OutboundQueue(config.sendQueueCapacity());
        events = new EventQueue(config.receiveQueueCapacity());
        description = "DERP relay " + config.target().label();
    }

    /**
     * Connects and runs the handshake. Blocks up to the connect plus handshake timeouts. May be retried after a
     * failure; once it succeeds, reconnecting is the client's job.
     *
     * @throws IOException one line naming the relay and what failed ({@link DerpProtocolException} when the peer
     *                     is not a DERP server or breaks the protocol)
     */
    public void connect() throws IOException {
        synchronized (lifecycle) {
            if (closed) {
                throw new IOException("DERP client closed");
            }
            if (started || connecting) {
                throw new IllegalStateException("connect() already called");
            }
            connecting = true;
        }
        try {
            final Link first = startLink(open());
            if (first == null) {
                throw new IOException("DERP client closed");
            }
            synchronized (lifecycle) {
                started = true;
                if (!closed) {
                    supervisor = Thread.ofVirtual().name("derp-supervisor").start(() -> supervise(first));
                }
            }
        } finally {
            synchronized (lifecycle) {
                connecting = false;
            }
        }
    }

    /**
     * Queues a copy of {@code data[offset, offset+length)} for {@code destination}. Blocks while the send queue is
     * full: indefinitely while connected (the relay drains it), at most the configured send timeout while
     * reconnecting.
     *
     * @throws IOException when the client is closed, has given up, or stayed disconnected with a full queue
     */
    public void send(final NodeKey destination, final byte[] data, final int offset, final int length)
        throws IOException, InterruptedException {
        checkSend(destination, data, offset, length);
        outbound.offer(destination, data, offset, length, -1, config.sendTimeout().toNanos(), describe());
    }

    /**
     * Like {@link #send} but waits at most {@code timeout} for space.
     *
     * @return false when the queue stayed full for {@code timeout}
     * @throws IOException when the client is closed or has given up
     */
    public boolean trySend(
        final NodeKey destination, final byte[] data, final int offset, final int length, final Duration timeout)
        throws IOException, InterruptedException {
        checkSend(destination, data, offset, length);
        return outbound.offer(destination, data, offset, length, Math.max(0, timeout.toNanos()), 0, describe());
    }

    /**
     * Drops the packets queued for {@code destination} that have not reached the socket yet: a sender that ends
     * its stream (an ABORT) should not wait behind megabytes nobody will read. Frames already written are not
     * recalled.
     *
     * @return packets dropped
     */
    public long discardQueued(final NodeKey destination) {
        return outbound.discard(destination);
    }

    /**
     * The next event (packet, peer gone/present, health, restarting, disconnected, reconnected), waiting up to
     * {@code timeout}.
     *
     * @return the event, or null on timeout, once the client is closed, or once it has given up and all events
     *     have been taken
     */
    public DerpEvent receive(final Duration timeout) throws InterruptedException {
        return events.poll(Math.max(0, timeout.toNanos()));
    }

    /**
     * Hands every received packet to {@code listener} on the reader thread first (see {@link PacketListener});
     * only the packets it declines are queued for {@link #receive}. Other events always go to the queue, so a
     * packet taken by the listener may be seen before an event the relay sent earlier. {@code null} (the
     * default) queues every packet.
     */
    public void packetListener(final PacketListener listener) {
        packetListener = listener;
    }

    /**
     * Sends a Ping to the relay and waits for its Pong.
     *
     * @return the round-trip time
     * @throws SocketTimeoutException when no Pong came within {@code timeout}
     * @throws IOException            when not connected or the connection drops meanwhile
     */
    public Duration ping(final Duration timeout) throws IOException, InterruptedException {
        if (link == null) {
            throw new IOException(describe() + ": not connected");
        }
        final byte[] payload = new byte[DerpProtocol.PING_LENGTH];
        long id;
        PendingPing pending;
        do {
            ThreadLocalRandom.current().nextBytes(payload);
            id = longAt(payload, 0);
            pending = new PendingPing(System.nanoTime(), new CompletableFuture<>());
        } while (pings.putIfAbsent(id, pending) != null);
        try {
            if (!outbound.addPing(payload)) {
                throw new IOException(describe() + ": too many pings in flight or client closed");
            }
            return Duration.ofNanos(pending.rttNs().get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (final TimeoutException e) {
            throw new SocketTimeoutException(describe() + ": no pong within " + timeout.toMillis() + " ms");
        } catch (final ExecutionException e) {
            throw new IOException(describe() + ": ping failed: " + DerpDialer.oneLine(e.getCause()), e.getCause());
        } finally {
            pings.remove(id);
        }
    }

    /** Tells the relay whether it is our home relay (stats only); repeated after every reconnect. */
    public void notePreferred(final boolean preferred) {
        outbound.notePreferred(preferred);
    }

    /** Our node key: the address other clients send to. */
    public NodeKey publicKey() {
        return publicKey;
    }

    /** The relay's key from its ServerKey frame; null before the first connection. */
    public NodeKey serverKey() {
        return serverKey;
    }

    /** True while a handshaken connection is up. */
    public boolean isConnected() {
        final Link l = link;
        return l != null && !l.isDead();
    }

    /** True once {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** The relay's current Health problem for this connection; empty when healthy. */
    public String health() {
        return health;
    }

    /** Time since the relay last sent anything on the current connection (KeepAlives arrive every 60 s). */
    public Duration sinceLastFrame() {
        final Link l = link;
        return l == null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - l.lastFrameNs);
    }

    /** Bytes per second the relay advertised (0: unspecified, no pacing); of the current connection. */
    public long advertisedBytesPerSecond() {
        final Link l = link;
        return l == null ? 0 : l.conn.serverInfo.tokenBucketBytesPerSecond();
    }

    public DerpCounters counters() {
        return counters;
    }

    public DerpClientConfig config() {
        return config;
    }

    /**
     * Waits (bounded) until every packet sent so far has been written to the relay, e.g. a final ABORT
     * before the process exits.
     *
     * @return true when everything queued was written
     */
    public boolean flush(final Duration timeout) throws InterruptedException {
        return outbound.awaitDrained(timeout.toNanos());
    }

    /**
     * Closes the connection and stops every thread; wakes blocked senders (they throw), receivers (they get null)
     * and pingers. Idempotent; waits at most about {@value #CLOSE_JOIN_MS} ms.
     */
    @Override
    public void close() {
        final Link l;
        final Thread sup;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            l = link;
            link = null;
            sup = supervisor;
        }
        counters.onDrop(DropReason.CLOSED, outbound.close());
        events.close();
        if (sup != null) {
            sup.interrupt();
        }
        if (l != null) {
            l.fail("client closed");
        }
        failPings("client closed");
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_JOIN_MS);
        join(sup, deadlineNs);
        if (l != null) {
            join(l.reader, deadlineNs);
            join(l.writer, deadlineNs);
        }
    }

    @Override
    public String toString() {
        return "DerpClient[" + config.target() + " as " + publicKey.shortString() + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Connection lifecycle

    private DerpConnection open() throws IOException {
        return DerpConnection.open(config.target(), keyPair, config.canAckPings(), config.connectTimeout(),
            config.handshakeTimeout(), config.readTimeout(), config.target().https() ? config.sslContext() : null);
    }

    /** Makes {@code conn} the live connection and starts its reader and writer; null (conn closed) if closed. */
    private Link startLink(final DerpConnection conn) {
        synchronized (lifecycle) {
            if (closed) {
                conn.close();
                return null;
            }
            final Link l = new Link(conn, ++generation);
            serverKey = conn.serverKey;
            health = "";
            link = l;
            outbound.onConnected(l.generation);
            final String name = conn.target.label();
            final Thread.Builder threads = config.platformThreads() ? Thread.ofPlatform().daemon() : Thread.ofVirtual();
            l.reader = threads.name("derp-reader-" + name).unstarted(() -> readLoop(l));
            l.writer = threads.name("derp-writer-" + name).unstarted(() -> writeLoop(l));
            l.reader.start();
            l.writer.start();
            return l;
        }
    }

    /** Supervisor thread: waits for the live connection to die, then reports it and redials if allowed. */
    private void supervise(final Link first) {
        Link l = first;
        try {
            while (true) {
                l.dead.await();
                if (closed) {
                    return;
                }
                onLinkDown(l);
                l = redial(l.restarting, l.cause);
                if (l == null) {
                    return;
                }
                counters.onReconnect();
                events.putControl(new DerpEvent.Reconnected());
            }
        } catch (final InterruptedException e) {
            // close() interrupts the supervisor: nothing left to do.
        }
    }

    private void onLinkDown(final Link l) {
        synchronized (lifecycle) {
            if (link == l) {
                link = null;
            }
        }
        outbound.onDisconnected();
        failPings("connection lost: " + l.cause);
        if (!events.putControl(new DerpEvent.Disconnected(l.cause))) {
            counters.onDrop(DropReason.EVENT_OVERFLOW, 1);
        }
    }

    /**
     * Redials until it works, the client closes, or the policy gives up. A Restarting frame delays the first
     * attempt by its reconnect-in and, when reconnecting is otherwise disabled, bounds the attempts to try-for.
     *
     * @return the new live connection, or null when giving up or closed
     */
    private Link redial(final DerpEvent.Restarting restarting, final String cause) throws InterruptedException {
        final ReconnectPolicy policy = config.reconnect();
        long giveUpAtNs = Long.MAX_VALUE;
        if (restarting != null) {
            Thread.sleep(restarting.reconnectIn());
            if (!policy.enabled()) {
                giveUpAtNs = System.nanoTime() + restarting.tryFor().toNanos();
            }
        } else if (!policy.enabled()) {
            giveUp(cause);
            return null;
        }
        String lastError = cause;
        for (int attempt = 0; !closed; attempt++) {
            try {
                return startLink(open());
            } catch (final IOException e) {
                counters.onFailedDial();
                lastError = DerpDialer.oneLine(e);
            }
            final long nowNs = System.nanoTime();
            if (nowNs - giveUpAtNs >= 0) {
                giveUp(lastError);
                return null;
            }
            final long delayNs = Math.min(policy.delayNs(attempt, jitter.nextDouble()), giveUpAtNs - nowNs);
            Thread.sleep(Duration.ofNanos(Math.max(0, delayNs)));
        }
        return null;
    }

    private void giveUp(final String cause) {
        counters.onDrop(DropReason.CLOSED, outbound.fail(describe() + ": connection lost: " + cause));
        events.end();
    }

    private void failPings(final String why) {
        for (final PendingPing p : pings.values()) {
            p.rttNs().completeExceptionally(new IOException(why));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reader

    private void readLoop(final Link l) {
        String cause;
        try {
            readFrames(l);
            cause = "relay closed the connection";
        } catch (final InterruptedException e) {
            cause = "connection torn down";
        } catch (final SocketTimeoutException e) {
            cause = "nothing heard from the relay for " + config.readTimeout().toMillis() + " ms";
        } catch (final EOFException e) {
            cause = "relay closed the connection";
        } catch (final IOException e) {
            cause = DerpDialer.oneLine(e);
        }
        l.fail(cause);
    }

    /** Reads frames until the connection ends (returns) or fails (throws). Owned by the reader thread. */
    private void readFrames(final Link l) throws IOException, InterruptedException {
        final FrameReader in = l.conn.frames;
        final byte[] small = new byte[DerpProtocol.KEY_LENGTH + 2 * DerpProtocol.PING_LENGTH];
        final byte[] packet = new byte[DerpProtocol.MAX_PACKET_SIZE];
        NodeKey lastSource = null;
        int framesSinceYield = 0;
        while (!l.isDead()) {
            if (++framesSinceYield == READER_YIELD_FRAMES) {
                framesSinceYield = 0;
                if (Thread.currentThread().isVirtual()) {
                    Thread.yield();
                }
            }
            final int type;
            try {
                type = in.readHeader(DerpProtocol.MAX_FRAME_LENGTH);
            } catch (final DerpProtocolException e) {
                counters.onDrop(DropReason.OVERSIZE_FRAME, 1);
                throw e;
            }
            if (type < 0) {
                return;
            }
            l.lastFrameNs = System.nanoTime();
            final int length = in.remaining();
            switch (type) {
                case FrameType.RECV_PACKET -> {
                    if (length > DerpProtocol.KEY_LENGTH + DerpProtocol.MAX_PACKET_SIZE) {
                        counters.onDrop(DropReason.OVERSIZE_FRAME, 1);
                        throw new DerpProtocolException("RecvPacket frame of " + length + " bytes exceeds 32 + "
                            + DerpProtocol.MAX_PACKET_SIZE);
                    }
                    if (length < DerpProtocol.KEY_LENGTH) {
                        counters.onDrop(DropReason.MALFORMED_FRAME, 1);
                        continue;
                    }
                    in.read(small, 0, DerpProtocol.KEY_LENGTH);
                    // Relayed traffic mostly comes from one peer: reuse its key object.
                    if (lastSource == null || !lastSource.matches(small, 0)) {
                        lastSource = NodeKey.read(small, 0);
                    }
                    final int dataLength = length - DerpProtocol.KEY_LENGTH;
                    final PacketListener listener = packetListener;
                    final byte[] data;
                    if (listener != null) {
                        in.read(packet, 0, dataLength);
                        counters.onPacketIn(dataLength);
                        if (offerToListener(listener, lastSource, packet, dataLength)) {
                            continue;
                        }
                        data = Arrays.copyOf(packet, dataLength);
                    } else {
                        data = new byte[dataLength];
                        in.read(data, 0, dataLength);
                        counters.onPacketIn(dataLength);
                    }
                    final boolean queued;
                    try {
                        queued = events.putPacket(new DerpEvent.Packet(lastSource, data));
                    } catch (final InterruptedException e) {
                        counters.onDrop(DropReason.RECEIVE_ABORTED, 1);
                        throw e;
                    }
                    if (!queued) {
                        counters.onDrop(DropReason.RECEIVE_ABORTED, 1);
                        return;
                    }
                }
                case FrameType.KEEP_ALIVE, FrameType.SERVER_INFO -> {
                    // KeepAlive: liveness noted above. A late ServerInfo is ignored (derp_client.go does too).
                }
                case FrameType.PING -> {
                    if (length < DerpProtocol.PING_LENGTH) {
                        counters.onDrop(DropReason.MALFORMED_FRAME, 1);
                        continue;
                    }
                    in.read(small, 0, DerpProtocol.PING_LENGTH);
                    outbound.setPong(small, 0);
                }
                case FrameType.PONG -> {
                    if (length < DerpProtocol.PING_LENGTH) {
                        counters.onDrop(DropReason.MALFORMED_FRAME, 1);
                        continue;
                    }
                    in.read(small, 0, DerpProtocol.PING_LENGTH);
                    final PendingPing p = pings.remove(longAt(small, 0));
                    if (p != null) {
                        p.rttNs().complete(System.nanoTime() - p.startNs());
                    }
                }
                case FrameType.PEER_GONE -> {
                    if (length < DerpProtocol.KEY_LENGTH) {
                        counters.onDrop(DropReason.MALFORMED_FRAME, 1);
                        continue;
                    }
                    in.read(small, 0, DerpProtocol.KEY_LENGTH);
                    int reason = DerpProtocol.PEER_GONE_DISCONNECTED;
                    if (length > DerpProtocol.KEY_LENGTH) {
                        in.read(small, DerpProtocol.KEY_LENGTH, 1);
                        reason = small[DerpProtocol.KEY_LENGTH] & 0xff;
                    }
                    control(new DerpEvent.PeerGone(NodeKey.read(small, 0), reason));
                }
                case FrameType.PEER_PRESENT -> {
                    if (length < DerpProtocol.KEY_LENGTH) {
                        counters.onDrop(DropReason.MALFORMED_FRAME, 1);
                        continue;
                    }
                    in.read(small, 0, DerpProtocol.KEY_LENGTH);
                    control(new DerpEvent.PeerPresent(NodeKey.read(small, 0)));
                }
                case FrameType.HEALTH -> {
                    String text = new String(in.readRest(), StandardCharsets.UTF_8);
                    if (text.length() > MAX_HEALTH_CHARS) {
                        text = text.substring(0, MAX_HEALTH_CHARS);
                    }
                    health = text;
                    control(new DerpEvent.Health(text));
                }
                case FrameType.RESTARTING -> {
                    if (length < 2 * Integer.BYTES) {
                        counters.onDrop(DropReason.MALFORMED_FRAME, 1);
                        continue;
                    }
                    in.read(small, 0, 2 * Integer.BYTES);
                    final DerpEvent.Restarting r = new DerpEvent.Restarting(
                        Duration.ofMillis(intAt(small, 0) & 0xffffffffL),
                        Duration.ofMillis(intAt(small, Integer.BYTES) & 0xffffffffL));
                    control(r);
                    l.restarting = r;
                    l.fail("relay restarting (reconnect in " + r.reconnectIn().toMillis() + " ms, try for "
                        + r.tryFor().toMillis() + " ms)");
                    return;
                }
                default -> counters.onUnknownFrame();
            }
        }
    }

    /** True when the listener took the packet; a listener that throws loses it (counted), never the reader. */
    private boolean offerToListener(
        final PacketListener listener, final NodeKey source, final byte[] packet, final int length) {
        try {
            return listener.onPacket(source, packet, 0, length);
        } catch (final RuntimeException e) {
            counters.onDrop(DropReason.LISTENER_FAILED, 1);
            return true;
        }
    }

    private void control(final DerpEvent event) {
        if (!events.putControl(event)) {
            counters.onDrop(DropReason.EVENT_OVERFLOW, 1);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Writer

    /** Writes everything queued for the connection, many frames per flush. Owned by the writer thread. */
    private void writeLoop(final Link l) {
        final FrameWriter out = l.conn.writer;
        final SendPacer pacer = SendPacer.forRelay(
            l.conn.serverInfo.tokenBucketBytesPerSecond(), l.conn.serverInfo.tokenBucketBytesBurst());
        final OutboundQueue.Batch batch = new OutboundQueue.Batch();
        final byte[] one = new byte[1];
        int held = 0;
        try {
            while (outbound.awaitWork(l.generation, batch)) {
                held = batch.count;
                if (batch.notePreferred >= 0) {
                    one[0] = (byte)batch.notePreferred;
                    pace(pacer, out, 1);
                    out.writeFrame(FrameType.NOTE_PREFERRED, one, 0, 1);
                }
                if (batch.hasPong) {
                    pace(pacer, out, DerpProtocol.PING_LENGTH);
                    out.writeFrame(FrameType.PONG, batch.pong, 0, DerpProtocol.PING_LENGTH);
                }
                for (int i = 0; i < batch.pingCount; i++) {
                    pace(pacer, out, DerpProtocol.PING_LENGTH);
                    out.writeFrame(FrameType.PING, batch.pings[i], 0, DerpProtocol.PING_LENGTH);
                    batch.pings[i] = null;
                }
                long bytes = 0;
                for (int i = 0; i < batch.count; i++) {
                    final long seq = batch.first + i;
                    final int length = outbound.length(seq);
                    pace(pacer, out, DerpProtocol.KEY_LENGTH + length);
                    out.writeKeyedFrame(FrameType.SEND_PACKET, outbound.key(seq), outbound.buffer(seq), 0, length);
                    bytes += length;
                }
                out.flush();
                counters.onPacketsOut(batch.count, bytes);
                outbound.release(held);
                held = 0;
                if (batch.count == OutboundQueue.MAX_BATCH && Thread.currentThread().isVirtual()) {
                    Thread.yield(); // more is probably queued; let other virtual threads run (no time slicing)
                }
            }
        } catch (final IOException e) {
            l.fail("write to relay failed: " + DerpDialer.oneLine(e));
        } catch (final InterruptedException e) {
            l.fail("connection torn down");
        } finally {
            if (held > 0) {
                counters.onDrop(DropReason.CONNECTION_LOST, held);
                outbound.release(held);
            }
        }
    }

    /** Waits until a frame with {@code payloadBytes} fits the relay's token bucket, flushing first. */
    private void pace(final SendPacer pacer, final FrameWriter out, final int payloadBytes)
        throws IOException, InterruptedException {
        if (!pacer.enabled()) {
            return;
        }
        final int frameBytes = DerpProtocol.FRAME_HEADER_LENGTH + payloadBytes;
        long nowNs = System.nanoTime();
        final long delayNs = pacer.delayNs(frameBytes, nowNs);
        if (delayNs > 0) {
            out.flush();
            counters.onPacedWait();
            Thread.sleep(Duration.ofNanos(delayNs));
            nowNs = System.nanoTime();
        }
        pacer.onSent(frameBytes, nowNs);
    }

    // ---------------------------------------------------------------------------------------------------------

    private void checkSend(final NodeKey destination, final byte[] data, final int offset, final int length) {
        if (destination == null) {
            throw new NullPointerException("destination");
        }
        if (length > DerpProtocol.MAX_PACKET_SIZE) {
            throw new IllegalArgumentException(
                "DERP packet of " + length + " bytes exceeds " + DerpProtocol.MAX_PACKET_SIZE);
        }
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + ", array " + data.length);
        }
        if (!started && !closed) {
            throw new IllegalStateException("DerpClient.connect() must succeed before sending");
        }
    }

    /** For messages; built once, since every send passes it along. */
    private String describe() {
        return description;
    }

    private static void join(final Thread t, final long deadlineNs) {
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        final long remainingNs = deadlineNs - System.nanoTime();
        if (remainingNs <= 0) {
            return;
        }
        try {
            t.join(Duration.ofNanos(remainingNs));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long longAt(final byte[] b, final int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    private static int intAt(final byte[] b, final int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    /** One connection and its two threads. The first {@link #fail} wins and tears everything down. */
    private final class Link {
        final DerpConnection conn;
        final int generation;
        final CountDownLatch dead = new CountDownLatch(1);
        volatile String cause;
        volatile DerpEvent.Restarting restarting;
        volatile long lastFrameNs = System.nanoTime();
        Thread reader;
        Thread writer;

        Link(final DerpConnection conn, final int generation) {
            this.conn = conn;
            this.generation = generation;
        }

        boolean isDead() {
            return dead.getCount() == 0;
        }

        void fail(final String why) {
            synchronized (this) {
                if (cause != null) {
                    return;
                }
                cause = why;
            }
            conn.close();
            dead.countDown();
            final Thread self = Thread.currentThread();
            // Wake the other thread wherever it waits: socket I/O fails on the closed socket, queue waits on
            // interruption.
            if (reader != null && reader != self) {
                reader.interrupt();
            }
            if (writer != null && writer != self) {
                writer.interrupt();
            }
        }
    }
}
