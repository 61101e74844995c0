package dev.derphole.derp.server;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

/**
 * A DERP relay server, wire-compatible with Tailscale's {@code derper}: HTTP/1.1 (optionally TLS) on one TCP port,
 * the {@code /derp} upgrade to DERP frames, and derper's probe, captive-portal and home routes.
 * <p>
 * <b>Threads.</b> One platform thread accepts connections ({@code derp-accept-<port>}); one platform thread, the
 * watchdog ({@code derp-watchdog-<port>}), closes connections whose handshake deadline or current write has
 * overrun. Each connection gets a virtual reader thread ({@code derp-conn-<n>}) that does TLS, HTTP, the DERP
 * handshake, and then reads and routes the client's frames; after the handshake a second virtual thread
 * ({@code derp-writer-<n>}) is the only writer on that socket. Readers hand packets to the destination's
 * bounded {@link SendQueue} (drop-oldest, never blocking), so a slow receiver stalls nobody but itself.
 * <p>
 * <b>Limits.</b> Request head ≤ 16 KiB; ClientInfo ≤ 256 KiB; SendPacket ≤ 32 + 64 KiB; other frames ≤ 1 MiB
 * (skipped when their type is unknown, connection closed when bigger). Per-destination queue depth,
 * handshake deadline, keepalive, write timeout and receive rate limit come from {@link DerpServerConfig}.
 * Memory per DERP client is about 100 KiB of buffers plus its queued packets.
 * <p>
 * Thread-safe: {@link #start()} and {@link #close()} may be called from any thread; {@code close()} is idempotent
 * and returns within a few seconds even with stuck peers.
 */
public final class DerpServer implements AutoCloseable {
    /** Pending TCP connections the kernel may hold for us. */
    static final int ACCEPT_BACKLOG = 1024;
    /** Pause after an accept error that is not our own close (e.g. out of file descriptors). */
    static final Duration ACCEPT_ERROR_BACKOFF = Duration.ofMillis(50);
    /** Watchdog tick bounds; the tick is a tenth of the shortest timeout within them. */
    static final Duration MIN_WATCHDOG_TICK = Duration.ofMillis(5);
    static final Duration MAX_WATCHDOG_TICK = Duration.ofMillis(100);
    /** How long {@link #close()} waits for all threads in total. */
    static final Duration CLOSE_JOIN = Duration.ofSeconds(5);

    private final DerpServerConfig config;
    private final NodeKey serverKey;
    private final DerpServerCounters counters = new DerpServerCounters();
    private final ClientRegistry registry = new ClientRegistry(counters);
    private final Set<ClientConnection> connections = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<ClientConnection, Thread> readers = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    private final byte[] serverInfoPayloadJson;

    private ServerSocket serverSocket;
    private InetSocketAddress localAddress;
    private Thread acceptThread;
    private Thread watchdogThread;
    private volatile boolean closed;

    public DerpServer(final DerpServerConfig config) {
        this.config = config;
        this.serverKey = NodeKey.of(config.serverKeyPair().publicKey());
        this.serverInfoPayloadJson = ServerJson.serverInfo(config);
    }

