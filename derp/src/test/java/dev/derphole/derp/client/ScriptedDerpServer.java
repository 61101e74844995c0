package dev.derphole.derp.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.FrameReader;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

/**
 * A fake DERP relay for client tests: listens on 127.0.0.1, port 0 (plain or TLS), and runs a test-supplied
 * script on a virtual thread per accepted connection. The script drives the connection step by step through
 * {@link Conn} (read the HTTP request, answer, handshake, read and write frames), so tests can produce exactly
 * the bytes a real or broken relay would. Script failures are collected in {@link #errors()}.
 */
final class ScriptedDerpServer implements AutoCloseable {
    /** Runs once per accepted connection, on its own virtual thread. */
    @FunctionalInterface
    interface Script {
        void run(Conn conn) throws Exception;
    }

    /** A frame read from the client. */
    record Frame(int type, byte[] payload) {
    }

    private final ServerSocket listener;
    private final Script script;
    private final SSLContext tls;
    private final Curve25519KeyPair keys = Curve25519KeyPair.generate();
    private final AtomicInteger accepted = new AtomicInteger();
    private final BlockingQueue<Conn> connections = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Socket> sockets = new ConcurrentLinkedQueue<>();
    private final Thread acceptor;
    private volatile boolean closed;
    private volatile Consumer<SSLSocket> tlsSetup;

    ScriptedDerpServer(final Script script) throws IOException {
        this(script, null);
    }

    /** With {@code tls} non-null, every accepted socket is wrapped in server-side TLS before the script runs. */
    ScriptedDerpServer(final Script script, final SSLContext tls) throws IOException {
        this.script = script;
        this.tls = tls;
        listener = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().name("scripted-derp-accept").start(this::acceptLoop);
    }

