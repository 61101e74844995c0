package dev.derphole.lanes.engine;

import java.nio.charset.StandardCharsets;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/** Helpers both engines share for control packets and limits (control-plane rate; may allocate). */
public final class Control {
    private Control() {
    }

    /** Writes an ABORT body (code, text truncated to {@link WireFormat#ABORT_MAX_TEXT} bytes); returns its length. */
    public static int encodeAbort(final byte[] body, final int offset, final int code, final String text) {
        final byte[] utf8 = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        int n = Math.min(utf8.length, WireFormat.ABORT_MAX_TEXT);
        // Do not cut a UTF-8 sequence in half.
        while (n > 0 && n < utf8.length && (utf8[n] & 0xC0) == 0x80) {
            n--;
        }
        body[offset + WireFormat.ABORT_CODE_OFFSET] = (byte)code;
        body[offset + WireFormat.ABORT_TEXT_LENGTH_OFFSET] = (byte)n;
        System.arraycopy(utf8, 0, body, offset + WireFormat.ABORT_TEXT_OFFSET, n);
        return WireFormat.ABORT_TEXT_OFFSET + n;
    }

    /**
     * The reason text of an ABORT body, with control characters replaced, or null when the body is malformed.
     * The peer chose this text; it is shown to the user, so it is sanitized here.
     */
    public static String decodeAbortText(final byte[] body, final int length) {
        if (length < WireFormat.ABORT_TEXT_OFFSET) {
            return null;
        }
        final int n = body[WireFormat.ABORT_TEXT_LENGTH_OFFSET] & 0xFF;
        if (n > WireFormat.ABORT_MAX_TEXT || length != WireFormat.ABORT_TEXT_OFFSET + n) {
            return null;
        }
        final String raw = new String(body, WireFormat.ABORT_TEXT_OFFSET, n, StandardCharsets.UTF_8);
        final StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            final char c = raw.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return sb.length() == 0 ? "no reason given" : sb.toString();
    }

    /** "30" for 30 s, "1.5" for 1.5 s. */
    public static String seconds(final long nanos) {
        final long millis = nanos / 1_000_000L;
        if (millis % 1000 == 0) {
            return Long.toString(millis / 1000);
        }
        return java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }

    /** Datagram size the engine uses on {@code path}: the path's, capped by the config and the protocol. */
    public static int datagramLength(final PacketPath path, final StreamConfig config) {
        int length = Math.min(path.maxDatagramLength(), WireFormat.MAX_DATAGRAM_LENGTH);
        if (config.maxDatagramLength() > 0) {
            length = Math.min(length, config.maxDatagramLength());
        }
        if (length < WireFormat.MIN_DATAGRAM_LENGTH) {
            throw new IllegalArgumentException(
                "path " + path.name() + " carries only " + length + "-byte datagrams; the stream needs 512");
        }
        return length;
    }
}
