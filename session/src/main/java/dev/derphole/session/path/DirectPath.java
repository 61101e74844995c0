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
public final class DirectPath implements PacketPath
{
    private final UdpEndpoint endpoint;
    private final InetSocketAddress remote;
    private final MemorySegment cell;
    private volatile PacketHandler handler;
    private volatile boolean closed;

    DirectPath(final UdpEndpoint endpoint, final InetSocketAddress remote)
    {
        this.endpoint = endpoint;
        this.remote = remote;
        this.cell = SockAddr.cellOf(remote);
    }

    public InetSocketAddress remote()
    {
        return remote;
    }

    MemorySegment cell()
    {
        return cell;
    }

    @Override
    public String name()
    {
        return "direct";
    }

    @Override
    public int maxDatagramLength()
    {
        return UdpEndpoint.DIRECT_DATAGRAM_BYTES;
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException
    {
        return !closed && endpoint.send(cell, buffer, offset, length);
    }

    @Override
    public void receiver(final PacketHandler newHandler)
    {
        handler = newHandler;
    }

    void deliver(final byte[] data, final int length)
    {
        final PacketHandler h = handler;
        if (h != null && !closed)
        {
            h.onPacket(this, data, 0, length);
        }
    }

    @Override
    public void close()
    {
        closed = true;
    }

    @Override
    public String toString()
    {
        return "DirectPath[" + remote + "]";
    }
}
