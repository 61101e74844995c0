package dev.derphole.session.token;

/**
 * A token that cannot be used. The message is one line for the user ({@code token expired at ...});
 * {@link #kind()} lets callers pick an exit code or a hint without parsing text.
 */
public final class TokenException extends Exception {
    /** Why the token was refused. */
    public enum Kind {
        /** Not base64url, wrong length, trailing bytes or a field with an impossible value. */
        MALFORMED,
        /** The CRC-32C does not match: a typo or a truncated paste. */
        CHECKSUM,
        /** A token version this build does not understand. */
        VERSION,
        /** The token's expiry has passed. */
        EXPIRED,
        /** The token is for another command ({@code share} token given to {@code pipe}). */
        CAPABILITY
    }

    private final Kind kind;

    public TokenException(final Kind kind, final String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
