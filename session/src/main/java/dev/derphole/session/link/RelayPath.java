package dev.derphole.session.link;

import java.io.IOException;
import java.time.Duration;

import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.udp.PacketPath;

/**
 * The DERP relay as a {@link PacketPath} to one peer: sends are DERP SendPacket frames to the peer's key,
 * receives are the stream packets {@link PeerLink} routes here from that key. The relay keeps order per
 * connection but drops the oldest queued packets when the peer reads slowly, so the engine above repairs.
 * <p>
 * Thread-safe for one sender thread; the handler is called from the DERP client's reader thread.
 */
public final class RelayPath implements PacketPath {
    /** Largest datagram we put in one DERP packet: the protocol's limit. */
    public static final int MAX_DATAGRAM_LENGTH = DerpProtocol.MAX_PACKET_SIZE;

    /** How long a send waits for room in the client's queue before the datagram counts as dropped. */
    private static final Duration SEND_WAIT = Duration.ofMillis(250);

    private final DerpClient client;
    private final NodeKey peer;
    private volatile PacketHandler handler;
    private volatile boolean closed;

    RelayPath(final DerpClient client, final NodeKey peer) {
        this.client = client;
        this.peer = peer;
    }

    public NodeKey peer() {
        return peer;
    }

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public int maxDatagramLength() {
        return MAX_DATAGRAM_LENGTH;
    }

    /** TCP to and from the relay: a datagram is lost only when a queue (the relay's 32, or ours) overflows. */
    @Override
    public boolean lossIsCongestion() {
        return true;
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
        if (closed) {
            return false;
        }
        try {
            return client.trySend(peer, buffer, offset, length, SEND_WAIT);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void discardQueued() {
        client.discardQueued(peer);
    }

    @Override
    public void receiver(final PacketHandler handler) {
        this.handler = handler;
    }

    /**
     * Called by the link for each stream packet from {@link #peer()}, on the DERP client's reader thread;
     * {@code data} is valid only during the call (the handler copies it).
     */
    void deliver(final byte[] data, final int offset, final int length) {
        final PacketHandler h = handler;
        if (h != null && !closed) {
            h.onPacket(this, data, offset, length);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