    /** Runs on every accepted TLS socket before its handshake (ALPN selectors, client-auth settings). */
    void tlsSetup(final Consumer<SSLSocket> setup) {
        tlsSetup = setup;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** {@code http://127.0.0.1:port/derp}. */
    DerpTarget target() {
        return new DerpTarget(false, "127.0.0.1", port(), null, List.of());
    }

    /** {@code https://localhost:port/derp}, dialled at 127.0.0.1 (the test certificate names localhost). */
    DerpTarget tlsTarget() {
        return new DerpTarget(true, "localhost", port(), "localhost", List.of(InetAddress.getLoopbackAddress()));
    }

    NodeKey serverKey() {
        return NodeKey.of(keys.publicKey());
    }

    Curve25519KeyPair keys() {
        return keys;
    }

    /** Connections accepted so far. */
    int accepted() {
        return accepted.get();
    }

    /** The next accepted connection (in accept order), or null after {@code timeout}. */
    Conn nextConnection(final Duration timeout) throws InterruptedException {
        return connections.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    ConcurrentLinkedQueue<Throwable> errors() {
        return errors;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (final Socket s : sockets) {
            s.close();
        }
        try {
            acceptor.join(Duration.ofSeconds(2));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            final Socket raw;
            try {
                raw = listener.accept();
            } catch (final IOException e) {
                return;
            }
            sockets.add(raw);
            final int index = accepted.getAndIncrement();
            Thread.ofVirtual().name("scripted-derp-conn-" + index).start(() -> {
                try {
                    raw.setTcpNoDelay(true);
                    Socket s = raw;
                    if (tls != null) {
                        final SSLSocket ssl = (SSLSocket)tls.getSocketFactory()
                            .createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
                        ssl.setUseClientMode(false);
                        final Consumer<SSLSocket> setup = tlsSetup;
                        if (setup != null) {
                            setup.accept(ssl);
                        }
                        s = ssl;
                    }
                    final Conn conn = new Conn(index, s);
                    connections.add(conn);
                    script.run(conn);
                } catch (final SocketException | EOFException e) {
                    // The client or the test closed the connection: normal end of many scripts.
                } catch (final Throwable t) {
                    if (!closed) {
                        errors.add(t);
                    }
                }
            });
        }
    }

    /** One accepted connection, driven by its script (and, for writes, possibly by the test thread). */
    final class Conn {
        final int index;
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final FrameReader frames;
        final FrameWriter writer;
        volatile NodeKey clientKey;
        volatile String clientInfoJson;
        volatile String requestHead;

        Conn(final int index, final Socket socket) throws IOException {
            this.index = index;
            this.socket = socket;
            in = new BufferedInputStream(socket.getInputStream(), 64 << 10);
            out = socket.getOutputStream();
            frames = new FrameReader(in);
            writer = new FrameWriter(out);
        }

        NodeKey serverKey() {
            return ScriptedDerpServer.this.serverKey();
        }

        /** Reads the HTTP request head up to its blank line; returns it (also kept in {@link #requestHead}). */
        String readRequest() throws IOException {
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            int last4 = 0;
            while (last4 != 0x0d0a0d0a) {
                final int b = in.read();
                if (b < 0) {
                    throw new EOFException("client closed before finishing its request");
                }
                head.write(b);
                last4 = last4 << 8 | b;
                if (head.size() > 16 << 10) {
                    throw new IOException("request head too long");
                }
            }
            requestHead = head.toString(StandardCharsets.ISO_8859_1);
            return requestHead;
        }

        /** Writes raw bytes (any HTTP answer, garbage). */
        synchronized void writeRaw(final String text) throws IOException {
            writer.flush();
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** The 101 answer derper gives. */
        void answer101() throws IOException {
            writeRaw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Version: 2\r\n"
                + "Derp-Public-Key: " + serverKey().toHex() + "\r\n\r\n");
        }

        /** ServerKey, then reads and opens ClientInfo, then ServerInfo with {@code serverInfoJson}. */
        NodeKey handshake(final String serverInfoJson) throws IOException {
            sendFrame(FrameType.SERVER_KEY, Handshake.serverKeyPayload(serverKey()));
            final Frame info = readFrame();
            if (info == null || info.type() != FrameType.CLIENT_INFO) {
                throw new IOException("expected ClientInfo, got " + (info == null ? "EOF" : info.type()));
            }
            final Handshake.OpenedClientInfo opened = Handshake.openClientInfo(keys, info.payload());
            clientKey = opened.clientKey();
            clientInfoJson = new String(opened.json(), StandardCharsets.UTF_8);
            sendFrame(FrameType.SERVER_INFO,
                Handshake.serverInfoPayload(keys, opened.clientKey(), serverInfoJson.getBytes(StandardCharsets.UTF_8)));
            return opened.clientKey();
        }

        /** Request, 101, handshake with {@code {"version":2}}. */
        NodeKey accept() throws IOException {
            readRequest();
            answer101();
            return handshake("{\"version\":2}");
        }

        /** The next frame from the client, or null at a clean end of stream. */
        Frame readFrame() throws IOException {
            final int type = frames.readHeader(DerpProtocol.MAX_FRAME_LENGTH);
            if (type < 0) {
                return null;
            }
            return new Frame(type, frames.readRest());
        }

        /** The next frame of {@code type}, answering Pings and skipping other frames meanwhile; null at EOF. */
        Frame readFrame(final int type) throws IOException {
            while (true) {
                final Frame f = readFrame();
                if (f == null || f.type() == type) {
                    return f;
                }
                if (f.type() == FrameType.PING) {
                    sendFrame(FrameType.PONG, f.payload());
                }
            }
        }

        synchronized void sendFrame(final int type, final byte[] payload) throws IOException {
            writer.writeFrame(type, payload, 0, payload.length);
            writer.flush();
        }

        /** A RecvPacket from {@code source}, flushed. */
        synchronized void sendPacket(final NodeKey source, final byte[] data) throws IOException {
            writer.writeKeyedFrame(FrameType.RECV_PACKET, source, data, 0, data.length);
            writer.flush();
        }

        /** A RecvPacket from {@code source}, not flushed (for bulk writes). */
        synchronized void bufferPacket(final NodeKey source, final byte[] data) throws IOException {
            writer.writeKeyedFrame(FrameType.RECV_PACKET, source, data, 0, data.length);
        }

        synchronized void flush() throws IOException {
            writer.flush();
        }

        /** Answers Pings and collects SendPacket frames into {@code sink} until the client goes away. */
        void serve(final BlockingQueue<Frame> sink) throws IOException {
            Frame f;
            while ((f = readFrame()) != null) {
                if (f.type() == FrameType.PING) {
                    sendFrame(FrameType.PONG, f.payload());
                } else {
                    sink.add(f);
                }
            }
        }

        void close() throws IOException {
            socket.close();
        }
    }
}
