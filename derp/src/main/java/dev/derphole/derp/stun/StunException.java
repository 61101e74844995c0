package dev.derphole.derp.stun;

import java.io.Serial;

/** A datagram that is not the STUN message expected: not STUN, wrong type, malformed, bad fingerprint. */
public final class StunException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong */
    public StunException(final String message) {
        super(message);
    }
}
