package dev.derphole.session.rendezvous;

import java.util.Optional;

/**
 * Rendezvous failed: the listener refused the claim ({@link #rejectCode()} present; the message is the
 * listener's reason, e.g. {@code session already claimed}) or never answered (message says what to check).
 */
public final class RendezvousException extends Exception {
    private final RejectCode rejectCode;

    public RendezvousException(final String message, final RejectCode rejectCode) {
        super(message);
        this.rejectCode = rejectCode;
    }

    /** The listener's reject code; empty when the listener did not answer. */
    public Optional<RejectCode> rejectCode() {
        return Optional.ofNullable(rejectCode);
    }
}
