package dev.derphole.derp.client;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.derp.proto.FrameReader;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.FrameWriter;
import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

/**
 * One established DERP connection: TCP (+ TLS), the HTTP upgrade and the key handshake done, frames from here on.
 * {@link #open} does all of it within the connect and handshake budgets and fails with one line that names the
 * relay. After that the reader thread owns {@link #frames} and the writer thread owns {@link #writer}.
 */
final class DerpConnection implements Closeable {
    /** Read buffer of the frame stream: one read syscall serves many small frames (or one maximum packet). */
    static final int READ_BUFFER_BYTES = 64 << 10;

    /** Largest ServerInfo frame: nonce and the largest info box (derp_client.go: nonceLen + maxInfoLen). */
    static final int MAX_SERVER_INFO_LENGTH = DerpProtocol.NONCE_LENGTH + DerpProtocol.MAX_INFO_LENGTH;

    final DerpTarget target;
    final NodeKey serverKey;
    final ServerInfoJson.ServerInfo serverInfo;
    final FrameReader frames;
    final FrameWriter writer;
    /** Nanoseconds from the start of the TCP connect to the received ServerInfo. */
    final long setupNs;
    private final Socket tcp;

    private DerpConnection(
        final DerpTarget target, final Socket tcp, final NodeKey serverKey, final ServerInfoJson.ServerInfo info,
        final FrameReader frames, final FrameWriter writer, final long setupNs) {
        this.target = target;
        this.tcp = tcp;
        this.serverKey = serverKey;
        this.serverInfo = info;
        this.frames = frames;
        this.writer = writer;
        this.setupNs = setupNs;
    }

    /**
     * Connects and runs the handshake: TCP within {@code connectTimeout}; TLS, the HTTP upgrade, ServerKey,
     * ClientInfo and ServerInfo within {@code handshakeTimeout}. Afterwards reads time out after
     * {@code readTimeout} of silence. {@code sslContext} is used for https targets only (null for http).
     *
     * @throws DerpProtocolException when the relay breaks the protocol (bad magic, bad box, wrong frame)
     * @throws IOException           for everything else, one line starting "cannot connect to DERP relay host:port"
     */
    static DerpConnection open(
        final DerpTarget target, final Curve25519KeyPair keys, final boolean canAckPings,
        final Duration connectTimeout, final Duration handshakeTimeout, final Duration readTimeout,
        final SSLContext sslContext) throws IOException {
        final long startNs = System.nanoTime();
        final Socket tcp = DerpDialer.connectTcp(target, connectTimeout);
        final Watchdog watchdog = new Watchdog(tcp, handshakeTimeout);
        try {
            final Socket io = target.https() ? DerpDialer.startTls(tcp, target, sslContext) : tcp;
            io.setSoTimeout(millis(handshakeTimeout));
            final InputStream in = new BufferedInputStream(io.getInputStream(), READ_BUFFER_BYTES);
            final OutputStream out = io.getOutputStream();
            out.write(HttpHead.upgradeRequest(target));
            out.flush();
            final HttpHead.Response response = HttpHead.read(in);
            if (response.status() != 101) {
                throw new IOException("relay answered " + response.statusText() + ": not a DERP server?");
            }

            final FrameReader frames = new FrameReader(in);
            expectFrame(frames, FrameType.SERVER_KEY, DerpProtocol.MAX_SERVER_KEY_LENGTH);
            final NodeKey serverKey = Handshake.parseServerKey(frames.readRest());

            final FrameWriter writer = new FrameWriter(out);
            final byte[] clientInfo =
                Handshake.clientInfoPayload(keys, serverKey, ServerInfoJson.clientInfo(canAckPings));
            writer.writeFrame(FrameType.CLIENT_INFO, clientInfo, 0, clientInfo.length);
            writer.flush();

            expectFrame(frames, FrameType.SERVER_INFO, MAX_SERVER_INFO_LENGTH);
            final byte[] json = Handshake.openServerInfo(keys, serverKey, frames.readRest());
            final ServerInfoJson.ServerInfo info = ServerInfoJson.parseServerInfo(json);

            if (!watchdog.cancel()) {
                throw new SocketTimeoutException("handshake timed out");
            }
            io.setSoTimeout(millis(readTimeout));
            return new DerpConnection(target, tcp, serverKey, info, frames, writer, System.nanoTime() - startNs);
        } catch (final IOException | RuntimeException e) {
            watchdog.cancel();
            DerpDialer.closeQuietly(tcp);
            // The read timeout is set to the same budget as the watchdog; whichever fires first, say the same.
            if (watchdog.fired() || e instanceof SocketTimeoutException) {
                throw labelled(target, new SocketTimeoutException(
                    "TLS/HTTP/DERP handshake timed out after " + handshakeTimeout.toMillis() + " ms"));
            }
            throw labelled(target, e);
        }
    }

    /** Tears the connection down at once: closes the TCP socket under the TLS layer (no close_notify wait). */
    @Override
    public void close() {
        DerpDialer.closeQuietly(tcp);
    }

    /**
     * {@code e} with "cannot connect to DERP relay host:port: " in front, keeping its kind (protocol, TLS,
     * timeout or plain I/O) so callers can tell them apart.
     */
    static IOException labelled(final DerpTarget target, final Exception e) {
        final String message = "cannot connect to DERP relay " + target.label() + ": " + DerpDialer.oneLine(e);
        final IOException out;
        if (e instanceof DerpProtocolException) {
            out = new DerpProtocolException(message);
        } else if (e instanceof SSLHandshakeException) {
            out = new SSLHandshakeException(message);
        } else if (e instanceof SocketTimeoutException) {
            out = new SocketTimeoutException(message);
        } else {
            out = new IOException(message);
        }
        out.initCause(e);
        return out;
    }

    private static void expectFrame(final FrameReader frames, final int type, final int maxLength) throws IOException {
        final int got = frames.readHeader(maxLength);
        if (got < 0) {
            throw new EOFException("relay closed the connection before its " + FrameType.name(type) + " frame");
        }
        if (got != type) {
            throw new DerpProtocolException(
                "expected a " + FrameType.name(type) + " frame, relay sent " + FrameType.name(got));
        }
    }

    private static int millis(final Duration d) {
        return (int)Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    /** Closes a socket when a deadline passes unless cancelled first; bounds slow-drip TLS/HTTP/DERP peers. */
    static final class Watchdog {
        private final Object lock = new Object();
        private final Thread thread;
        private volatile boolean fired;
        private volatile boolean cancelled;

        Watchdog(final Socket socket, final Duration timeout) {
            thread = Thread.ofVirtual().name("derp-handshake-watchdog").start(() -> {
                try {
                    Thread.sleep(timeout);
                } catch (final InterruptedException e) {
                    return;
                }
                synchronized (lock) {
                    if (cancelled) {
                        return;
                    }
                    fired = true;
                }
                DerpDialer.closeQuietly(socket);
            });
        }

        /** Stops the watchdog; false when it had already fired (the socket is closed). */
        boolean cancel() {
            synchronized (lock) {
                cancelled = true;
            }
            thread.interrupt();
            return !fired;
        }

        boolean fired() {
            return fired;
        }
    }
}
