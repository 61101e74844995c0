package dev.derphole.session.payload;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.json.JsonWriter;

/**
 * The header's JSON text, written exactly as upstream's Go {@code json.Marshal} of its {@code Header} struct:
 * fields in struct order, {@code omitempty} fields left out, and {@code <}, {@code >}, {@code &} escaped as
 * <code>&#92;u003c</code>, <code>&#92;u003e</code>, <code>&#92;u0026</code> (Go escapes them by default;
 * {@link JsonWriter} does the rest the same way: short escapes, lower-case <code>&#92;u00XX</code> for other
 * controls, U+2028/U+2029 escaped, everything else literal UTF-8). Reading is strict about the fields it knows
 * and ignores the others, as Go's decoder does. Stateless.
 */
final class HeaderJson {
    private static final String VERSION = "version";
    private static final String KIND = "kind";
    private static final String NAME = "name";
    private static final String SIZE = "size";
    private static final String VERIFY = "verify";
    private static final String METADATA = "metadata";
    /** Longest parser message passed on, chars: a duplicate key is quoted whole and may be 1 MiB. */
    private static final int MAX_DETAIL_CHARS = 120;
    private static final JsonReader READER =
        new JsonReader(JsonReader.DEFAULT_MAX_DEPTH, PayloadHeaders.MAX_HEADER_BYTES);

    private HeaderJson() {
    }

    static byte[] encode(final PayloadHeader header) {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put(VERSION, PayloadHeaders.VERSION);
        json.put(KIND, header.kind().wireName());
        if (!header.name().isEmpty()) {
            json.put(NAME, header.name());
        }
        if (header.size() != 0) {
            json.put(SIZE, header.size());
        }
        if (!header.verify().isEmpty()) {
            json.put(VERIFY, header.verify());
        }
        if (header.metadata() != null) {
            json.put(METADATA, header.metadata().encode());
        }
        return escapeHtml(JsonWriter.write(json)).getBytes(StandardCharsets.UTF_8);
    }

    static PayloadHeader decode(final byte[] utf8) throws PayloadException {
        final Object value;
        try {
            value = READER.read(utf8);
        } catch (final JsonException e) {
            throw new PayloadException("malformed payload header: " + detail(e.getMessage()));
        }
        if (!(value instanceof Map<?, ?> json)) {
            throw new PayloadException("malformed payload header: not a JSON object");
        }
        // The version first: a later version may have kinds or fields this build would misread.
        final Object version = json.get(VERSION);
        if (version == null) {
            throw new PayloadException("payload header has no version");
        }
        if (!(version instanceof Long number)) {
            throw new PayloadException("invalid payload header version: not an integer");
        }
        if (number != PayloadHeaders.VERSION) {
            throw new PayloadException("unsupported payload header version " + number + " (this build reads "
                + PayloadHeaders.VERSION + ")");
        }
        final String kindName = string(json, KIND);
        if (kindName.isEmpty()) {
            throw new PayloadException("payload header has no kind");
        }
        final PayloadKind kind = PayloadKind.fromWire(kindName);
        final String name = string(json, NAME);
        final long size = size(json);
        final String verify = string(json, VERIFY);
        final String metadata = string(json, METADATA);
        final DirectoryMetadata summary = metadata.isEmpty()
            ? null : DirectoryMetadata.fromJson(DirectoryMetadata.base64(metadata));
        final String problem = PayloadHeader.problem(kind, name, size, verify);
        if (problem != null) {
            throw new PayloadException(problem);
        }
        return new PayloadHeader(kind, name, size, verify, summary);
    }

    /** An absent or {@code null} field reads as empty, as Go's decoder leaves the zero value. */
    private static String string(final Map<?, ?> json, final String field) throws PayloadException {
        final Object value = json.get(field);
        if (value == null) {
            return "";
        }
        if (!(value instanceof String s)) {
            throw new PayloadException("invalid payload header " + field + ": not a string");
        }
        return s;
    }

    private static long size(final Map<?, ?> json) throws PayloadException {
        final Object value = json.get(SIZE);
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Long size) || size < 0) {
            throw new PayloadException("invalid payload size: not a non-negative integer");
        }
        return size;
    }

    private static String escapeHtml(final String json) {
        final StringBuilder out = new StringBuilder(json.length() + 16);
        for (int i = 0; i < json.length(); i++) {
            final char c = json.charAt(i);
            switch (c) {
                case '<' -> out.append("\\u003c");
                case '>' -> out.append("\\u003e");
                case '&' -> out.append("\\u0026");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String detail(final String message) {
        final String clipped = message.length() <= MAX_DETAIL_CHARS
            ? message : message.substring(0, MAX_DETAIL_CHARS) + "...";
        final StringBuilder out = new StringBuilder(clipped.length());
        for (int i = 0; i < clipped.length(); i++) {
            final char c = clipped.charAt(i);
            out.append(c < 0x20 || Character.isSurrogate(c) ? '?' : c);
        }
        return out.toString();
    }
}
