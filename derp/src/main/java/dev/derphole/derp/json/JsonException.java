package dev.derphole.derp.json;

import java.io.Serial;

/**
 * Thrown by {@link JsonReader} for any input that is not acceptable JSON: a syntax error, text that is
 * not valid UTF-8 or Unicode, nesting deeper than the limit, input larger than the limit, a duplicate
 * object key, or a number that does not fit a {@code double}.
 */
public final class JsonException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Offset of the fault. */
    private final long offset;

    /**
     * @param message what is wrong, without the position (it is appended)
     * @param offset  zero-based offset of the fault: in characters for text input, in bytes when the
     *                input bytes are not valid UTF-8 or exceed the size limit
     */
    public JsonException(final String message, final long offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }

    /** @return zero-based offset of the fault (see the constructor for the unit) */
    public long offset() {
        return offset;
    }
}
