package dev.derphole.derp.server;

/**
 * Why the relay dropped a packet; the labels are derper's {@code dropReason} values where one exists
 * (tailscale {@code derp/derpserver/derpserver.go}).
 */
public enum DropReason {
    /** No client with the destination key is connected here ({@code unknown_dest}). */
    UNKNOWN_DEST("unknown_dest"),
    /** The destination's queue was full; its oldest packet made room ({@code queue_head}). */
    QUEUE_HEAD("queue_head"),
    /** The destination disconnected before its queued packet could be written ({@code gone_disconnected}). */
    GONE_DISCONNECTED("gone_disconnected"),
    /** Writing to the destination's socket failed or timed out ({@code write_error}). */
    WRITE_ERROR("write_error"),
    /** The configured {@link PacketObserver} refused the packet (tests and diagnostics only). */
    OBSERVER("observer");

    private final String label;

    DropReason(final String label) {
        this.label = label;
    }

    /** Stable metric label. */
    public String label() {
        return label;
    }
}
