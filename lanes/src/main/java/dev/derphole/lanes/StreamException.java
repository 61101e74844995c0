package dev.derphole.lanes;

import java.io.IOException;

/** A stream failed; {@link #reason()} says why, the message says it for a person. */
public final class StreamException extends IOException {
    /** Why a stream failed. */
    public enum Reason {
        /** No authenticated packet from the peer for the peer timeout. */
        PEER_VANISHED,
        /** The peer sent ABORT. */
        PEER_ABORTED,
        /** {@code abort(reason)} was called here. */
        LOCAL_ABORT,
        /** The peer broke the protocol (authenticated but impossible packets). */
        PROTOCOL,
        /** The source, sink or path failed. */
        IO
    }

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public StreamException(final Reason reason, final String message) {
        super(message);
        this.reason = reason;
    }

    public StreamException(final Reason reason, final String message, final Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
