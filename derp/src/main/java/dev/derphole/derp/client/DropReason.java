package dev.derphole.derp.client;

/** Why the client dropped something; each has a counter in {@link DerpCounters}. */
public enum DropReason {
    /** Outgoing packets taken by the writer when its connection failed (the relay may or may not have them). */
    CONNECTION_LOST,
    /** Outgoing packets still queued when the client was closed or gave up reconnecting. */
    CLOSED,
    /** A known frame too short to parse (e.g. a RecvPacket without its 32-byte source key); skipped. */
    MALFORMED_FRAME,
    /** A frame over its limit (RecvPacket over 32 + 64 KiB, anything over 1 MiB); the connection was closed. */
    OVERSIZE_FRAME,
    /** A received packet in hand when the connection was torn down or the client closed. */
    RECEIVE_ABORTED,
    /** A non-packet event beyond the receive queue's control allowance (the application stopped receiving). */
    EVENT_OVERFLOW,
    /** A received packet whose {@link PacketListener} threw. */
    LISTENER_FAILED
}
