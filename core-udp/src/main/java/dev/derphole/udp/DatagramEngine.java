package dev.derphole.udp;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One UDP socket with batched send and receive: the I/O layer under {@link DirectUdpPath} and the lane
 * engine. Implementations: io_uring through FFM ({@code uring}), {@code sendmmsg}/{@code recvmmsg} through
 * FFM ({@code mmsg}), Netty epoll ({@code epoll}) and NIO {@code DatagramChannel} ({@code nio}); open one
 * with {@link DatagramEngines#open(DatagramEngineConfig)}.
 * <p>
 * <b>Threads.</b> One thread owns the send side ({@link #sendBatch}) and one thread owns the receive side
 * ({@link #receiveBatch}); they may be the same thread. Neither side is thread-safe on its own.
 * {@link #close()} may be called from any thread and wakes a blocked receive, which then throws
 * {@link java.nio.channels.ClosedChannelException}. Counters are readable from any thread.
 * <p>
 * <b>Batches.</b> Both calls borrow the caller's {@link PacketBatch} only for the duration of the call:
 * when {@code sendBatch} returns, the kernel is done with the slots and they may be rewritten.
 * <p>
 * <b>Errors.</b> Per-datagram trouble (no socket buffer room, a rejected destination, an oversized
 * datagram, an ICMP error) is counted in {@link #counters()} and the datagram dropped; exceptions mean the
 * engine is closed or broken for good.
 */
public interface DatagramEngine extends AutoCloseable {
    /** Which implementation this is. */
    EngineKind kind();

    /** The configuration the engine was opened with. */
    DatagramEngineConfig config();

    /** The bound local address (with the real port when the config asked for port 0). */
    InetSocketAddress localAddress();

    /** Whether {@link #sendBatch(PacketBatch, int)} with a segment size really sends GSO messages. */
    boolean supportsGso();

    /**
     * Whether the socket never fragments (asked for with {@link DatagramEngineConfig.Builder#dontFragment} and
     * set): only then does a datagram that arrives prove the path carries its size.
     */
    default boolean dontFragment() {
        return false;
    }

    /**
     * Whether received datagrams carry the kernel's receive time in {@link PacketBatch#receivedNs(int)} (asked for
     * with {@link DatagramEngineConfig.Builder#receiveTimestamps} and set). Only the FFM engines ({@code uring},
     * {@code mmsg}) set it; Netty epoll and NIO leave every {@code receivedNs} 0.
     */
    default boolean receiveTimestamps() {
        return false;
    }

    /** Whether received GRO super-packets are coalesced by the kernel (and split again by the engine). */
    boolean groEnabled();

    /**
     * Sends slots {@code 0..batch.count()-1} in order. With {@code gsoSegmentBytes > 0} (and {@link #supportsGso()}),
     * runs of consecutive slots to the same destination whose lengths all equal {@code gsoSegmentBytes}
     * (the last may be shorter) go out as one GSO message of up to {@link DatagramEngineConfig#gsoMaxSegments()}
     * datagrams; the receiver sees ordinary datagrams either way. Without GSO support each slot is sent alone.
     *
     * @param gsoSegmentBytes segment size for GSO, or 0 for none
     * @return datagrams the kernel accepted; the rest are counted as short sends or send errors
     * @throws java.nio.channels.ClosedChannelException when the engine is closed
     * @throws IOException                              when the socket failed for good
     */
    int sendBatch(PacketBatch batch, int gsoSegmentBytes) throws IOException;

    /** {@link #sendBatch(PacketBatch, int)} without GSO. */
    default int sendBatch(final PacketBatch batch) throws IOException {
        return sendBatch(batch, 0);
    }

    /**
     * Receives up to {@code batch.capacity()} datagrams into {@code batch} (clearing it first), waiting up to
     * {@code timeoutNanos} for the first. Each slot holds one datagram, its source address and, where
     * {@link #receiveTimestamps()}, its kernel receive time; GRO super-packets come back split into their
     * datagrams. With GRO the batch needs {@link PacketBatch#groMessagesPerReceive()} &gt; 0 (see
     * {@link #newReceiveBatch()}).
     *
     * @param timeoutNanos how long to wait when nothing is queued; 0 = do not wait
     * @return datagrams received, 0 when the time ran out
     * @throws java.nio.channels.ClosedChannelException when the engine is (or gets) closed
     */
    int receiveBatch(PacketBatch batch, long timeoutNanos) throws IOException;

    /** The engine's counters. */
    EngineCounters counters();

    /**
     * A batch sized for {@link #receiveBatch} with this engine's config: GRO regions when GRO is on,
     * {@link DatagramEngineConfig#receiveBatchSlots()} slots of {@link DatagramEngineConfig#maxDatagramBytes()}
     * otherwise. The caller owns (and closes) it.
     */
    default PacketBatch newReceiveBatch() {
        final DatagramEngineConfig config = config();
        if (groEnabled()) {
            return PacketBatch.forGroReceive(config.groMessagesPerReceive(), config.maxDatagramBytes());
        }
        return new PacketBatch(config.receiveBatchSlots(), config.maxDatagramBytes());
    }

    /** Whether the engine is still open. */
    boolean isOpen();

    /** Closes the socket and frees native resources; idempotent; callable from any thread. */
    @Override
    void close();
}
