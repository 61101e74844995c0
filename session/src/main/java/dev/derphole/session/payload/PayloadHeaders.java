package dev.derphole.session.payload;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Frames a {@link PayloadHeader} in front of a payload body (upstream {@code protocol.WriteHeader} /
 * {@code ReadHeader}):
 * <pre>
 * off  len  field
 *   0    9  magic "DERPHOLE1" (ASCII)
 *   9    4  n, u32 big-endian, at most {@value #MAX_HEADER_BYTES}
 *  13    n  header JSON (UTF-8): fields in Go struct order, empty ones omitted
 *  13+n     body
 * </pre>
 * Stateless; thread-safe.
 */
public final class PayloadHeaders {
    /** The header format version this build writes and reads. */
    public static final int VERSION = 1;
    /** Largest header JSON accepted, bytes (1 MiB, upstream's {@code maxHeaderSize}); unknown fields count. */
    public static final int MAX_HEADER_BYTES = 1 << 20;

    private static final byte[] MAGIC = "DERPHOLE1".getBytes(StandardCharsets.US_ASCII);
    private static final int PREFIX_BYTES = MAGIC.length + Integer.BYTES;

    private PayloadHeaders() {
    }

    /**
     * @param header the header
     * @return magic, length and JSON: every byte that goes in front of the body
     */
    public static byte[] encode(final PayloadHeader header) {
        final byte[] json = HeaderJson.encode(header);
        if (json.length > MAX_HEADER_BYTES) {
            // Only a verify string of about a megabyte gets here: the name is at most 255 bytes.
            throw new IllegalArgumentException("payload header too large: " + json.length + " bytes");
        }
        return ByteBuffer.allocate(PREFIX_BYTES + json.length).put(MAGIC).putInt(json.length).put(json).array();
    }

    /**
     * Writes the header; the caller writes the body after it and flushes.
     *
     * @param header the header
     * @param out    the payload stream
     * @throws IOException when {@code out} fails
     */
    public static void write(final PayloadHeader header, final OutputStream out) throws IOException {
        out.write(encode(header));
    }

    /**
     * Reads one header and nothing more: on return {@code in} is positioned at the first body byte. The
     * length is checked against {@link #MAX_HEADER_BYTES} before anything is read or allocated for it.
     *
     * @param in the payload stream
     * @return the header
     * @throws PayloadException for anything but a valid version-1 header: wrong magic, oversized or truncated
     *                          header, malformed JSON, a missing or invalid field, an unknown kind
     * @throws IOException      when {@code in} fails
     */
    public static PayloadHeader read(final InputStream in) throws IOException, PayloadException {
        final byte[] prefix = in.readNBytes(PREFIX_BYTES);
        for (int i = 0; i < Math.min(prefix.length, MAGIC.length); i++) {
            if (prefix[i] != MAGIC[i]) {
                throw new PayloadException("not a derphole send stream");
            }
        }
        if (prefix.length < PREFIX_BYTES) {
            throw truncated(prefix.length, PREFIX_BYTES);
        }
        final long length = Integer.toUnsignedLong(ByteBuffer.wrap(prefix, MAGIC.length, Integer.BYTES).getInt());
        if (length > MAX_HEADER_BYTES) {
            throw new PayloadException("payload header too large: " + length + " bytes (limit "
                + MAX_HEADER_BYTES + ")");
        }
        // InputStream.readNBytes(int) fills chunk by chunk, so a peer that lies about n costs only what it sends.
        final byte[] json = in.readNBytes((int)length);
        if (json.length < length) {
            throw truncated(PREFIX_BYTES + json.length, PREFIX_BYTES + length);
        }
        return HeaderJson.decode(json);
    }

    private static PayloadException truncated(final long got, final long want) {
        return new PayloadException("truncated payload header: the stream ended after " + got + " of " + want
            + " bytes");
    }
}
