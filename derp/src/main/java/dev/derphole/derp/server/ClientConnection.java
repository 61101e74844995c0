package dev.derphole.derp.server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.HashSet;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.derp.proto.FrameReader;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

/**
 * One accepted connection: TLS (optional), one HTTP request, and — when it asks for the DERP upgrade — the DERP
 * handshake and the client's frames.
 * <p>
 * Threads: {@link #run()} is the connection's reader thread (a virtual thread). It owns the input stream, the
 * handshake, the reader-side state (read buffer, destination cache, rate limiter) and registration. After the
 * handshake it starts a {@link ClientWriter} on a second virtual thread, which from then on is the only writer on
 * the socket. Before that, the reader thread writes the HTTP response / 101 and the ServerKey frame itself; the
 * {@link FrameWriter} is handed over by {@link Thread#start()}. Other threads touch only {@link #queue()} (to
 * offer packets and control frames), {@link #close()} and {@link #checkDeadlines}; fields guarded by the
 * {@link ClientRegistry} lock are marked.
 */
final class ClientConnection implements Runnable {
    /** Input buffer; the reader reads frames out of it. */
    static final int INPUT_BUFFER_BYTES = 32 << 10;
    /** derper limits ClientInfo to 256 KiB because the client is not trusted yet. */
    static final int MAX_CLIENT_INFO_LENGTH = 256 << 10;
    /** Initial read buffer; grows to the largest SendPacket seen (at most 32 + 64 KiB). */
    static final int INITIAL_READ_BUFFER = 2048;
    /** PeerGone(not here) answers per second and burst, per client ({@code peerGoneLim}: every 1 s, burst 3). */
    static final double NOT_HERE_PER_SECOND = 1;
    static final double NOT_HERE_BURST = 3;
    /** disco magic {@code "TS💬"} that marks Tailscale discovery packets ({@code disco.LooksLikeDiscoWrapper}). */
    static final byte[] DISCO_MAGIC = {'T', 'S', (byte)0xf0, (byte)0x9f, (byte)0x92, (byte)0xac};
    /** Disco wrapper header: magic, sender disco key, nonce. */
    static final int DISCO_HEADER_LENGTH = DISCO_MAGIC.length + DerpProtocol.KEY_LENGTH + DerpProtocol.NONCE_LENGTH;
    /**
     * Frames a reader handles before yielding its carrier. Virtual threads are not time-sliced: a reader whose
     * socket always has data would otherwise keep a carrier from the writers it feeds (seen on 2 cores).
     */
    static final int READER_YIELD_FRAMES = 32;
    /** How long the reader waits for its writer to finish after closing. */
    static final Duration WRITER_JOIN = Duration.ofSeconds(5);

    private final DerpServer server;
    private final Socket socket;
    private final long id;
    private final DerpServerCounters counters;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** System.nanoTime deadline of the handshake; 0 once the handshake completed. Read by the watchdog. */
    private volatile long handshakeDeadlineNs;
    /** System.nanoTime when the writer began the current write; 0 when idle. Read by the watchdog. */
    private volatile long writeStartedNs;
    private volatile boolean timedOut;
    private volatile SendQueue queue;
    private volatile Thread writerThread;

    // Set by the handshake, then immutable.
    NodeKey key;
    private ClientInfo info;

    // Guarded by the ClientRegistry lock (registered and duplicate are also read without it).
    ClientSet set;
    volatile boolean registered;
    volatile boolean duplicate;
    final HashSet<ClientSet> watching = new HashSet<>();

    // Owned by the reader thread.
    private InputStream in;
    private FrameReader reader;
    private FrameWriter writer;
    private byte[] readBuf = new byte[INITIAL_READ_BUFFER];
    private ClientSet lastDestination;
    private final HashSet<ClientConnection> knownTargets = new HashSet<>();
    private int knownTargetsPruneAt = 64;
    private TokenBucket receiveLimit;
    private TokenBucket notHereLimit;
    private boolean preferred;