    /**
     * Binds the listen address and starts serving.
     *
     * @throws BindException when the address cannot be bound; the message names the address
     *                       ({@code address 127.0.0.1:3340 already in use})
     * @throws IOException   when TLS setup fails or the socket cannot be created
     */
    public synchronized DerpServer start() throws IOException {
        if (serverSocket != null || closed) {
            throw new IllegalStateException("DerpServer can be started once");
        }
        final ServerSocket ss = createServerSocket();
        final InetSocketAddress bindTo = config.listenAddress();
        try {
            ss.bind(bindTo, ACCEPT_BACKLOG);
        } catch (final BindException e) {
            ss.close();
            final String where = hostPort(bindTo);
            final String msg = e.getMessage() != null
                && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("in use")
                ? "address " + where + " already in use" : "cannot listen on " + where + ": " + e.getMessage();
            final BindException clear = new BindException(msg);
            clear.initCause(e);
            throw clear;
        } catch (final IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
        serverSocket = ss;
        localAddress = (InetSocketAddress)ss.getLocalSocketAddress();
        final int port = localAddress.getPort();
        acceptThread = Thread.ofPlatform().daemon().name("derp-accept-" + port).start(this::acceptLoop);
        watchdogThread = Thread.ofPlatform().daemon().name("derp-watchdog-" + port).start(this::watchdogLoop);
        return this;
    }

    private ServerSocket createServerSocket() throws IOException {
        SSLContext tls = config.sslContext();
        if (config.tlsCredentials() != null) {
            try {
                tls = config.tlsCredentials().toSslContext(
                    config.metaCert() ? MetaCert.create(serverKey, Instant.now()) : null);
            } catch (final GeneralSecurityException e) {
                throw new IOException("cannot set up TLS: " + e.getMessage(), e);
            }
        }
        if (tls == null) {
            return new ServerSocket();
        }
        final SSLServerSocket ss = (SSLServerSocket)tls.getServerSocketFactory().createServerSocket();
        ss.setUseClientMode(false);
        ss.setNeedClientAuth(false);
        final List<String> protocols = new ArrayList<>();
        for (final String p : ss.getSupportedProtocols()) {
            // derper: TLS 1.0 and 1.1 are disabled. No ALPN is configured, so no h2 is ever negotiated.
            if (p.equals("TLSv1.3") || p.equals("TLSv1.2")) {
                protocols.add(p);
            }
        }
        ss.setEnabledProtocols(protocols.toArray(new String[0]));
        return ss;
    }

    /** The bound address (with the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        final InetSocketAddress a = localAddress;
        if (a == null) {
            throw new IllegalStateException("DerpServer not started");
        }
        return a;
    }

    /**
     * The DERP URL of this server as a client on this host would use it, e.g. {@code http://127.0.0.1:3340/derp}
     * (a wildcard bind is reported as loopback).
     */
    public String derpUrl() {
        final InetSocketAddress a = localAddress();
        InetAddress host = a.getAddress();
        if (host.isAnyLocalAddress()) {
            host = InetAddress.getLoopbackAddress();
        }
        final String h = host.getHostAddress();
        return (config.tls() ? "https://" : "http://") + (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort()
            + "/derp";
    }

    public NodeKey serverKey() {
        return serverKey;
    }

    public DerpServerCounters counters() {
        return counters;
    }

    public DerpServerConfig config() {
        return config;
    }

    /** Distinct node keys connected now. */
    public int connectedKeys() {
        return registry.keyCount();
    }

    ClientRegistry registry() {
        return registry;
    }

    /** ServerInfo frame payload for a client: computed per client because it is sealed to the client's key. */
    byte[] serverInfoPayload(final NodeKey client) {
        return Handshake.serverInfoPayload(config.serverKeyPair(), client, serverInfoPayloadJson);
    }

    private void acceptLoop() {
        final long handshakeNs = config.handshakeTimeout().toNanos();
        while (!closed) {
            final Socket s;
            try {
                s = serverSocket.accept();
            } catch (final IOException e) {
                if (closed) {
                    return;
                }
                sleepQuietly(ACCEPT_ERROR_BACKOFF);
                continue;
            }
            counters.onAccepted();
            final ClientConnection c =
                new ClientConnection(this, s, connectionIds.incrementAndGet(), System.nanoTime() + handshakeNs);
            connections.add(c);
            if (closed) {
                c.close();
                connections.remove(c);
                return;
            }
            final Thread t = Thread.ofVirtual().name("derp-conn-" + c.id()).unstarted(c);
            readers.put(c, t);
            t.start();
        }
    }

    private void watchdogLoop() {
        final long writeTimeoutNs = config.writeTimeout().toNanos();
        final long shortest = Math.min(config.handshakeTimeout().toNanos(), writeTimeoutNs);
        final Duration tick = Duration.ofNanos(Math.clamp(shortest / 10,
            MIN_WATCHDOG_TICK.toNanos(), MAX_WATCHDOG_TICK.toNanos()));
        while (!closed) {
            final long nowNs = System.nanoTime();
            for (final ClientConnection c : connections) {
                c.checkDeadlines(nowNs, writeTimeoutNs);
            }
            sleepQuietly(tick);
        }
    }

    /** Called by a connection's reader thread as its last act. */
    void onConnectionDone(final ClientConnection c) {
        connections.remove(c);
        readers.remove(c);
    }

    /** Stops accepting, closes every connection and waits (bounded) for all threads. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        final long deadlineNs = System.nanoTime() + CLOSE_JOIN.toNanos();
        if (serverSocket != null) {
            try {
                serverSocket.close();
            } catch (final IOException e) {
                // Closing is best effort.
            }
        }
        join(acceptThread, deadlineNs);
        for (final ClientConnection c : connections) {
            c.close();
        }
        for (final Thread t : readers.values()) {
            t.interrupt(); // wakes a reader sleeping for its rate limit
        }
        for (final Thread t : readers.values()) {
            join(t, deadlineNs);
        }
        if (watchdogThread != null) {
            watchdogThread.interrupt();
        }
        join(watchdogThread, deadlineNs);
    }

    private static void join(final Thread t, final long deadlineNs) {
        if (t == null) {
            return;
        }
        final long leftNs = deadlineNs - System.nanoTime();
        try {
            if (leftNs > 0) {
                t.join(Duration.ofNanos(leftNs));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(final Duration d) {
        try {
            Thread.sleep(d);
        } catch (final InterruptedException e) {
            // The watchdog is interrupted by close(); the loop condition ends it.
        }
    }

    private static String hostPort(final InetSocketAddress a) {
        final InetAddress addr = a.getAddress();
        final String host = addr != null ? addr.getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public String toString() {
        return "DerpServer[" + (localAddress != null ? hostPort(localAddress) : "unbound") + ", " + serverKey + "]";
    }
}
