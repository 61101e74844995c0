package dev.derphole.session.path;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

import dev.derphole.udp.PacketPath;
import dev.derphole.udp.SockAddr;

/**
 * The promoted direct UDP route to the peer as a {@link PacketPath}: sends go from the session's
 * {@link UdpEndpoint} to one peer address; stream packets from that address arrive through the endpoint's
 * receive thread. Closing the path only stops it; the endpoint owns the socket.
 * <p>
 * Thread-safe for one sender thread; the handler runs on the endpoint's receive thread.
 */
public final class DirectPath implements PacketPath {
    private final UdpEndpoint endpoint;
    private final InetSocketAddress remote;
    private final MemorySegment cell;
    private volatile int datagramBytes;
    private volatile long rttHintNanos;
    private volatile PacketHandler handler;
    private volatile boolean closed;

    DirectPath(final UdpEndpoint endpoint, final InetSocketAddress remote, final int datagramBytes) {
        this.datagramBytes = datagramBytes;
        this.endpoint = endpoint;
        this.remote = remote;
        this.cell = SockAddr.cellOf(remote);
    }

    public InetSocketAddress remote() {
        return remote;
    }

    MemorySegment cell() {
        return cell;
    }

    @Override
    public String name() {
        return "direct";
    }

    @Override
    public int maxDatagramLength() {
        return datagramBytes;
    }

    @Override
    public long rttHintNanos() {
        return rttHintNanos;
    }

    /** The round trip its validating probe took (the prober, before it hands the path over). */
    void rttHint(final long nanos) {
        rttHintNanos = Math.max(0, nanos);
    }

    /**
     * Changes the size of the datagrams sent from now on (the path MTU probe found a larger one); the stream
     * sender picks it up with its next burst. At most {@link UdpEndpoint#maxDatagramBytes()}.
     */
    public void resize(final int bytes) {
        datagramBytes = Math.clamp(bytes, UdpEndpoint.MIN_DATAGRAM_BYTES, endpoint.maxDatagramBytes());
    }

    /**
     * Whatever either side measured, on most paths the peer's datagrams fit a 1500-byte MTU: buffers of
     * {@link UdpEndpoint#STANDARD_DATAGRAM_BYTES} (or our own size, when larger) take them all.
     */
    @Override
    public int typicalReceiveLength() {
        return Math.min(endpoint.maxDatagramBytes(), Math.max(datagramBytes, UdpEndpoint.STANDARD_DATAGRAM_BYTES));
    }

    /** The peer may have found a larger path MTU for its direction than we did for ours. */
    @Override
    public int maxReceiveLength() {
        return endpoint.maxDatagramBytes();
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
        return !closed && endpoint.send(cell, buffer, offset, length);
    }

    @Override
    public boolean queue(final byte[] buffer, final int offset, final int length) throws IOException {
        return !closed && endpoint.queue(cell, buffer, offset, length);
    }

    @Override
    public void flush() throws IOException {
        endpoint.flush();
    }

    @Override
    public void receiver(final PacketHandler newHandler) {
        handler = newHandler;
    }

    /** Whether a stream engine takes this path's packets yet. */
    boolean hasReceiver() {
        return handler != null && !closed;
    }

    /**
     * A stream datagram still in the endpoint's receive batch; {@code scratch} is the receive thread's,
     * {@code receivedNs} when it reached the host (0 = unknown).
     */
    void deliver(final MemorySegment data, final long offset, final int length, final byte[] scratch,
        final long receivedNs) {
        final PacketHandler h = handler;
        if (h != null && !closed) {
            h.onPacket(this, data, offset, length, scratch, receivedNs);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "DirectPath[" + remote + ", " + datagramBytes + " B]";
    }
}
