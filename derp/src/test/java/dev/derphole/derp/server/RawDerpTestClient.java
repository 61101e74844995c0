package dev.derphole.derp.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.FrameReader;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

/**
 * A deliberately raw DERP client for server tests: every step of the upgrade and handshake is explicit so tests
 * can stop half-way or send garbage. Writes are synchronized (any thread may send); reads belong to one thread.
 */
public final class RawDerpTestClient implements AutoCloseable {
    /** Default ClientInfo JSON, as Tailscale clients send it. */
    public static final String CLIENT_INFO_JSON = "{\"version\":2,\"CanAckPings\":true}";
    /** How long a handshake step may take in tests. */
    public static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

    /** One frame read from the server. */
    public record Frame(int type, byte[] payload) {
        /** The 32-byte key at the start of the payload (RecvPacket source, PeerGone peer). */
        public NodeKey key() {
            return NodeKey.read(payload, 0);
        }

        /** The payload after the key (RecvPacket data). */
        public byte[] data() {
            return Arrays.copyOfRange(payload, DerpProtocol.KEY_LENGTH, payload.length);
        }

        /** The whole payload as UTF-8 (Health text). */
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The payload after the key as UTF-8 (RecvPacket data). */
        public String dataText() {
            return new String(payload, DerpProtocol.KEY_LENGTH, payload.length - DerpProtocol.KEY_LENGTH,
                StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return FrameType.name(type) + "(" + payload.length + " bytes)";
        }
    }

    /** A parsed HTTP response (status, lower-cased headers, body). */
    public record HttpResponse(int status, Map<String, String> headers, String body) {
        public String header(final String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final Curve25519KeyPair keyPair;
    private final NodeKey key;
    private NodeKey serverKey;
    private Map<String, String> upgradeHeaders = Map.of();
    private String serverInfoJson;

    private RawDerpTestClient(final Socket socket, final Curve25519KeyPair keyPair) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        this.out = socket.getOutputStream();
        this.reader = new FrameReader(in);
        this.writer = new FrameWriter(out);
        this.keyPair = keyPair;
        this.key = NodeKey.of(keyPair.publicKey());
    }

    /** A fully connected client with a fresh key (plain or TLS, as the server serves). */
    public static RawDerpTestClient connect(final DerpServer server) throws IOException {
        return connect(server, Curve25519KeyPair.generate());
    }

    public static RawDerpTestClient connect(final DerpServer server, final Curve25519KeyPair keyPair)
        throws IOException {
        final RawDerpTestClient c = upgrade(server, keyPair, false);
        c.sendClientInfo(CLIENT_INFO_JSON);
        c.readServerInfo();
        return c;
    }

