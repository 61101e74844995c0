package dev.derphole.derp.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * Writes plain Java values as JSON text, the inverse of {@link JsonReader}.
 *
 * <p>Accepted values: {@code null}; {@link Boolean}; {@link CharSequence} (written as a string);
 * {@link Byte}, {@link Short}, {@link Integer}, {@link Long}, {@link BigInteger}, {@link BigDecimal};
 * finite {@link Float} and {@link Double} (written with {@link Double#toString}, so a {@code Double}
 * always reads back as an equal {@code Double}); {@link Map} with {@link CharSequence} or
 * {@link Number} keys (written in the map's iteration order, so use an ordered map for a stable
 * layout); and {@link Iterable}. Anything else, a non-finite number, or nesting deeper than
 * {@link JsonReader#DEFAULT_MAX_DEPTH} (which also catches cyclic structures) is a programming
 * error and throws {@link IllegalArgumentException}.
 *
 * <p>Strings: {@code "} and {@code \} are escaped, control characters use the short escapes or
 * <code>&#92;u00XX</code>, U+2028/U+2029 are escaped (like Go's encoder, so the output is safe in JavaScript),
 * everything else is written as is. An unpaired surrogate is written as U+FFFD, as Go does for invalid
 * UTF-8, so the output is always valid Unicode. Stateless and thread-safe.
 */
public final class JsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final String INDENT = "  ";

    private JsonWriter() {
    }

    /**
     * @param value a supported value (see the class comment)
     * @return compact JSON text with no whitespace
     */
    public static String write(final Object value) {
        final StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    /**
     * @param value a supported value (see the class comment)
     * @return JSON text indented by two spaces per level, one member or element per line, with a
     *     space after each colon and no trailing newline
     */
    public static String writePretty(final Object value) {
        final StringBuilder out = new StringBuilder();
        writeValue(value, out, 0, true);
        return out.toString();
    }

    /**
     * Appends compact JSON text.
     *
     * @param value a supported value
     * @param out   where to append
     */
    public static void write(final Object value, final StringBuilder out) {
        writeValue(value, out, 0, false);
    }

    /**
     * Appends a quoted, escaped JSON string.
     *
     * @param s   the text
     * @param out where to append
     */
    public static void writeString(final CharSequence s, final StringBuilder out) {
        out.append('"');
        final int n = s.length();
        for (int i = 0; i < n; i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
                            .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
                    } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        out.append('\uFFFD');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void writeValue(final Object value, final StringBuilder out, final int depth, final boolean pretty) {
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b.booleanValue());
            case CharSequence s -> writeString(s, out);
            case Double d -> writeFloating(d, out);
            case Float f -> writeFloating(f.doubleValue(), out);
            case Long l -> out.append(l.longValue());
            case Integer i -> out.append(i.intValue());
            case Short s -> out.append(s.shortValue());
            case Byte b -> out.append(b.byteValue());
            case BigInteger bi -> out.append(bi);
            case BigDecimal bd -> out.append(bd);
            case Map<?, ?> map -> writeObject(map, out, depth + 1, pretty);
            case Iterable<?> list -> writeArray(list, out, depth + 1, pretty);
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeFloating(final double d, final StringBuilder out) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no representation for " + d);
        }
        out.append(d);
    }

    private static void writeObject(final Map<?, ?> map, final StringBuilder out, final int depth,
                                    final boolean pretty) {
        checkDepth(depth);
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        boolean first = true;
        for (final Map.Entry<?, ?> e : map.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            newline(out, depth, pretty);
            switch (e.getKey()) {
                case CharSequence key -> writeString(key, out);
                case Number key -> writeString(key.toString(), out);
                case null, default -> throw new IllegalArgumentException("JSON object keys must be strings or numbers: "
                    + e.getKey());
            }
            out.append(pretty ? ": " : ":");
            writeValue(e.getValue(), out, depth, pretty);
        }
        newline(out, depth - 1, pretty);
        out.append('}');
    }

    private static void writeArray(final Iterable<?> list, final StringBuilder out, final int depth,
                                   final boolean pretty) {
        checkDepth(depth);
        out.append('[');
        boolean first = true;
        for (final Object element : list) {
            if (!first) {
                out.append(',');
            }
            first = false;
            newline(out, depth, pretty);
            writeValue(element, out, depth, pretty);
        }
        if (!first) {
            newline(out, depth - 1, pretty);
        }
        out.append(']');
    }

    private static void newline(final StringBuilder out, final int depth, final boolean pretty) {
        if (pretty) {
            out.append('\n');
            for (int i = 0; i < depth; i++) {
                out.append(INDENT);
            }
        }
    }

    private static void checkDepth(final int depth) {
        if (depth > JsonReader.DEFAULT_MAX_DEPTH) {
            throw new IllegalArgumentException("JSON value nested deeper than " + JsonReader.DEFAULT_MAX_DEPTH
                + " (cyclic?)");
        }
    }
}
