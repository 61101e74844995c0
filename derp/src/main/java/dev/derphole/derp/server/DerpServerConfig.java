package dev.derphole.derp.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;

/**
 * Settings of one {@link DerpServer}. Build with {@link #builder()}; defaults follow derper.
 *
 * @param listenAddress           address to bind; port 0 picks a free port
 * @param sslContext              TLS context served as is (no meta cert), or null
 * @param tlsCredentials          key and chain to serve; the server builds the context and appends derper's meta
 *                                cert when {@code metaCert} is set. At most one of the two TLS options is set.
 * @param metaCert                append the "derpkey" meta certificate (lets Tailscale clients skip the 101)
 * @param serverKeyPair           the relay's DERP key pair
 * @param queueDepth              packets queued per destination before the oldest is dropped
 * @param handshakeTimeout        limit from accept to a completed DERP handshake (or a served HTTP response)
 * @param keepAliveInterval       KeepAlive frame period
 * @param keepAliveJitter         random extra added once per connection to the KeepAlive period, in [0, jitter)
 * @param writeTimeout            longest a single socket write may block before the connection is closed
 * @param rateLimitBytesPerSecond per-client receive rate limit; 0 disables it
 * @param rateLimitBurstBytes     token bucket depth; raised to at least one maximum SendPacket frame
 * @param packetObserver          test/diagnostic hook seeing every SendPacket, or null
 */
