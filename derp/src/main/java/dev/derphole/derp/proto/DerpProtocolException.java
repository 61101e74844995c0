package dev.derphole.derp.proto;

import java.io.IOException;

/** The peer broke the DERP protocol: bad magic, oversize or malformed frame, failed box. Closes the connection. */
public final class DerpProtocolException extends IOException {
    public DerpProtocolException(final String message) {
        super(message);
    }
}
