package dev.derphole.session.payload;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.json.JsonWriter;

/**
 * The summary a directory sender puts in the header's {@code metadata} field so the receiver can say what is
 * coming ({@code 12 files, 3.4 MB (uncompressed)}) before the tar starts. Wire form: standard base64 with
 * padding of the JSON {@code {"file_count":N,"uncompressed_bytes":M}} (upstream's Go {@code []byte} field of a
 * marshalled {@code directorySummary}).
 *
 * @param fileCount         regular files in the directory tree
 * @param uncompressedBytes sum of their lengths, bytes
 */
public record DirectoryMetadata(long fileCount, long uncompressedBytes) {
    private static final String FILE_COUNT = "file_count";
    private static final String UNCOMPRESSED_BYTES = "uncompressed_bytes";

    /** @throws IllegalArgumentException when a count is negative */
    public DirectoryMetadata {
        if (fileCount < 0 || uncompressedBytes < 0) {
            throw new IllegalArgumentException("negative directory summary: " + fileCount + " files, "
                + uncompressedBytes + " bytes");
        }
    }

    /** @return the header's {@code metadata} string */
    public String encode() {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put(FILE_COUNT, fileCount);
        json.put(UNCOMPRESSED_BYTES, uncompressedBytes);
        return Base64.getEncoder().encodeToString(JsonWriter.write(json).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param metadata a header's {@code metadata} string
     * @return the summary it holds
     * @throws PayloadException when it is not base64 or not a directory summary
     */
    public static DirectoryMetadata decode(final String metadata) throws PayloadException {
        final DirectoryMetadata summary = fromJson(base64(metadata));
        if (summary == null) {
            throw new PayloadException("payload metadata is not a directory summary");
        }
        return summary;
    }

    /** The raw metadata bytes; the field is base64 on the wire because Go marshals {@code []byte} that way. */
    static byte[] base64(final String metadata) throws PayloadException {
        try {
            return Base64.getDecoder().decode(metadata);
        } catch (final IllegalArgumentException e) {
            throw new PayloadException("payload metadata is not base64");
        }
    }

    /**
     * The summary in {@code json}, or {@code null} when it is something else. Not an error, as upstream: the
     * summary is only shown, and a later sender may put other metadata here (upstream's tests use a file mode).
     */
    static DirectoryMetadata fromJson(final byte[] json) {
        final Object value;
        try {
            value = JsonReader.parse(json);
        } catch (final JsonException e) {
            return null;
        }
        if (value instanceof Map<?, ?> map
            && map.get(FILE_COUNT) instanceof Long files && files >= 0
            && map.get(UNCOMPRESSED_BYTES) instanceof Long bytes && bytes >= 0) {
            return new DirectoryMetadata(files, bytes);
        }
        return null;
    }
}