public record DerpServerConfig(
    InetSocketAddress listenAddress,
    SSLContext sslContext,
    TlsCredentials tlsCredentials,
    boolean metaCert,
    Curve25519KeyPair serverKeyPair,
    int queueDepth,
    Duration handshakeTimeout,
    Duration keepAliveInterval,
    Duration keepAliveJitter,
    Duration writeTimeout,
    long rateLimitBytesPerSecond,
    long rateLimitBurstBytes,
    PacketObserver packetObserver) {
    /** derper's {@code defaultPerClientSendQueueDepth}. */
    public static final int DEFAULT_QUEUE_DEPTH = 32;
    /** Largest queue depth accepted; each queued packet can hold up to 64 KiB. */
    public static final int MAX_QUEUE_DEPTH = 1 << 16;
    /** derper's deadline for writing ServerKey and, again, for reading ClientInfo. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_KEEP_ALIVE_INTERVAL = Duration.ofMillis(DerpProtocol.KEEP_ALIVE_INTERVAL_MS);
    public static final Duration DEFAULT_KEEP_ALIVE_JITTER = Duration.ofSeconds(5);
    /** derper's {@code DefaultTCPWiteTimeout}. */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(2);
    /** Smallest burst: one whole SendPacket frame must fit (derper {@code minRateLimitTokenBucketSize}). */
    public static final long MIN_RATE_LIMIT_BURST_BYTES = DerpProtocol.MAX_PACKET_SIZE + DerpProtocol.KEY_LENGTH;

    public DerpServerConfig {
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(serverKeyPair, "serverKeyPair");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(keepAliveInterval, "keepAliveInterval");
        Objects.requireNonNull(keepAliveJitter, "keepAliveJitter");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        if (sslContext != null && tlsCredentials != null) {
            throw new IllegalArgumentException("set either sslContext or tlsCredentials, not both");
        }
        if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH) {
            throw new IllegalArgumentException("queueDepth must be in [1, " + MAX_QUEUE_DEPTH + "]: " + queueDepth);
        }
        requirePositive(handshakeTimeout, "handshakeTimeout");
        requirePositive(keepAliveInterval, "keepAliveInterval");
        requirePositive(writeTimeout, "writeTimeout");
        if (keepAliveJitter.isNegative()) {
            throw new IllegalArgumentException("keepAliveJitter must not be negative: " + keepAliveJitter);
        }
        if (rateLimitBytesPerSecond < 0 || rateLimitBurstBytes < 0) {
            throw new IllegalArgumentException("rate limit values must not be negative");
        }
        if (rateLimitBytesPerSecond == 0) {
            rateLimitBurstBytes = 0;
        } else {
            rateLimitBurstBytes = Math.max(rateLimitBurstBytes, MIN_RATE_LIMIT_BURST_BYTES);
        }
    }

    private static void requirePositive(final Duration d, final String name) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /** True when the server speaks TLS. */
    public boolean tls() {
        return sslContext != null || tlsCredentials != null;
    }

    /** True when a receive rate limit is configured. */
    public boolean rateLimited() {
        return rateLimitBytesPerSecond > 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private InetSocketAddress listenAddress = new InetSocketAddress("127.0.0.1", 0);
        private SSLContext sslContext;
        private TlsCredentials tlsCredentials;
        private boolean metaCert = true;
        private Curve25519KeyPair serverKeyPair;
        private int queueDepth = DEFAULT_QUEUE_DEPTH;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration keepAliveInterval = DEFAULT_KEEP_ALIVE_INTERVAL;
        private Duration keepAliveJitter = DEFAULT_KEEP_ALIVE_JITTER;
        private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
        private long rateLimitBytesPerSecond;
        private long rateLimitBurstBytes;
        private PacketObserver packetObserver;

        private Builder() {
        }

        /** {@code host:port}, {@code [v6]:port} or {@code :port} (all interfaces); port 0 picks a free one. */
        public Builder listen(final String hostPort) {
            this.listenAddress = parseHostPort(hostPort);
            return this;
        }

        public Builder listen(final InetSocketAddress address) {
            this.listenAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** Serve TLS with this context as is (no meta cert can be added). */
        public Builder tls(final SSLContext context) {
            this.sslContext = context;
            this.tlsCredentials = null;
            return this;
        }

        /** Serve TLS with this key and chain (plus the meta cert unless {@link #metaCert(boolean)} turns it off). */
        public Builder tls(final TlsCredentials credentials) {
            this.tlsCredentials = credentials;
            this.sslContext = null;
            return this;
        }

        public Builder metaCert(final boolean enabled) {
            this.metaCert = enabled;
            return this;
        }

        public Builder serverKeyPair(final Curve25519KeyPair keyPair) {
            this.serverKeyPair = keyPair;
            return this;
        }

        public Builder queueDepth(final int depth) {
            this.queueDepth = depth;
            return this;
        }

        public Builder handshakeTimeout(final Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        /** KeepAlive period and the upper bound of its per-connection random extra. */
        public Builder keepAlive(final Duration interval, final Duration jitter) {
            this.keepAliveInterval = interval;
            this.keepAliveJitter = jitter;
            return this;
        }

        public Builder writeTimeout(final Duration timeout) {
            this.writeTimeout = timeout;
            return this;
        }

        /** Per-client receive limit (bytes/s) and burst (bytes); 0 bytes/s disables it. */
        public Builder rateLimit(final long bytesPerSecond, final long burstBytes) {
            this.rateLimitBytesPerSecond = bytesPerSecond;
            this.rateLimitBurstBytes = burstBytes;
            return this;
        }

        public Builder packetObserver(final PacketObserver observer) {
            this.packetObserver = observer;
            return this;
        }

        public DerpServerConfig build() {
            return new DerpServerConfig(listenAddress, sslContext, tlsCredentials, metaCert,
                serverKeyPair != null ? serverKeyPair : Curve25519KeyPair.generate(), queueDepth, handshakeTimeout,
                keepAliveInterval, keepAliveJitter, writeTimeout, rateLimitBytesPerSecond, rateLimitBurstBytes,
                packetObserver);
        }
    }

    /** Parses {@code host:port}, {@code [v6]:port} or {@code :port}; the host is resolved (use literals offline). */
    static InetSocketAddress parseHostPort(final String hostPort) {
        Objects.requireNonNull(hostPort, "hostPort");
        final int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("listen address needs host:port or :port: " + hostPort);
        }
        String host = hostPort.substring(0, colon);
        final String portText = hostPort.substring(colon + 1);
        final int port;
        try {
            port = Integer.parseInt(portText);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("listen address has a bad port: " + hostPort, e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("listen port out of range: " + hostPort);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("IPv6 listen address needs brackets, e.g. [::1]:3340: " + hostPort);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
