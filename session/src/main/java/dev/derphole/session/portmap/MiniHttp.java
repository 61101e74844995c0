package dev.derphole.session.portmap;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The HTTP/1.1 client UPnP needs, and no more: one request per connection ({@code Connection: close}), from our
 * LAN address to the gateway, with one deadline for connect, send and receive, and a cap on the response size.
 * Bodies may be delimited by Content-Length, chunked, or the connection's close. Writing our own keeps every
 * byte and every wait under our control (no connection pool, no HTTP/2 upgrade, no redirects, no proxy).
 * <p>
 * Stateless; {@link #exchange} runs on the caller's thread and publishes its socket in {@code inFlight} so
 * another thread can close it to abort the request.
 */
final class MiniHttp {
    /** Cap on the status line and headers, in bytes. */
    static final int MAX_HEAD_BYTES = 8 * 1024;
    /** Returned by {@link #parse} when more bytes are needed. */
    static final Response INCOMPLETE = new Response(-1, new byte[0]);
    private static final int READ_CHUNK_BYTES = 4096;
    /** Interim responses (100 Continue) skipped before the real one. */
    private static final int MAX_INTERIM_RESPONSES = 2;
    private static final int MAX_CHUNK_LINE_BYTES = 64;

    /**
     * A complete response.
     *
     * @param status the status code
     * @param body   the body (de-chunked)
     */
    record Response(int status, byte[] body) {
    }

    private MiniHttp() {
    }

    /**
     * Sends {@code head} (request line and headers, ending in an empty line) and {@code body} to {@code server}
     * from {@code bindAddress}, and reads the response, all within {@code timeoutNanos}.
     *
     * @throws IOException on connect, send or receive failure, timeout, an oversize or malformed response
     */
    static Response exchange(final InetAddress bindAddress, final InetSocketAddress server, final String head,
                             final byte[] body, final long timeoutNanos, final int maxBodyBytes,
                             final AtomicReference<Socket> inFlight) throws IOException {
        final long deadline = System.nanoTime() + timeoutNanos;
        try (Socket socket = new Socket()) {
            inFlight.set(socket);
            try {
                socket.bind(new InetSocketAddress(bindAddress, 0));
                socket.setTcpNoDelay(true);
                socket.connect(server, remainingMs(deadline));
                final OutputStream out = socket.getOutputStream();
                final byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
                final byte[] request = Arrays.copyOf(headBytes, headBytes.length + body.length);
                System.arraycopy(body, 0, request, headBytes.length, body.length);
                out.write(request);
                out.flush();
                return read(socket, deadline, maxBodyBytes);
            } finally {
                inFlight.compareAndSet(socket, null);
            }
        }
    }

    private static Response read(final Socket socket, final long deadline, final int maxBodyBytes)
        throws IOException {
        final InputStream in = socket.getInputStream();
        // Chunked framing can add a few bytes per chunk; allow for it on top of the body cap.
        final int maxRaw = MAX_HEAD_BYTES * (MAX_INTERIM_RESPONSES + 1) + maxBodyBytes * 2 + 1024;
        byte[] buf = new byte[Math.min(maxRaw, READ_CHUNK_BYTES)];
        int length = 0;
        while (true) {
            if (length == buf.length) {
                if (buf.length >= maxRaw) {
                    throw new IOException("HTTP response larger than " + maxRaw + " bytes");
                }
                buf = Arrays.copyOf(buf, Math.min(maxRaw, buf.length * 2));
            }
            socket.setSoTimeout(remainingMs(deadline));
            final int n = in.read(buf, length, buf.length - length);
            final boolean eof = n < 0;
            if (!eof) {
                length += n;
            }
            final Response r = parse(buf, length, maxBodyBytes, eof);
            if (r == null) {
                throw new IOException("malformed HTTP response");
            }
            if (r != INCOMPLETE) {
                return r;
            }
            if (eof) {
                throw new IOException("HTTP response truncated");
            }
        }
    }

    private static int remainingMs(final long deadline) throws SocketTimeoutException {
        final long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms <= 0) {
            throw new SocketTimeoutException("HTTP deadline passed");
        }
        return (int)Math.min(Integer.MAX_VALUE, ms);
    }

    /**
     * Parses the first {@code length} bytes of a response: the response when complete, {@link #INCOMPLETE} when
     * more bytes are needed (never when {@code eof}), null when malformed or larger than the caps. Never throws.
     */
    static Response parse(final byte[] raw, final int length, final int maxBodyBytes, final boolean eof) {
        if (raw == null || length < 0 || length > raw.length) {
            return null;
        }
        int start = 0;
        for (int interim = 0; interim <= MAX_INTERIM_RESPONSES; interim++) {
            final int headEnd = headEnd(raw, start, length);
            if (headEnd < 0) {
                return length - start > MAX_HEAD_BYTES || eof ? null : INCOMPLETE;
            }
            if (headEnd - start > MAX_HEAD_BYTES) {
                return null;
            }
            final Head head = Head.parse(new String(raw, start, headEnd - start, StandardCharsets.ISO_8859_1));
            if (head == null) {
                return null;
            }
            final int bodyStart = bodyStart(raw, headEnd, length);
            if (head.status >= 100 && head.status < 200) {
                start = bodyStart;
                continue;
            }
            return body(raw, bodyStart, length, head, maxBodyBytes, eof);
        }
        return null;
    }

    /** Index of the empty line ending the head (at its first CR or LF), or -1. */
    private static int headEnd(final byte[] raw, final int from, final int length) {
        for (int i = from; i < length; i++) {
            if (raw[i] == '\n') {
                if (i + 1 < length && raw[i + 1] == '\n') {
                    return i;
                }
                if (i + 2 < length && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
                    return i;
                }
            }
        }
        return -1;
    }

    private static int bodyStart(final byte[] raw, final int headEnd, final int length) {
        int i = headEnd + 1;
        if (i < length && raw[i] == '\r') {
            i++;
        }
        return Math.min(i + 1, length);
    }

    private static Response body(final byte[] raw, final int from, final int length, final Head head,
                                 final int maxBodyBytes, final boolean eof) {
        if (head.chunked) {
            return dechunk(raw, from, length, head.status, maxBodyBytes, eof);
        }
        if (head.contentLength >= 0) {
            if (head.contentLength > maxBodyBytes) {
                return null;
            }
            if (length - from < head.contentLength) {
                return eof ? null : INCOMPLETE;
            }
            return new Response(head.status, Arrays.copyOfRange(raw, from, from + (int)head.contentLength));
        }
        if (!eof) {
            return INCOMPLETE;
        }
        return length - from > maxBodyBytes ? null : new Response(head.status, Arrays.copyOfRange(raw, from, length));
    }

    private static Response dechunk(final byte[] raw, final int from, final int length, final int status,
                                    final int maxBodyBytes, final boolean eof) {
        final Response needMore = eof ? null : INCOMPLETE;
        byte[] out = new byte[Math.min(maxBodyBytes, READ_CHUNK_BYTES)];
        int outLength = 0;
        int i = from;
        while (true) {
            final int lineEnd = indexOf(raw, (byte)'\n', i, Math.min(length, i + MAX_CHUNK_LINE_BYTES));
            if (lineEnd < 0) {
                return length - i >= MAX_CHUNK_LINE_BYTES ? null : needMore;
            }
            final long size = chunkSize(raw, i, lineEnd);
            if (size < 0 || size > maxBodyBytes - outLength) {
                return null;
            }
            i = lineEnd + 1;
            if (size == 0) {
                // Trailers (ignored) up to an empty line.
                while (true) {
                    final int end = indexOf(raw, (byte)'\n', i, Math.min(length, i + MAX_HEAD_BYTES));
                    if (end < 0) {
                        return length - i >= MAX_HEAD_BYTES ? null : needMore;
                    }
                    final boolean empty = end == i || end == i + 1 && raw[i] == '\r';
                    i = end + 1;
                    if (empty) {
                        return new Response(status, Arrays.copyOf(out, outLength));
                    }
                }
            }
            if (length - i < size + 1) {
                return needMore;
            }
            if (outLength + size > out.length) {
                out = Arrays.copyOf(out, (int)Math.min(maxBodyBytes, Math.max(out.length * 2L, outLength + size)));
            }
            System.arraycopy(raw, i, out, outLength, (int)size);
            outLength += (int)size;
            i += (int)size;
            if (raw[i] == '\r') {
                if (i + 1 >= length) {
                    return needMore;
                }
                i++;
            }
            if (raw[i] != '\n') {
                return null;
            }
            i++;
        }
    }

    /** Hex size at the start of a chunk line (extensions after ';' ignored), or -1. */
    private static long chunkSize(final byte[] raw, final int from, final int lineEnd) {
        long size = 0;
        int digits = 0;
        for (int i = from; i < lineEnd; i++) {
            final int c = raw[i];
            final int v = Character.digit(c, 16);
            if (v >= 0 && c < 0x80) {
                if (++digits > 8) {
                    return -1;
                }
                size = size << 4 | v;
            } else if (c == ';' || c == '\r' || c == ' ' || c == '\t') {
                break;
            } else {
                return -1;
            }
        }
        return digits == 0 ? -1 : size;
    }

    private static int indexOf(final byte[] raw, final byte b, final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (raw[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** The parts of a response head we use. */
    private record Head(int status, long contentLength, boolean chunked) {
        static Head parse(final String text) {
            final String[] lines = text.split("\n", -1);
            final String statusLine = stripCr(lines[0]);
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' '
                || statusLine.length() > 12 && statusLine.charAt(12) != ' ') {
                return null;
            }
            int status = 0;
            for (int i = 9; i < 12; i++) {
                final char c = statusLine.charAt(i);
                if (c < '0' || c > '9') {
                    return null;
                }
                status = status * 10 + (c - '0');
            }
            if (status < 100) {
                return null;
            }
            long contentLength = -1;
            boolean chunked = false;
            for (int i = 1; i < lines.length; i++) {
                final String line = stripCr(lines[i]);
                final int colon = line.indexOf(':');
                if (colon <= 0) {
                    return null;
                }
                final String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                final String value = line.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    final long v = digits(value);
                    if (v < 0 || contentLength >= 0 && contentLength != v) {
                        return null;
                    }
                    contentLength = v;
                } else if (name.equals("transfer-encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                }
            }
            return new Head(status, contentLength, chunked);
        }

        private static String stripCr(final String line) {
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        }

        private static long digits(final String value) {
            if (value.isEmpty() || value.length() > 10) {
                return -1;
            }
            long v = 0;
            for (int i = 0; i < value.length(); i++) {
                final char c = value.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                v = v * 10 + (c - '0');
            }
            return v;
        }
    }
}