    /**
     * Opens the socket, sends the upgrade request and reads the 101 (unless {@code fastStart}) and the ServerKey
     * frame. The caller continues with {@link #sendClientInfo} or with garbage.
     */
    public static RawDerpTestClient upgrade(
        final DerpServer server, final Curve25519KeyPair keyPair, final boolean fastStart) throws IOException {
        final RawDerpTestClient c = new RawDerpTestClient(open(server), keyPair);
        try {
            c.socket.setSoTimeout((int)STEP_TIMEOUT.toMillis());
            c.out.write(("GET /derp HTTP/1.1\r\nHost: localhost\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n"
                + (fastStart ? "Derp-Fast-Start: 1\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            if (!fastStart) {
                final HttpResponse head = readHead(c.in);
                if (head.status() != 101) {
                    throw new IOException("upgrade refused: " + head);
                }
                c.upgradeHeaders = head.headers();
            }
            final int type = c.reader.readHeader(DerpProtocol.MAX_SERVER_KEY_LENGTH);
            if (type != FrameType.SERVER_KEY) {
                throw new IOException("expected ServerKey, got " + FrameType.name(type));
            }
            c.serverKey = Handshake.parseServerKey(c.reader.readRest());
            return c;
        } catch (final IOException e) {
            c.close();
            throw e;
        }
    }

    /** A TCP (or TLS, when the server has TLS) socket to the server; TLS is handshaken. */
    public static Socket open(final DerpServer server) throws IOException {
        final InetSocketAddress a = server.localAddress();
        if (!server.config().tls()) {
            final Socket s = new Socket();
            s.connect(a, (int)STEP_TIMEOUT.toMillis());
            s.setTcpNoDelay(true);
            return s;
        }
        final SSLSocket s = (SSLSocket)TestTls.clientSslContext().getSocketFactory()
            .createSocket(a.getAddress(), a.getPort());
        s.setTcpNoDelay(true);
        s.setSoTimeout((int)STEP_TIMEOUT.toMillis());
        s.startHandshake();
        return s;
    }

    /** Sends one raw HTTP request (text as given) and reads the response until the server closes. */
    public static HttpResponse http(final DerpServer server, final String request) throws IOException {
        try (Socket s = open(server)) {
            s.setSoTimeout((int)STEP_TIMEOUT.toMillis());
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            final InputStream in = new BufferedInputStream(s.getInputStream());
            final HttpResponse head = readHead(in);
            final byte[] body = in.readAllBytes();
            return new HttpResponse(head.status(), head.headers(), new String(body, StandardCharsets.UTF_8));
        }
    }

    private static HttpResponse readHead(final InputStream in) throws IOException {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            final int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the HTTP response head: " + buf);
            }
            buf.write(b);
            final byte[] bytes = buf.toByteArray();
            final int n = bytes.length;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n'
                && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
                break;
            }
            if (n > 64 << 10) {
                throw new IOException("HTTP response head too long");
            }
        }
        final String[] lines = buf.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        final String[] status = lines[0].split(" ", 3);
        final Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon
                    + 1).strip());
            }
        }
        return new HttpResponse(Integer.parseInt(status[1]), headers, "");
    }

    /** Seals {@code json} to the server and sends it as ClientInfo. */
    public void sendClientInfo(final String json) throws IOException {
        sendFrame(FrameType.CLIENT_INFO,
            Handshake.clientInfoPayload(keyPair, serverKey, json.getBytes(StandardCharsets.UTF_8)));
    }

    /** Reads the ServerInfo frame, opens it and remembers its JSON. */
    public String readServerInfo() throws IOException {
        final Frame f = readFrame(STEP_TIMEOUT);
        if (f.type() != FrameType.SERVER_INFO) {
            throw new IOException("expected ServerInfo, got " + f);
        }
        serverInfoJson = new String(Handshake.openServerInfo(keyPair, serverKey, f.payload()), StandardCharsets.UTF_8);
        socket.setSoTimeout(0);
        return serverInfoJson;
    }

    public NodeKey key() {
        return key;
    }

    public Curve25519KeyPair keyPair() {
        return keyPair;
    }

    public NodeKey serverKey() {
        return serverKey;
    }

    /** Headers of the 101 response (lower-cased names); empty with fast start. */
    public Map<String, String> upgradeHeaders() {
        return upgradeHeaders;
    }

    public String serverInfoJson() {
        return serverInfoJson;
    }

    public Socket socket() {
        return socket;
    }

    /** Writes a whole frame and flushes. */
    public synchronized void sendFrame(final int type, final byte[] payload) throws IOException {
        writer.writeFrame(type, payload, 0, payload.length);
        writer.flush();
    }

    /** Writes a frame header claiming {@code length} bytes, then only {@code payload} (for oversize tests). */
    public synchronized void sendRawHeader(final int type, final int length, final byte[] payload) throws IOException {
        writer.writeHeader(type, length);
        writer.write(payload, 0, payload.length);
        writer.flush();
    }

    public synchronized void sendPacket(final NodeKey dst, final byte[] data) throws IOException {
        sendPacket(dst, data, 0, data.length, true);
    }

    /** SendPacket; with {@code flush} false the frame stays buffered (call {@link #flush()}). */
    public synchronized void sendPacket(
        final NodeKey dst, final byte[] data, final int off, final int len, final boolean flush) throws IOException {
        writer.writeKeyedFrame(FrameType.SEND_PACKET, dst, data, off, len);
        if (flush) {
            writer.flush();
        }
    }

    public synchronized void flush() throws IOException {
        writer.flush();
    }

    public synchronized void ping(final byte[] eight) throws IOException {
        sendFrame(FrameType.PING, eight);
    }

    /** Reads the next frame, waiting at most {@code timeout}. */
    public Frame readFrame(final Duration timeout) throws IOException {
        socket.setSoTimeout((int)Math.max(1, timeout.toMillis()));
        final int type = reader.readHeader(DerpProtocol.MAX_FRAME_LENGTH);
        if (type < 0) {
            throw new EOFException("server closed the connection");
        }
        return new Frame(type, reader.readRest());
    }

    /** Reads frames, skipping KeepAlive (and Health unless asked for), until one of {@code type} arrives. */
    public Frame expect(final int type, final Duration timeout) throws IOException {
        return expect(type, timeout, type);
    }

    /** Like {@link #expect(int, Duration)}, accepting either {@code type} or {@code otherType}. */
    public Frame expect(final int type, final Duration timeout, final int otherType) throws IOException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true) {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                throw new SocketTimeoutException("no " + FrameType.name(type) + " within " + timeout);
            }
            final Frame f = readFrame(Duration.ofMillis(leftMs));
            if (f.type() == type || f.type() == otherType) {
                return f;
            }
            if (f.type() != FrameType.KEEP_ALIVE && f.type() != FrameType.HEALTH) {
                throw new IOException("expected " + FrameType.name(type) + ", got " + f);
            }
        }
    }

    /** Reads (and discards) until the server closes the connection: true, or {@code timeout} passes: false. */
    public boolean awaitClosed(final Duration timeout) throws IOException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final byte[] sink = new byte[4096];
        while (true) {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                return false;
            }
            socket.setSoTimeout((int)leftMs);
            try {
                if (in.read(sink) < 0) {
                    return true;
                }
            } catch (final SocketTimeoutException e) {
                return false;
            } catch (final SocketException | SSLException e) {
                return true; // reset by the server
            }
        }
    }

    /** Awaits close of a raw socket (no DERP client around it). */
    public static boolean awaitClosed(final Socket s, final Duration timeout) throws IOException {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final byte[] sink = new byte[4096];
        while (true) {
            final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                return false;
            }
            s.setSoTimeout((int)leftMs);
            try {
                if (s.getInputStream().read(sink) < 0) {
                    return true;
                }
            } catch (final SocketTimeoutException e) {
                return false;
            } catch (final SocketException | SSLException e) {
                return true;
            }
        }
    }

    /** Hangs up (same as {@link #close()}, for use inside try-with-resources). */
    public void disconnect() {
        close();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (final IOException e) {
            // Test cleanup.
        }
    }

    @Override
    public String toString() {
        return "RawDerpTestClient[" + key.shortString() + "]";
    }
}
