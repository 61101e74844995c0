package dev.derphole.session.transfer;

/** A transfer failed; the message is one line for the user (e.g. {@code peer vanished: no packets for 30s}). */
public final class TransferException extends Exception {
    public TransferException(final String message) {
        super(message);
    }

    public TransferException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
