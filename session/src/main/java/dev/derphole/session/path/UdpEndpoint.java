package dev.derphole.session.path;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.derphole.derp.stun.StunException;
import dev.derphole.derp.stun.StunMessage;
import dev.derphole.derp.stun.StunResponse;
import dev.derphole.derp.stun.StunTransactionId;
import dev.derphole.session.link.PacketKinds;
import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineCounters;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.SockAddr;
import dev.derphole.udp.UdpCounter;

/**
 * A session's one UDP socket (IPv4 wildcard, any port) over the best {@link DatagramEngine}, with one receive
 * thread that sorts datagrams by first byte: probes (0x80..0x8f) from any source go to the
 * {@link ProbeReceiver}; stream packets (0x10..0x3f) from the promoted peer address (or one of the peer's
 * lane addresses, {@link #acceptLane}) go to its {@link DirectPath}; until a path is promoted and its stream
 * engine attached they wait in {@link EarlyStream}; everything else is counted and dropped.
 * <p>
 * Threads: the receive thread ({@code derphole-direct-rx}) calls the receivers; sends may come from any thread
 * (the engine's send side is guarded by one lock: at most the stream sender and the prober contend).
 */
public final class UdpEndpoint implements AutoCloseable {
    /**
     * Stream datagram size on a direct path whose socket cannot set don't-fragment (Netty epoll, NIO), in bytes:
     * fits a 1500-byte MTU under IPv4 or IPv6 with room for a tunnel or PPPoE header; where a path carries less,
     * the kernel fragments.
     */
    public static final int DIRECT_DATAGRAM_BYTES = 1400;
    /**
     * Stream datagram size a don't-fragment socket starts with, in bytes, before its path MTU is measured: the
     * IPv6 minimum MTU (1280) less IPv6 and UDP headers, which every IPv6 path carries and in practice every IPv4
     * path too, tunnels and VPNs (WireGuard 1420, Tailscale 1280) included.
     */
    public static final int MIN_DATAGRAM_BYTES = 1232;
    /** The largest datagram a 1500-byte MTU carries under IPv4, in bytes (1500 less IPv4 and UDP headers). */
    public static final int STANDARD_DATAGRAM_BYTES = 1472;
    /**
     * Largest datagram the endpoint sends or receives, in bytes: the top of the path MTU ladder (a loopback or
     * virtual link with a 64 KiB MTU), under the 65,507-byte UDP limit of IPv4.
     */
    public static final int MAX_DATAGRAM_BYTES = 65_000;
    /**
     * Kernel socket buffers, in bytes: room for a burst of the congestion window while the receive thread is
     * descheduled (kernel memory; {@code SO_RCVBUFFORCE} when privileged, else capped by {@code rmem_max}).
     */
    private static final int SOCKET_BUFFER_BYTES = 16 << 20;
    /**
     * When {@link #stun} repeats its binding request, in ms after the first: early, because the request and its
     * answer cross the same lossy links as the session (one loss in 17 at 3 % either way) and the claim is sent
     * without the answer after 100 ms. A repeat that crosses a late answer costs 48 bytes.
     */
    private static final long[] STUN_REPEATS_MS = {100, 250, 450, 700};
    /** GRO super-packets per receive call: 2 x 64 datagrams of 1,400 B, or 2 of the largest. */
    private static final int GRO_MESSAGES_PER_RECEIVE = 2;
    /** How long one receive call waits before checking whether the endpoint closed, in ns. */
    private static final long RECEIVE_WAIT_NS = 100_000_000L;
    /** The same while stream datagrams wait for their path's promotion ({@link EarlyStream}), in ns. */
    private static final long EARLY_POLL_NS = 2_000_000L;
    private static final long CLOSE_JOIN_MS = 2_000;
    /** Datagrams one {@link #flush} sends at most: the stream sender's burst (64) fits. */
    private static final int PENDING_DATAGRAMS = 64;

    /** Receives probe packets (from the receive thread). */
    @FunctionalInterface
    public interface ProbeReceiver {
        void onProbe(InetSocketAddress source, byte[] buffer, int offset, int length);
    }

