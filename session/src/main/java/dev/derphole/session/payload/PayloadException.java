package dev.derphole.session.payload;

import dev.derphole.derp.json.JsonWriter;

/**
 * A payload stream that cannot be used: not a derphole stream, a malformed or oversized header, a verify code
 * for another token, a short body, or an output path that does not fit. The message is one line for the user
 * ({@code not a derphole send stream}); the fault is in the peer's bytes or the user's arguments, so no cause
 * or stack trace helps.
 */
public final class PayloadException extends Exception {
    /** Longest piece of peer-supplied text quoted in a message, chars. */
    private static final int MAX_QUOTED_CHARS = 64;

    /** @param message one line for the user */
    public PayloadException(final String message) {
        super(message);
    }

    /**
     * Quotes text that came from the peer for a message: JSON-escaped (so control characters cannot reach the
     * terminal) and clipped (so a 1 MiB name cannot flood it).
     */
    static String quote(final String text) {
        final StringBuilder out = new StringBuilder();
        if (text.length() <= MAX_QUOTED_CHARS) {
            JsonWriter.writeString(text, out);
            return out.toString();
        }
        final int end = Character.isHighSurrogate(text.charAt(MAX_QUOTED_CHARS - 1))
            ? MAX_QUOTED_CHARS - 1 : MAX_QUOTED_CHARS;
        JsonWriter.writeString(text.substring(0, end), out);
        return out.append("...").toString();
    }
}
