package dev.derphole.derp.map;

import java.io.Serial;

/**
 * A DERP map (or relay URL) that cannot be used: unreadable, not JSON, not a DERP map, or failing
 * validation. The message is written for the user and names the source and the offending field, for
 * example {@code Regions["1"].Nodes[0]: HostName is required}.
 */
public final class DerpMapException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, for the user */
    public DerpMapException(final String message) {
        super(message);
    }

    /**
     * @param message what is wrong, for the user
     * @param cause   the underlying fault (I/O, JSON syntax)
     */
    public DerpMapException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
