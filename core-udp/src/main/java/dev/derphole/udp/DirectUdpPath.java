package dev.derphole.udp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link PacketPath} straight to one peer over a {@link DatagramEngine}: what the session hands the stream
 * engine once a direct UDP route works. The path owns the engine and closes it.
 * <p>
 * <b>Send.</b> {@link #send} sends one datagram at once (one system call). For throughput, the stream
 * engine's sender uses the batched extension instead: {@link #offer} copies datagrams into a pending
 * batch (false when full), and {@link #sendPending()} sends them together, as GSO runs when
 * {@code gsoSegmentBytes > 0} and the engine supports it.
 * <p>
 * <b>Receive.</b> The first {@link #receiver} call starts a platform thread
 * ({@code derphole-udp-rx-<port>}) that receives batches and hands each datagram from the peer to the handler
 * in place ({@link PacketHandler#onPacket(PacketPath, MemorySegment, long, int, byte[])}: the handler copies it
 * into a heap array, where JDK AES-GCM is fastest). Until then datagrams
 * wait in the kernel's socket buffer. Datagrams from any other source are dropped and counted.
 * <p>
 * <b>Threads.</b> {@link #send}, {@link #offer} and {@link #flush} belong to one sender thread; the handler
 * runs on the receive thread; {@link #receiver} and {@link #close} may be called from any thread.
 */
public final class DirectUdpPath implements PacketPath {
    /** How long the receive thread waits per receive before checking whether the path closed, in ns. */
    private static final long RECEIVE_WAIT_NS = 100_000_000L;
    /** Datagrams the pending batch holds before {@link #offer} refuses. */
    public static final int PENDING_DATAGRAMS = 64;
    /** How long {@link #close()} waits for the receive thread to stop, in ms. */
    private static final long CLOSE_JOIN_MS = 2_000;

    private final DatagramEngine engine;
    private final InetSocketAddress remote;
    private final MemorySegment remoteCell;
    private final int maxDatagramLength;
    private final int gsoSegmentBytes;
    private final PacketBatch single;
    private final PacketBatch pending;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong foreignSourceDrops = new AtomicLong();
    private final AtomicLong handlerFailures = new AtomicLong();
    private final AtomicLong refusedOffers = new AtomicLong();
    private final Object lifecycle = new Object();
    private volatile PacketHandler handler;
    private volatile IOException failure;
    private volatile boolean closed;
    private Thread receiveThread;

    /**
     * @param engine          the engine to send and receive with; the path owns it from now on
     * @param remote          the peer (same address family as the engine's socket)
     * @param gsoSegmentBytes segment size for {@link #flush()} GSO runs, or 0 for none
     */
    public DirectUdpPath(final DatagramEngine engine, final InetSocketAddress remote, final int gsoSegmentBytes) {
        this.engine = engine;
        this.remote = remote;
        this.remoteCell = SockAddr.cellOf(remote);
        this.maxDatagramLength = engine.config().maxDatagramBytes();
        this.gsoSegmentBytes = gsoSegmentBytes;
        // GC-managed: close() may come from another thread while the sender is still inside send().
        this.single = PacketBatch.gcManaged(1, maxDatagramLength);
        this.pending = PacketBatch.gcManaged(PENDING_DATAGRAMS, maxDatagramLength);
    }

    /** Opens the best engine for {@code config} and a path over it to {@code remote}. */
    public static DirectUdpPath open(
        final DatagramEngineConfig config, final InetSocketAddress remote, final int gsoSegmentBytes)
            throws IOException {
        return new DirectUdpPath(DatagramEngines.open(config), remote, gsoSegmentBytes);
    }

    @Override
    public String name() {
        return "direct";
    }

    @Override
    public int maxDatagramLength() {
        return maxDatagramLength;
    }

    /** The peer. */
    public InetSocketAddress remote() {
        return remote;
    }

    /** The engine underneath (for its counters and local address). */
    public DatagramEngine engine() {
        return engine;
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
        checkLength(length);
        if (closed) {
            return false;
        }
        single.clear();
        final int slot = single.add(buffer, offset, length);
        single.address(slot, remoteCell, 0);
        try {
            return engine.sendBatch(single) == 1;
        } catch (final ClosedChannelException e) {
            return false;
        }
    }

    /**
     * Queues a datagram for the next {@link #sendPending()}.
     *
     * @return false when the pending batch is full (counted): flush, then offer again
     */
    public boolean offer(final byte[] buffer, final int offset, final int length) {
        checkLength(length);
        final int slot = pending.add(buffer, offset, length);
        if (slot < 0) {
            refusedOffers.incrementAndGet();
            return false;
        }
        pending.address(slot, remoteCell, 0);
        return true;
    }

    /** Datagrams waiting for {@link #flush()}. */
    public int pendingCount() {
        return pending.count();
    }

    /** {@link #offer}, sending the pending batch first when it is full. */
    @Override
    public boolean queue(final byte[] buffer, final int offset, final int length) throws IOException {
        if (closed) {
            return false;
        }
        if (pending.count() == PENDING_DATAGRAMS) {
            sendPending();
        }
        return offer(buffer, offset, length);
    }

    @Override
    public void flush() throws IOException {
        sendPending();
    }

    /**
     * Sends the pending datagrams (as GSO runs where possible) and empties the pending batch.
     *
     * @return datagrams the kernel accepted; 0 when the path is closed
     * @throws IOException when the engine failed for good
     */
    public int sendPending() throws IOException {
        if (pending.count() == 0) {
            return 0;
        }
        try {
            return closed ? 0 : engine.sendBatch(pending, gsoSegmentBytes);
        } catch (final ClosedChannelException e) {
            return 0;
        } finally {
            pending.clear();
        }
    }

    @Override
    public void receiver(final PacketHandler newHandler) {
        handler = newHandler;
        synchronized (lifecycle) {
            if (receiveThread == null && !closed) {
                receiveThread = Thread.ofPlatform()
                    .name("derphole-udp-rx-" + engine.localAddress().getPort())
                    .daemon(true)
                    .start(this::receiveLoop);
            }
        }
    }

    private void receiveLoop() {
        final byte[] scratch = new byte[maxDatagramLength];
        try (PacketBatch batch = engine.newReceiveBatch()) {
            while (!closed) {
                final int count = engine.receiveBatch(batch, RECEIVE_WAIT_NS);
                for (int i = 0; i < count; i++) {
                    if (!batch.addressMatches(i, remoteCell, 0)) {
                        foreignSourceDrops.incrementAndGet();
                        continue;
                    }
                    try {
                        // A handler that keeps the datagram copies it from the batch itself (the default: scratch).
                        handler.onPacket(this, batch.data(), batch.offset(i), batch.length(i), scratch,
                            batch.receivedNs(i));
                        delivered.incrementAndGet();
                    } catch (final RuntimeException e) {
                        // A handler bug must not stop the path; it is counted for the status line.
                        handlerFailures.incrementAndGet();
                    }
                }
            }
        } catch (final ClosedChannelException e) {
            // The path (or its engine) closed: the normal way out.
        } catch (final IOException e) {
            failure = e;
        }
    }

    /** Datagrams handed to the handler. */
    public long delivered() {
        return delivered.get();
    }

    /** Datagrams dropped because they came from someone other than the peer. */
    public long foreignSourceDrops() {
        return foreignSourceDrops.get();
    }

    /** Handler calls that threw. */
    public long handlerFailures() {
        return handlerFailures.get();
    }

    /** {@link #offer} calls refused because the pending batch was full. */
    public long refusedOffers() {
        return refusedOffers.get();
    }

    /** Why the receive thread stopped, if the engine failed (null otherwise). */
    public IOException failure() {
        return failure;
    }

    @Override
    public void close() {
        final Thread thread;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            thread = receiveThread;
        }
        engine.close();
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(CLOSE_JOIN_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "DirectUdpPath[" + engine.localAddress() + " -> " + remote + " via " + engine.kind().label() + "]";
    }

    private void checkLength(final int length) {
        if (length < 0 || length > maxDatagramLength) {
            throw new IllegalArgumentException("datagram of " + length + " bytes exceeds " + maxDatagramLength);
        }
    }
}
