package dev.derphole.derp.client;

import java.time.Duration;

import dev.derphole.derp.proto.NodeKey;

/**
 * What {@link DerpClient#receive(Duration)} hands the application, in the order the relay sent it.
 * Packets are subject to the receive queue's bound (the reader waits for the application); the other
 * events are rare and only dropped (and counted) when thousands pile up unread.
 */
public sealed interface DerpEvent {
    /**
     * A packet relayed from {@code source}. The source is the key the relay authenticated, so it can be
     * trusted as far as the relay is trusted; {@code data} is owned by the receiver.
     */
    record Packet(NodeKey source, byte[] data) implements DerpEvent {
    }

    /**
     * A peer we sent to has left the relay.
     *
     * @param reason {@code DerpProtocol.PEER_GONE_DISCONNECTED} (0) or {@code PEER_GONE_NOT_HERE} (1)
     */
    record PeerGone(NodeKey peer, int reason) implements DerpEvent {
    }

    /** A peer is connected to the relay (sent to watchers only). */
    record PeerPresent(NodeKey peer) implements DerpEvent {
    }

    /** The relay reports a problem with this connection (e.g. a duplicate key); empty means healthy again. */
    record Health(String problem) implements DerpEvent {
    }

    /** The relay is restarting: the client closes now and redials after {@code reconnectIn}, for {@code tryFor}. */
    record Restarting(Duration reconnectIn, Duration tryFor) implements DerpEvent {
    }

    /** The connection dropped; {@code cause} is one line. A {@link Reconnected} follows if redialling succeeds. */
    record Disconnected(String cause) implements DerpEvent {
    }

    /** A new connection to the relay is up after a {@link Disconnected}. */
    record Reconnected() implements DerpEvent {
    }
}
