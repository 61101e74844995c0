package dev.derphole.derp.json;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict RFC 8259 JSON reader producing plain Java values.
 *
 * <table>
 *   <caption>JSON to Java</caption>
 *   <tr><th>JSON</th><th>Java</th></tr>
 *   <tr><td>object</td><td>{@code LinkedHashMap<String, Object>} in document order; a repeated key is an
 *       error</td></tr>
 *   <tr><td>array</td><td>{@code ArrayList<Object>}</td></tr>
 *   <tr><td>string</td><td>{@code String}</td></tr>
 *   <tr><td>number without fraction or exponent that fits a {@code long}</td><td>{@code Long}</td></tr>
 *   <tr><td>any other number</td><td>{@code Double} (integers beyond the {@code long} range lose precision;
 *       a number beyond the {@code double} range is an error)</td></tr>
 *   <tr><td>{@code true}/{@code false}</td><td>{@code Boolean}</td></tr>
 *   <tr><td>{@code null}</td><td>{@code null}</td></tr>
 * </table>
 *
 * <p>Strictness: any value may be the top-level value (RFC 8259 §2); only the four JSON whitespace
 * characters are skipped; no comments, trailing commas, leading zeros, single quotes, {@code NaN} or
 * unescaped control characters; escapes must be valid and {@code \\u} surrogates must pair up (text
 * that cannot be UTF-8 is rejected). Byte input must be UTF-8; one leading byte-order mark is skipped
 * (RFC 8259 §8.1 allows ignoring it). Every fault, including exceeding {@link #maxDepth()} or
 * {@link #maxInputLength()}, is reported as {@link JsonException}; no other exception escapes for any
 * input. Recursion is bounded by the depth limit, so deep input cannot overflow the stack.
 *
 * <p>Instances are immutable and thread-safe; each call allocates its own parse state.
 */
public final class JsonReader {
    /** Default maximum nesting of arrays and objects (the top-level container is depth 1). */
    public static final int DEFAULT_MAX_DEPTH = 64;
    /** Default maximum input length: characters for text, bytes for UTF-8 input (4 MiB). */
    public static final int DEFAULT_MAX_INPUT_LENGTH = 4 * 1024 * 1024;

    /** A reader with the default limits. */
    public static final JsonReader DEFAULT = new JsonReader(DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT_LENGTH);

    /** Upper bound accepted for the depth limit: deeper recursion could overflow a small thread stack. */
    private static final int DEPTH_LIMIT_CEILING = 1024;

    private final int maxDepth;
    private final int maxInputLength;

    /**
     * @param maxDepth       maximum nesting of arrays/objects, 1..1024
     * @param maxInputLength maximum input length in characters (text) or bytes (UTF-8), at least 1
     */
    public JsonReader(final int maxDepth, final int maxInputLength) {
        if (maxDepth < 1 || maxDepth > DEPTH_LIMIT_CEILING) {
            throw new IllegalArgumentException("maxDepth must be 1.." + DEPTH_LIMIT_CEILING + ": " + maxDepth);
        }
        if (maxInputLength < 1) {
            throw new IllegalArgumentException("maxInputLength must be positive: " + maxInputLength);
        }
        this.maxDepth = maxDepth;
        this.maxInputLength = maxInputLength;
    }

    /**
     * Parses {@code text} with the {@link #DEFAULT} limits.
     *
     * @param text the JSON text
     * @return the value; {@code null} for the JSON literal {@code null}
     * @throws JsonException for any malformed or over-limit input
     */
    public static Object parse(final String text) throws JsonException {
        return DEFAULT.read(text);
    }

    /**
     * Parses UTF-8 bytes with the {@link #DEFAULT} limits.
     *
     * @param utf8 the encoded JSON text
     * @return the value; {@code null} for the JSON literal {@code null}
     * @throws JsonException for invalid UTF-8 and any malformed or over-limit input
     */
    public static Object parse(final byte[] utf8) throws JsonException {
        return DEFAULT.read(utf8);
    }

    /** @return maximum nesting depth of arrays and objects */
    public int maxDepth() {
        return maxDepth;
    }

    /** @return maximum input length (characters or bytes) */
    public int maxInputLength() {
        return maxInputLength;
    }

    /**
     * Parses one JSON text.
     *
     * @param text the JSON text (not null)
     * @return the value; {@code null} for the JSON literal {@code null}
     * @throws JsonException for any malformed or over-limit input
     */
    public Object read(final String text) throws JsonException {
        if (text.length() > maxInputLength) {
            throw new JsonException("input longer than " + maxInputLength + " characters", maxInputLength);
        }
        return new Parser(text, maxDepth).parseDocument();
    }

    /**
     * Parses one JSON text encoded as UTF-8.
     *
     * @param utf8 the encoded JSON text (not null)
     * @return the value; {@code null} for the JSON literal {@code null}
     * @throws JsonException for invalid UTF-8 and any malformed or over-limit input
     */
    public Object read(final byte[] utf8) throws JsonException {
        if (utf8.length > maxInputLength) {
            throw new JsonException("input longer than " + maxInputLength + " bytes", maxInputLength);
        }
        return read(decodeUtf8(utf8));
    }

    private static String decodeUtf8(final byte[] utf8) throws JsonException {
        final ByteBuffer in = ByteBuffer.wrap(utf8);
        if (utf8.length >= 3 && (utf8[0] & 0xFF) == 0xEF && (utf8[1] & 0xFF) == 0xBB && (utf8[2] & 0xFF) == 0xBF) {
            in.position(3);
        }
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        // UTF-8 never decodes to more UTF-16 units than it has bytes.
        final CharBuffer out = CharBuffer.allocate(utf8.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new JsonException("invalid UTF-8", in.position());
        }
        out.flip();
        return out.toString();
    }

    /** One parse: cursor over the text plus a reusable string buffer. Not thread-safe. */
    private static final class Parser {
        private final String text;
        private final int length;
        private final int maxDepth;
        private final StringBuilder scratch = new StringBuilder();
        private int pos;

        Parser(final String text, final int maxDepth) {
            this.text = text;
            this.length = text.length();
            this.maxDepth = maxDepth;
        }

        Object parseDocument() throws JsonException {
            final Object value = parseValue(0);
            skipWhitespace();
            if (pos < length) {
                throw error("unexpected " + describe(text.charAt(pos)) + " after the JSON value");
            }
            return value;
        }

        private Object parseValue(final int depth) throws JsonException {
            skipWhitespace();
            if (pos >= length) {
                throw error("unexpected end of input, expected a value");
            }
            final char c = text.charAt(pos);
            return switch (c) {
                case '{' -> parseObject(depth + 1);
                case '[' -> parseArray(depth + 1);
                case '"' -> parseString();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield parseNumber();
                    }
                    throw error("unexpected " + describe(c) + ", expected a value");
                }
            };
        }

        private Map<String, Object> parseObject(final int depth) throws JsonException {
            checkDepth(depth);
            pos++; // '{'
            final Map<String, Object> object = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return object;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error(atEnd() ? "unexpected end of input in object" : "expected a string key");
                }
                final int keyOffset = pos;
                final String key = parseString();
                skipWhitespace();
                expect(':', "expected ':' after object key");
                final Object value = parseValue(depth);
                if (object.containsKey(key)) {
                    throw new JsonException("duplicate object key \"" + key + "\"", keyOffset);
                }
                object.put(key, value);
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == '}') {
                    pos++;
                    return object;
                } else {
                    throw error(atEnd() ? "unexpected end of input in object" : "expected ',' or '}' in object");
                }
            }
        }

        private List<Object> parseArray(final int depth) throws JsonException {
            checkDepth(depth);
            pos++; // '['
            final List<Object> array = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return array;
            }
            while (true) {
                array.add(parseValue(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == ']') {
                    pos++;
                    return array;
                } else {
                    throw error(atEnd() ? "unexpected end of input in array" : "expected ',' or ']' in array");
                }
            }
        }

        private String parseString() throws JsonException {
            pos++; // opening quote
            final int start = pos;
            // Fast path: no escapes and no surrogates.
            while (pos < length) {
                final char c = text.charAt(pos);
                if (c == '"') {
                    return text.substring(start, pos++);
                }
                if (c == '\\' || c < 0x20 || Character.isSurrogate(c)) {
                    break;
                }
                pos++;
            }
            scratch.setLength(0);
            scratch.append(text, start, pos);
            while (pos < length) {
                final char c = text.charAt(pos);
                if (c == '"') {
                    pos++;
                    return scratch.toString();
                }
                if (c < 0x20) {
                    throw error("unescaped control character " + describe(c) + " in string");
                }
                if (c == '\\') {
                    parseEscape();
                } else if (Character.isHighSurrogate(c)) {
                    if (pos + 1 < length && Character.isLowSurrogate(text.charAt(pos + 1))) {
                        scratch.append(c).append(text.charAt(pos + 1));
                        pos += 2;
                    } else {
                        throw error("unpaired surrogate in string");
                    }
                } else if (Character.isLowSurrogate(c)) {
                    throw error("unpaired surrogate in string");
                } else {
                    scratch.append(c);
                    pos++;
                }
            }
            throw error("unterminated string");
        }

        private void parseEscape() throws JsonException {
            final int escapeOffset = pos;
            pos++; // backslash
            if (pos >= length) {
                throw error("unterminated string");
            }
            final char e = text.charAt(pos++);
            switch (e) {
                case '"' -> scratch.append('"');
                case '\\' -> scratch.append('\\');
                case '/' -> scratch.append('/');
                case 'b' -> scratch.append('\b');
                case 'f' -> scratch.append('\f');
                case 'n' -> scratch.append('\n');
                case 'r' -> scratch.append('\r');
                case 't' -> scratch.append('\t');
                case 'u' -> {
                    final char unit = (char) hex4();
                    if (Character.isHighSurrogate(unit)) {
                        if (pos + 1 < length && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                            pos += 2;
                            final char low = (char) hex4();
                            if (!Character.isLowSurrogate(low)) {
                                throw new JsonException("unpaired surrogate escape in string", escapeOffset);
                            }
                            scratch.append(unit).append(low);
                        } else {
                            throw new JsonException("unpaired surrogate escape in string", escapeOffset);
                        }
                    } else if (Character.isLowSurrogate(unit)) {
                        throw new JsonException("unpaired surrogate escape in string", escapeOffset);
                    } else {
                        scratch.append(unit);
                    }
                }
                default -> throw new JsonException("invalid escape \\" + describeBare(e), escapeOffset);
            }
        }

        private int hex4() throws JsonException {
            if (pos + 4 > length) {
                throw error("truncated \\u escape");
            }
            int value = 0;
            for (int i = 0; i < 4; i++) {
                final char c = text.charAt(pos);
                final int digit;
                if (c >= '0' && c <= '9') {
                    digit = c - '0';
                } else if (c >= 'a' && c <= 'f') {
                    digit = c - 'a' + 10;
                } else if (c >= 'A' && c <= 'F') {
                    digit = c - 'A' + 10;
                } else {
                    throw error("invalid hex digit in \\u escape");
                }
                value = (value << 4) | digit;
                pos++;
            }
            return value;
        }

        private Object parseNumber() throws JsonException {
            final int start = pos;
            boolean negative = false;
            if (text.charAt(pos) == '-') {
                negative = true;
                pos++;
            }
            final int intStart = pos;
            if (pos >= length || !isDigit(text.charAt(pos))) {
                throw error("expected a digit");
            }
            if (text.charAt(pos) == '0') {
                pos++;
                if (pos < length && isDigit(text.charAt(pos))) {
                    throw error("leading zero in number");
                }
            } else {
                while (pos < length && isDigit(text.charAt(pos))) {
                    pos++;
                }
            }
            final int intEnd = pos;
            boolean integral = true;
            if (pos < length && text.charAt(pos) == '.') {
                integral = false;
                pos++;
                requireDigits("expected a digit after the decimal point");
            }
            if (pos < length && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < length && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                    pos++;
                }
                requireDigits("expected a digit in the exponent");
            }
            if (integral) {
                final Long exact = exactLong(intStart, intEnd, negative);
                if (exact != null) {
                    return exact;
                }
            }
            // The grammar is checked above, so parseDouble cannot throw here.
            final double value = Double.parseDouble(text.substring(start, pos));
            if (Double.isInfinite(value)) {
                throw new JsonException("number out of range", start);
            }
            return value;
        }

        /** Digits in [from, to) as a long, or null when they do not fit. */
        private Long exactLong(final int from, final int to, final boolean negative) {
            // Accumulate negatively so Long.MIN_VALUE is representable.
            long acc = 0;
            for (int i = from; i < to; i++) {
                final int digit = text.charAt(i) - '0';
                if (acc < Long.MIN_VALUE / 10) {
                    return null;
                }
                acc *= 10;
                if (acc < Long.MIN_VALUE + digit) {
                    return null;
                }
                acc -= digit;
            }
            if (negative) {
                return acc;
            }
            return acc == Long.MIN_VALUE ? null : -acc;
        }

        private void requireDigits(final String message) throws JsonException {
            if (pos >= length || !isDigit(text.charAt(pos))) {
                throw error(message);
            }
            while (pos < length && isDigit(text.charAt(pos))) {
                pos++;
            }
        }

        private Object literal(final String word, final Object value) throws JsonException {
            if (!text.startsWith(word, pos)) {
                throw error("invalid literal, expected " + word);
            }
            pos += word.length();
            return value;
        }

        private void checkDepth(final int depth) throws JsonException {
            if (depth > maxDepth) {
                throw error("nesting deeper than " + maxDepth);
            }
        }

        private void expect(final char c, final String message) throws JsonException {
            if (peek() != c) {
                throw error(atEnd() ? "unexpected end of input" : message);
            }
            pos++;
        }

        private void skipWhitespace() {
            while (pos < length) {
                final char c = text.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        /** @return the current character, or {@code '\0'} at the end (never a valid structural char) */
        private char peek() {
            return pos < length ? text.charAt(pos) : '\0';
        }

        private boolean atEnd() {
            return pos >= length;
        }

        private JsonException error(final String message) {
            return new JsonException(message, pos);
        }

        private static boolean isDigit(final char c) {
            return c >= '0' && c <= '9';
        }

        private static String describe(final char c) {
            return "character " + describeBare(c);
        }

        private static String describeBare(final char c) {
            if (c >= 0x20 && c < 0x7F) {
                return "'" + c + "'";
            }
            return String.format("U+%04X", (int) c);
        }
    }
}
