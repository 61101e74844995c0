package dev.derphole.session.relay;

import java.io.IOException;

/** No relay could be reached, or the one a token names is unusable; the message is one line for the user. */
public final class RelayUnreachableException extends IOException {
    public RelayUnreachableException(final String message) {
        super(message);
    }
}
