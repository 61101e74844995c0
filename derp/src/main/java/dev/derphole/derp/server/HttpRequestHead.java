package dev.derphole.derp.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The request line and headers of one HTTP/1.x request, read byte by byte so that nothing after the blank line
 * is consumed (a fast-start DERP client sends its first frame right behind the request). Strict: bounded total
 * size and header count, token-only methods and header names, no obsolete line folding. Header names are
 * matched case-insensitively; the first occurrence of a repeated header wins, as Go's {@code Header.Get}.
 *
 * @param method  request method, e.g. {@code GET}
 * @param path    request path without the query (origin form, or the path of an absolute-form target)
 * @param version {@code HTTP/1.1} or {@code HTTP/1.0}
 * @param headers lower-cased header names to values
 */
record HttpRequestHead(String method, String path, String version, Map<String, String> headers) {
    /** Largest accepted request head: request line, headers and the blank line. */
    static final int MAX_HEAD_BYTES = 16 << 10;
    /** Largest number of header lines. */
    static final int MAX_HEADERS = 100;

    /** The request was not acceptable HTTP/1.x. */
    static final class BadRequestException extends IOException {
        private static final long serialVersionUID = 1L;

        BadRequestException(final String message) {
            super(message);
        }
    }

    /** Header value by case-insensitive name, or null. */
    String header(final String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Reads one request head.
     *
     * @throws EOFException        when the stream ends first
     * @throws BadRequestException when the head is malformed or larger than {@link #MAX_HEAD_BYTES}
     */
    static HttpRequestHead read(final InputStream in) throws IOException {
        final byte[] buf = new byte[MAX_HEAD_BYTES];
        int len = 0;
        while (true) {
            final int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside the HTTP request head");
            }
            if (len == 0 && (b == '\r' || b == '\n')) {
                continue; // RFC 9112 §2.2: ignore empty lines before the request line
            }
            if (len == buf.length) {
                throw new BadRequestException("request head larger than " + MAX_HEAD_BYTES + " bytes");
            }
            buf[len++] = (byte)b;
            if (b == '\n' && endsWithBlankLine(buf, len)) {
                return parse(new String(buf, 0, len, StandardCharsets.ISO_8859_1));
            }
        }
    }

    private static boolean endsWithBlankLine(final byte[] buf, final int len) {
        return (len >= 2 && buf[len - 2] == '\n')
            || (len >= 4 && buf[len - 2] == '\r' && buf[len - 3] == '\n');
    }

    private static HttpRequestHead parse(final String text) throws BadRequestException {
        final String[] lines = text.split("\r?\n", -1);
        final String requestLine = lines[0];
        final int sp1 = requestLine.indexOf(' ');
        final int sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0) {
            throw new BadRequestException("malformed request line");
        }
        final String method = requestLine.substring(0, sp1);
        final String target = requestLine.substring(sp1 + 1, sp2);
        final String version = requestLine.substring(sp2 + 1);
        if (!isToken(method)) {
            throw new BadRequestException("malformed method");
        }
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new BadRequestException("unsupported HTTP version");
        }
        final Map<String, String> headers = new HashMap<>();
        int count = 0;
        for (int i = 1; i < lines.length; i++) {
            final String line = lines[i];
            if (line.isEmpty()) {
                continue; // the terminating blank line(s)
            }
            if (++count > MAX_HEADERS) {
                throw new BadRequestException("too many header lines");
            }
            final int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new BadRequestException("malformed header line");
            }
            final String name = line.substring(0, colon);
            if (!isToken(name)) {
                throw new BadRequestException("malformed header name");
            }
            final String value = line.substring(colon + 1).strip();
            for (int k = 0; k < value.length(); k++) {
                final char c = value.charAt(k);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new BadRequestException("control character in header value");
                }
            }
            headers.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
        }
        return new HttpRequestHead(method, pathOf(target), version, headers);
    }

    private static String pathOf(final String target) throws BadRequestException {
        String path = target;
        final int scheme = path.indexOf("://");
        if (scheme > 0 && path.charAt(0) != '/') {
            final int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        final int cut = firstOf(path, '?', '#');
        if (cut >= 0) {
            path = path.substring(0, cut);
        }
        if (path.isEmpty() || (path.charAt(0) != '/' && !path.equals("*"))) {
            throw new BadRequestException("malformed request target");
        }
        return path;
    }

    private static int firstOf(final String s, final char a, final char b) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == a || c == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isToken(final String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