    private final DatagramEngine engine;
    private final PacketBatch sendBatch;
    /** The stream sender's burst, sent by {@link #flush}; owned by the stream sender thread. */
    private final PacketBatch pending;
    private final Object sendLock = new Object();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread receiveThread;
    private volatile ProbeReceiver probes;
    private volatile StunQuery stunQuery;
    private volatile DirectPath direct;
    /** Peer lane addresses whose stream packets the direct path takes as well, by lane index (null = none). */
    private volatile MemorySegment[] laneCells = new MemorySegment[ProbeCodec.MAX_LANE + 1];
    private volatile boolean closed;
    /** Stream datagrams that came before their path was promoted (receive thread). */
    private final EarlyStream early = new EarlyStream();

    private UdpEndpoint(final DatagramEngine engine) {
        this.engine = engine;
        this.sendBatch = PacketBatch.gcManaged(1, engine.config().maxDatagramBytes());
        this.pending = PacketBatch.gcManaged(PENDING_DATAGRAMS, engine.config().maxDatagramBytes());
        this.receiveThread = Thread.ofPlatform().daemon().name("derphole-direct-rx").unstarted(this::receiveLoop);
    }

    /**
     * Opens the socket on every IPv4 interface, any free port, and starts receiving. With an engine that can set
     * don't-fragment the socket takes datagrams up to {@link #MAX_DATAGRAM_BYTES} (path MTU probing); with the
     * others it keeps {@link #DIRECT_DATAGRAM_BYTES}-sized buffers, so the peer's larger probes go unanswered
     * and it stays at that size too.
     */
    public static UdpEndpoint open() throws IOException {
        final EngineKind kind = DatagramEngines.selected();
        final DatagramEngineConfig.Builder config = DatagramEngineConfig
            .builder(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0))
            .socketReceiveBufferBytes(SOCKET_BUFFER_BYTES)
            .socketSendBufferBytes(SOCKET_BUFFER_BYTES)
            .gro(true)
            .groMessagesPerReceive(GRO_MESSAGES_PER_RECEIVE);
        if (kind.setsDontFragment()) {
            config.maxDatagramBytes(MAX_DATAGRAM_BYTES).dontFragment(true);
        }
        final UdpEndpoint endpoint = new UdpEndpoint(DatagramEngines.open(kind, config.build()));
        endpoint.receiveThread.start();
        return endpoint;
    }

    /** Largest datagram the socket sends or receives, in bytes. */
    public int maxDatagramBytes() {
        return engine.config().maxDatagramBytes();
    }

    /** The local port (every candidate carries it). */
    public int port() {
        return engine.localAddress().getPort();
    }

    /** Engine label for status lines ({@code uring}, {@code nio}, ...). */
    public String engineLabel() {
        return engine.kind().label();
    }

    /** Installs the probe receiver; probes before this are dropped (the peer resends). */
    public void probes(final ProbeReceiver receiver) {
        probes = receiver;
    }

    /**
     * Whether datagrams leave unfragmented, so a path MTU probe that is answered proves its size (the direct path
     * starts at {@link #MIN_DATAGRAM_BYTES}); without it the direct path keeps {@link #DIRECT_DATAGRAM_BYTES}.
     */
    public boolean probesPathMtu() {
        return engine.dontFragment();
    }

    /** The datagram size a new direct path starts with (see {@link #probesPathMtu()}). */
    public int initialDatagramBytes() {
        return probesPathMtu() ? MIN_DATAGRAM_BYTES : DIRECT_DATAGRAM_BYTES;
    }

    /**
     * Creates the direct path to {@code remote}, sending datagrams of up to {@code datagramBytes}; its stream
     * packets are routed to it from now on.
     */
    public DirectPath promote(final InetSocketAddress remote, final int datagramBytes) {
        final DirectPath path = new DirectPath(this, remote, datagramBytes);
        direct = path;
        return path;
    }

    /**
     * Stream packets from {@code source} go to the direct path too: the peer's lane {@code lane} (another socket of
     * its) proved with an authenticated LANE_PROBE that it sends from there. Replaces that lane's earlier address
     * (a NAT may have rebound it). Acknowledgements still go to the direct path's address only.
     */
    public synchronized void acceptLane(final int lane, final InetSocketAddress source) {
        if (lane < ProbeCodec.MIN_LANE || lane > ProbeCodec.MAX_LANE) {
            throw new IllegalArgumentException("lane " + lane);
        }
        final MemorySegment[] next = laneCells.clone();
        next[lane] = SockAddr.cellOf(source);
        laneCells = next;
    }

    /** Lanes whose stream packets are accepted ({@link #acceptLane}). */
    public int acceptedLanes() {
        int n = 0;
        for (final MemorySegment cell : laneCells) {
            n += cell == null ? 0 : 1;
        }
        return n;
    }

    /**
     * {@code udp-sent=D send-calls=C gso=G gro=R}: datagrams sent, the system calls (or io_uring submissions) that
     * sent them, and the GSO and GRO messages among them; D / C is the batching the pacing allowed.
     */
    public String ioSummary() {
        final EngineCounters c = engine.counters();
        return "udp-sent=" + c.get(UdpCounter.DATAGRAMS_SENT) + " send-calls=" + c.get(UdpCounter.SEND_CALLS)
            + " gso=" + c.get(UdpCounter.GSO_MESSAGES) + " gro=" + c.get(UdpCounter.GRO_MESSAGES);
    }

    /** Datagrams nobody wanted (unknown first byte, stream packets from an unpromoted source). */
    public long dropped() {
        return dropped.get();
    }

    /** Sends one datagram to the address in {@code cell}; false when it was not sent. */
    boolean send(final MemorySegment cell, final byte[] buffer, final int offset, final int length)
        throws IOException {
        if (closed) {
            return false;
        }
        synchronized (sendLock) {
            sendBatch.clear();
            final int slot = sendBatch.add(buffer, offset, length);
            if (slot < 0) {
                return false;
            }
            sendBatch.address(slot, cell, 0);
            try {
                return engine.sendBatch(sendBatch) == 1;
            } catch (final ClosedChannelException e) {
                return false;
            }
        }
    }

    /**
     * Holds a datagram to {@code cell} back for {@link #flush}, flushing first when the burst is full. From the
     * stream sender thread only.
     */
    boolean queue(final MemorySegment cell, final byte[] buffer, final int offset, final int length)
        throws IOException {
        if (closed) {
            return false;
        }
        int slot = pending.add(buffer, offset, length);
        if (slot < 0) {
            flush();
            slot = pending.add(buffer, offset, length);
        }
        pending.address(slot, cell, 0);
        return true;
    }

    /**
     * Sends the held-back burst in one call; runs of full-size datagrams go out as GSO messages when the engine
     * has GSO (the first datagram's length is the segment size: the stream sends full datagrams but for the
     * tail). From the stream sender thread only.
     */
    void flush() throws IOException {
        final int count = pending.count();
        if (count == 0) {
            return;
        }
        try {
            if (!closed) {
                final int segment = engine.supportsGso() && count > 1 ? pending.length(0) : 0;
                synchronized (sendLock) {
                    engine.sendBatch(pending, segment);
                }
            }
        } catch (final ClosedChannelException e) {
            // Closed under us: the datagrams are lost like any other; the session is shutting down the path.
        } finally {
            pending.clear();
        }
    }

    /**
     * Asks the STUN server {@code server} which address our datagrams leave with (our address on the far side of
     * any NAT), from this very socket, so the answer is the mapping a peer can use. Repeats the binding request
     * (same transaction, so an answer to any copy counts) at {@link #STUN_REPEATS_MS} within {@code timeoutMs}.
     *
     * @return the mapped address, or null when no valid answer came in time
     */
    public InetSocketAddress stun(final InetSocketAddress server, final long timeoutMs) throws InterruptedException {
        final StunQuery query = new StunQuery(server);
        stunQuery = query;
        try {
            final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
            final int length = StunMessage.writeBindingRequest(query.transactionId, request, 0);
            final long startNs = System.nanoTime();
            final long deadline = startNs + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            for (int i = 0; i <= STUN_REPEATS_MS.length && !closed; i++) {
                sendTo(server, java.util.Arrays.copyOf(request, length));
                final long nextNs = i < STUN_REPEATS_MS.length
                    ? Math.min(deadline, startNs + TimeUnit.MILLISECONDS.toNanos(STUN_REPEATS_MS[i])) : deadline;
                final InetSocketAddress mapped = query.await(nextNs - System.nanoTime());
                if (mapped != null || nextNs == deadline) {
                    return mapped;
                }
            }
            return query.await(deadline - System.nanoTime());
        } finally {
            stunQuery = null;
        }
    }

    /** One outstanding STUN binding request: matched by server and transaction id on the receive thread. */
    private static final class StunQuery {
        final InetSocketAddress server;
        final StunTransactionId transactionId = StunTransactionId.random();
        final CompletableFuture<InetSocketAddress> mapped = new CompletableFuture<>();

        StunQuery(final InetSocketAddress server) {
            this.server = server;
        }

        void onDatagram(final InetSocketAddress source, final byte[] buffer, final int length) {
            if (!server.equals(source)) {
                return;
            }
            try {
                final StunResponse response = StunMessage.parseBindingResponse(buffer, 0, length);
                if (response.transactionId().equals(transactionId)) {
                    mapped.complete(response.mappedAddress());
                }
            } catch (final StunException | RuntimeException e) {
                // Not an answer to us (or malformed): ignore it, the request is repeated.
            }
        }

        InetSocketAddress await(final long nanos) throws InterruptedException {
            if (nanos <= 0) {
                return mapped.getNow(null);
            }
            try {
                return mapped.get(nanos, TimeUnit.NANOSECONDS);
            } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return null;
            }
        }
    }

    /** Sends one control datagram (a probe) to {@code destination}; failures count as a lost probe. */
    public boolean sendTo(final InetSocketAddress destination, final byte[] packet) {
        try {
            return send(SockAddr.cellOf(destination), packet, 0, packet.length);
        } catch (final IOException | RuntimeException e) {
            return false;
        }
    }

    private void receiveLoop() {
        final byte[] scratch = new byte[engine.config().maxDatagramBytes()];
        try (PacketBatch batch = engine.newReceiveBatch()) {
            while (!closed) {
                final int count = engine.receiveBatch(batch, early.isEmpty() ? RECEIVE_WAIT_NS : EARLY_POLL_NS);
                for (int i = 0; i < count; i++) {
                    dispatch(batch, i, scratch);
                }
                if (!early.isEmpty()) {
                    dropped.addAndGet(early.release(direct, scratch, System.nanoTime()));
                }
            }
        } catch (final IOException e) {
            // Closed (the normal way out) or failed for good: the relay path carries on either way.
        }
    }

    private void dispatch(final PacketBatch batch, final int slot, final byte[] scratch) {
        final int length = batch.length(slot);
        if (length <= 0) {
            dropped.incrementAndGet();
            return;
        }
        final int first = batch.data().get(ValueLayout.JAVA_BYTE, batch.offset(slot)) & 0xff;
        final StunQuery query = stunQuery;
        if (query == null && PacketKinds.isStream(first)) {
            // The bulk of the traffic: handed over in place, so the inbox copies it once (no scratch copy).
            deliverStream(batch, slot, length, scratch);
            return;
        }
        batch.copyTo(slot, scratch, 0);
        if (query != null && StunMessage.isStunMessage(scratch, 0, length)) {
            query.onDatagram(batch.address(slot), scratch, length);
            return;
        }
        if (PacketKinds.isStream(first)) {
            deliverStream(batch, slot, length, scratch);
            return;
        }
        if (PacketKinds.isProbe(first)) {
            final ProbeReceiver receiver = probes;
            if (receiver != null) {
                receiver.onProbe(batch.address(slot), scratch, 0, length);
                return;
            }
        }
        dropped.incrementAndGet();
    }

    private void deliverStream(final PacketBatch batch, final int slot, final int length, final byte[] scratch) {
        final DirectPath path = direct;
        final boolean attached = path != null && path.hasReceiver();
        if (attached && (batch.addressMatches(slot, path.cell(), 0) || fromLane(batch, slot))) {
            if (!early.isEmpty()) {
                dropped.addAndGet(early.release(path, scratch, System.nanoTime())); // in order, before this one
            }
            path.deliver(batch.data(), batch.offset(slot), length, scratch, batch.receivedNs(slot));
            return;
        }
        if (!attached && early.hold(batch.address(slot), batch.data(), batch.offset(slot), length,
            batch.receivedNs(slot), System.nanoTime())) {
            return;
        }
        dropped.incrementAndGet();
    }

    private boolean fromLane(final PacketBatch batch, final int slot) {
        for (final MemorySegment cell : laneCells) {
            if (cell != null && batch.addressMatches(slot, cell, 0)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        final DirectPath path = direct;
        if (path != null) {
            path.close();
        }
        engine.close();
        if (receiveThread != Thread.currentThread()) {
            try {
                receiveThread.join(CLOSE_JOIN_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
