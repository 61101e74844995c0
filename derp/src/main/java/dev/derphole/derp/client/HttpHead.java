package dev.derphole.derp.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;

/**
 * The HTTP/1.1 we need before DERP frames start: writing a GET (the upgrade or a probe) and reading a response
 * head (status line and headers) byte by byte with a size limit, leaving every byte after the blank line in the
 * stream for the frame reader. Control plane only; not thread-safe.
 */
final class HttpHead {
    /** Largest response head we read: status line plus headers. */
    static final int MAX_HEAD_BYTES = 16 << 10;

    /** User-Agent we send; relays log it, nothing depends on it. */
    static final String USER_AGENT = "derphole-java";

    /** A parsed response head; header names are lower case, the last duplicate wins. */
    record Response(int status, String statusLine, Map<String, String> headers) {
        /** The status line without the protocol version, e.g. {@code 404 Not Found}. */
        String statusText() {
            final int space = statusLine.indexOf(' ');
            return space < 0 ? statusLine : statusLine.substring(space + 1);
        }
    }

    private HttpHead() {
    }

    /** {@code GET /derp} with {@code Upgrade: DERP} (tailscale derphttp_client.go {@code connect}). */
    static byte[] upgradeRequest(final DerpTarget target) {
        return ("GET " + DerpProtocol.HTTP_PATH + " HTTP/1.1\r\n"
            + "Host: " + target.hostHeader() + "\r\n"
            + "User-Agent: " + USER_AGENT + "\r\n"
            + "Connection: Upgrade\r\n"
            + "Upgrade: " + DerpProtocol.UPGRADE_TOKEN + "\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A plain {@code GET path} that asks the relay to close afterwards (latency probes). */
    static byte[] getRequest(final DerpTarget target, final String path) {
        return ("GET " + path + " HTTP/1.1\r\n"
            + "Host: " + target.hostHeader() + "\r\n"
            + "User-Agent: " + USER_AGENT + "\r\n"
            + "Connection: close\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads a response head up to and including the blank line.
     *
     * @throws DerpProtocolException when it is not HTTP/1.x or longer than {@link #MAX_HEAD_BYTES}
     * @throws EOFException          when the stream ends first
     */
    static Response read(final InputStream in) throws IOException {
        final byte[] line = new byte[MAX_HEAD_BYTES];
        int total = 0;
        String statusLine = null;
        int status = 0;
        final Map<String, String> headers = new HashMap<>();
        while (true) {
            int length = 0;
            while (true) {
                final int b = in.read();
                if (b < 0) {
                    throw new EOFException(statusLine == null
                        ? "relay closed the connection without an HTTP answer"
                        : "relay closed the connection inside its HTTP answer (" + statusLine + ")");
                }
                if (++total > MAX_HEAD_BYTES) {
                    throw new DerpProtocolException("relay's HTTP answer head exceeds " + MAX_HEAD_BYTES + " bytes");
                }
                if (b == '\n') {
                    break;
                }
                line[length++] = (byte)b;
            }
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            final String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
            if (statusLine == null) {
                statusLine = text;
                status = parseStatus(text);
            } else if (text.isEmpty()) {
                return new Response(status, statusLine, headers);
            } else {
                final int colon = text.indexOf(':');
                if (colon > 0) {
                    headers.put(text.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        text.substring(colon + 1).trim());
                }
            }
        }
    }

    private static int parseStatus(final String text) throws DerpProtocolException {
        // "HTTP/1.1 101 Switching Protocols": version, space, three digits, optional reason.
        if (text.length() >= 12 && text.startsWith("HTTP/1.") && text.charAt(8) == ' '
            && isDigit(text.charAt(9)) && isDigit(text.charAt(10)) && isDigit(text.charAt(11))
            && (text.length() == 12 || text.charAt(12) == ' ')) {
            return Integer.parseInt(text, 9, 12, 10);
        }
        throw new DerpProtocolException("relay did not answer HTTP/1.1: \"" + printable(text) + "\"");
    }

    private static boolean isDigit(final char c) {
        return c >= '0' && c <= '9';
    }

    private static String printable(final String text) {
        final StringBuilder b = new StringBuilder(Math.min(text.length(), 60));
        for (int i = 0; i < text.length() && b.length() < 60; i++) {
            final char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