    ClientConnection(final DerpServer server, final Socket socket, final long id, final long handshakeDeadlineNs) {
        this.server = server;
        this.socket = socket;
        this.id = id;
        this.counters = server.counters();
        this.handshakeDeadlineNs = handshakeDeadlineNs;
    }

    long id() {
        return id;
    }

    SendQueue queue() {
        return queue;
    }

    ClientInfo info() {
        return info;
    }

    boolean preferred() {
        return preferred;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void run() {
        final ClientRegistry registry = server.registry();
        try {
            if (!handshake()) {
                return;
            }
            registry.register(this);
            final DerpServerConfig config = server.config();
            final ClientWriter clientWriter = new ClientWriter(this, writer, queue, counters,
                server.serverInfoPayload(key),
                config.keepAliveInterval().toNanos(), config.keepAliveJitter().toNanos());
            final Thread t = Thread.ofVirtual().name("derp-writer-" + id).unstarted(clientWriter);
            writerThread = t;
            if (closed.get()) {
                return;
            }
            t.start();
            readLoop();
        } finally {
            close();
            registry.unregister(this);
            joinWriter();
            server.onConnectionDone(this);
        }
    }

    /**
     * TLS, HTTP and the DERP handshake. Counts its own failures.
     *
     * @return true when this is now a DERP client with a {@link #key}
     */
    private boolean handshake() {
        final DerpServerConfig config = server.config();
        try {
            socket.setTcpNoDelay(true);
            if (socket instanceof SSLSocket ssl) {
                try {
                    ssl.startHandshake();
                } catch (final SSLException e) {
                    return fail(timedOut ? HandshakeFailure.TIMEOUT : HandshakeFailure.TLS);
                }
            }
            in = new BufferedInputStream(socket.getInputStream(), INPUT_BUFFER_BYTES);
            final OutputStream out = socket.getOutputStream();
            final HttpRequestHead head;
            try {
                head = HttpRequestHead.read(in);
            } catch (final HttpRequestHead.BadRequestException e) {
                HttpFrontDoor.badRequest(out);
                return fail(HandshakeFailure.BAD_HTTP);
            }
            final HttpFrontDoor.Outcome outcome = HttpFrontDoor.serve(head, out);
            if (outcome == HttpFrontDoor.Outcome.RESPONDED) {
                counters.onHttpResponse();
                return false;
            }
            writer = new FrameWriter(out);
            if (outcome == HttpFrontDoor.Outcome.UPGRADE) {
                final byte[] response = HttpFrontDoor.switchingProtocols(server.serverKey());
                writer.write(response, 0, response.length);
            }
            final byte[] serverKey = Handshake.serverKeyPayload(server.serverKey());
            writer.writeFrame(FrameType.SERVER_KEY, serverKey, 0, serverKey.length);
            writer.flush();

            reader = new FrameReader(in);
            final int type;
            try {
                type = reader.readHeader(MAX_CLIENT_INFO_LENGTH);
            } catch (final DerpProtocolException e) {
                return fail(HandshakeFailure.BAD_FRAME);
            }
            if (type < 0) {
                return fail(timedOut ? HandshakeFailure.TIMEOUT : HandshakeFailure.IO);
            }
            if (type != FrameType.CLIENT_INFO || reader.remaining() < Handshake.MIN_CLIENT_INFO_LENGTH) {
                return fail(HandshakeFailure.BAD_FRAME);
            }
            final byte[] payload = reader.readRest();
            final Handshake.OpenedClientInfo opened;
            try {
                opened = Handshake.openClientInfo(config.serverKeyPair(), payload);
            } catch (final DerpProtocolException e) {
                return fail(HandshakeFailure.BOX);
            }
            try {
                info = ServerJson.parseClientInfo(opened.json());
            } catch (final DerpProtocolException e) {
                return fail(HandshakeFailure.BAD_JSON);
            }
            key = opened.clientKey();
            queue = new SendQueue(config.queueDepth(), counters);
            handshakeDeadlineNs = 0;
            if (closed.get()) {
                // The watchdog fired just as we finished.
                return fail(HandshakeFailure.TIMEOUT);
            }
            final long nowNs = System.nanoTime();
            if (config.rateLimited()) {
                receiveLimit = new TokenBucket(config.rateLimitBytesPerSecond(), config.rateLimitBurstBytes(), nowNs);
            }
            notHereLimit = new TokenBucket(NOT_HERE_PER_SECOND, NOT_HERE_BURST, nowNs);
            return true;
        } catch (final IOException e) {
            return fail(timedOut ? HandshakeFailure.TIMEOUT : HandshakeFailure.IO);
        }
    }

    private boolean fail(final HandshakeFailure reason) {
        counters.onHandshakeFailure(reason);
        return false;
    }

    /** Reads frames until the client leaves, breaks the protocol, or the connection is closed. */
    private void readLoop() {
        int framesSinceYield = 0;
        try {
            while (true) {
                if (++framesSinceYield == READER_YIELD_FRAMES) {
                    framesSinceYield = 0;
                    Thread.yield();
                }
                final int type = reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH);
                if (type < 0) {
                    return;
                }
                final int len = reader.remaining();
                if (receiveLimit != null) {
                    throttle(len);
                }
                if (duplicate && set.active != this) {
                    server.registry().noteActivity(this);
                }
                if (!onFrame(type, len)) {
                    return;
                }
            }
        } catch (final DerpProtocolException e) {
            counters.onOversizeClose(); // the only protocol exception left is a frame over MAX_FRAME_LENGTH
        } catch (final IOException e) {
            // Peer hung up, reset, or we closed the socket: nothing to count.
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Handles one frame whose header was read; returns false to close the connection. */
    private boolean onFrame(final int type, final int len) throws IOException {
        switch (type) {
            case FrameType.SEND_PACKET:
                return onSendPacket(len);
            case FrameType.PING:
                if (len < DerpProtocol.PING_LENGTH || len > DerpProtocol.MAX_PING_LENGTH) {
                    counters.onMalformedClose();
                    return false;
                }
                reader.read(readBuf, 0, DerpProtocol.PING_LENGTH);
                reader.skipRest();
                counters.onPing();
                queue.offerPong(longAt(readBuf, 0));
                return true;
            case FrameType.NOTE_PREFERRED:
                if (len != 1) {
                    counters.onMalformedClose();
                    return false;
                }
                reader.read(readBuf, 0, 1);
                preferred = readBuf[0] != 0;
                return true;
            case FrameType.WATCH_CONNS, FrameType.CLOSE_PEER, FrameType.FORWARD_PACKET:
                // Mesh frames need the mesh key; this relay has no mesh, so nobody may send them (derper closes).
                counters.onForbiddenFrameClose();
                return false;
            default:
                reader.skipRest();
                counters.onFrameSkipped();
                return true;
        }
    }

    private boolean onSendPacket(final int len) throws IOException {
        if (len < DerpProtocol.KEY_LENGTH) {
            counters.onMalformedClose();
            return false;
        }
        final int packetLen = len - DerpProtocol.KEY_LENGTH;
        if (packetLen > DerpProtocol.MAX_PACKET_SIZE) {
            counters.onOversizeClose();
            return false;
        }
        if (readBuf.length < len) {
            readBuf = new byte[Math.max(len, Math.min(2 * readBuf.length,
                DerpProtocol.KEY_LENGTH + DerpProtocol.MAX_PACKET_SIZE))];
        }
        final byte[] buf = readBuf;
        reader.read(buf, 0, len);
        counters.onPacketReceived(packetLen);

        ClientSet dst = lastDestination;
        if (dst == null || !dst.live || !dst.key.matches(buf, 0)) {
            dst = server.registry().lookup(NodeKey.read(buf, 0));
            lastDestination = dst;
        }
        final ClientConnection target = dst == null ? null : dst.active;

        final PacketObserver observer = server.config().packetObserver();
        if (observer != null) {
            final NodeKey dstKey = dst != null ? dst.key : NodeKey.read(buf, 0);
            if (!observer.onSendPacket(key, dstKey, buf, DerpProtocol.KEY_LENGTH, packetLen)) {
                counters.onDrop(DropReason.OBSERVER);
                return true;
            }
        }
        if (target == null) {
            counters.onDrop(DropReason.UNKNOWN_DEST);
            // derper answers only disco packets, at most ~1/s, so a peer's magicsock learns the key is not here.
            if (looksLikeDisco(buf, DerpProtocol.KEY_LENGTH, packetLen) && notHereLimit.tryTake(1, System.nanoTime())) {
                queue.offerControl(new SendQueue.Control(FrameType.PEER_GONE,
                    dst != null ? dst.key : NodeKey.read(buf, 0), DerpProtocol.PEER_GONE_NOT_HERE, null));
            }
            return true;
        }
        if (!knownTargets.contains(target)) {
            noteTarget(target);
        }
        if (!target.queue.offerPacket(key, buf, DerpProtocol.KEY_LENGTH, packetLen)) {
            counters.onDrop(DropReason.GONE_DISCONNECTED);
        }
        return true;
    }

    /** First packet to this receiving connection: record the pair for PeerGone, keep the cache bounded. */
    private void noteTarget(final ClientConnection target) {
        if (!server.registry().notePair(this, target)) {
            return;
        }
        if (knownTargets.size() >= knownTargetsPruneAt) {
            knownTargets.removeIf(c -> !c.registered);
            knownTargetsPruneAt = Math.max(64, 2 * knownTargets.size());
        }
        knownTargets.add(target);
    }

    private void throttle(final int len) throws InterruptedException {
        // Like derper: charge the frame length, clamped to one maximum SendPacket so a frame never exceeds the burst.
        final long n = Math.min(len, DerpServerConfig.MIN_RATE_LIMIT_BURST_BYTES);
        final long waitNs = receiveLimit.reserve(n, System.nanoTime());
        if (waitNs > 0) {
            counters.onRateLimitWait();
            Thread.sleep(Duration.ofNanos(waitNs));
        }
    }

    static boolean looksLikeDisco(final byte[] buf, final int off, final int len) {
        if (len < DISCO_HEADER_LENGTH) {
            return false;
        }
        for (int i = 0; i < DISCO_MAGIC.length; i++) {
            if (buf[off + i] != DISCO_MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static long longAt(final byte[] b, final int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    /** Writer: a frame write begins now (re-armed per frame, so the timeout means "no progress", like derper). */
    void armWrite() {
        writeStartedNs = System.nanoTime();
    }

    void disarmWrite() {
        writeStartedNs = 0;
    }

    /** Watchdog: closes the connection when its handshake or a write has overrun. */
    void checkDeadlines(final long nowNs, final long writeTimeoutNs) {
        final long handshakeDeadline = handshakeDeadlineNs;
        if (handshakeDeadline != 0 && nowNs - handshakeDeadline > 0) {
            timedOut = true;
            close();
            return;
        }
        final long writeStarted = writeStartedNs;
        if (writeStarted != 0 && nowNs - writeStarted > writeTimeoutNs && !closed.get()) {
            counters.onWriteTimeout();
            close();
        }
    }

    /** Closes the socket and the send queue (idempotent, any thread). The reader thread then unregisters. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            socket.close();
        } catch (final IOException e) {
            // Closing is best effort; the socket is unusable either way.
        }
        final SendQueue q = queue;
        if (q != null) {
            q.close();
        }
    }

    private void joinWriter() {
        final Thread t = writerThread;
        if (t == null) {
            return;
        }
        try {
            t.join(WRITER_JOIN);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ClientConnection[" + id + (key != null ? " " + key.shortString() : "") + "]";
    }
}
