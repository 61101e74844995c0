package dev.derphole.crypto.nacl;

/** A box that cannot be opened: too short, or its Poly1305 tag does not verify. */
public final class NaclException extends Exception {
    public NaclException(final String message) {
        super(message);
    }
}
