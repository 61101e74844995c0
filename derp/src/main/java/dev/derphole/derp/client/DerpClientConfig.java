package dev.derphole.derp.client;

import java.time.Duration;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import dev.derphole.crypto.nacl.Curve25519KeyPair;

/**
 * Settings of one {@link DerpClient}. Immutable; made by {@link #builder(DerpTarget)}.
 */
public final class DerpClientConfig {
    /** TCP connect budget for all addresses together. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** TLS + HTTP upgrade + DERP handshake budget (derphttp uses 10 s for the whole dial). */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Silence after which a connection is considered dead: two missed KeepAlives (derp_client.go uses 120 s). */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(120);
    /** How long a sender waits on a full send queue while the client is reconnecting, before failing. */
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(5);
    /** Received packets held for the application before the reader stops reading (≤ 64 KiB each). */
    public static final int DEFAULT_RECEIVE_QUEUE_CAPACITY = 256;
    /** Outgoing packets held before senders block (each slot keeps a buffer as large as its largest packet). */
    public static final int DEFAULT_SEND_QUEUE_CAPACITY = 256;

    private final DerpTarget target;
    private final Curve25519KeyPair keyPair;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final Duration readTimeout;
    private final Duration sendTimeout;
    private final int receiveQueueCapacity;
    private final int sendQueueCapacity;
    private final ReconnectPolicy reconnect;
    private final SSLContext sslContext;
    private final boolean canAckPings;
    private final boolean platformThreads;

    private DerpClientConfig(final Builder b) {
        target = b.target;
        keyPair = b.keyPair == null ? Curve25519KeyPair.generate() : b.keyPair;
        connectTimeout = b.connectTimeout;
        handshakeTimeout = b.handshakeTimeout;
        readTimeout = b.readTimeout;
        sendTimeout = b.sendTimeout;
        receiveQueueCapacity = b.receiveQueueCapacity;
        sendQueueCapacity = b.sendQueueCapacity;
        reconnect = b.reconnect;
        sslContext = b.sslContext;
        canAckPings = b.canAckPings;
        platformThreads = b.platformThreads;
    }

    public static Builder builder(final DerpTarget target) {
        return new Builder(target);
    }

    public DerpTarget target() {
        return target;
    }

    /** Our node key pair: random per run unless set (derptun serve keeps a stable one). */
    public Curve25519KeyPair keyPair() {
        return keyPair;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    public Duration sendTimeout() {
        return sendTimeout;
    }

    public int receiveQueueCapacity() {
        return receiveQueueCapacity;
    }

    public int sendQueueCapacity() {
        return sendQueueCapacity;
    }

    public ReconnectPolicy reconnect() {
        return reconnect;
    }

    /** The TLS context: the override if one was set, else the JDK's WebPKI trust wrapped by {@link DerpTls}. */
    public SSLContext sslContext() {
        return sslContext == null ? DerpTls.defaultContext() : sslContext;
    }

    public boolean canAckPings() {
        return canAckPings;
    }

    /** Whether the connection's reader and writer are platform threads (true) or virtual threads (false). */
    public boolean platformThreads() {
        return platformThreads;
    }

    /** Builder; not thread-safe. */
    public static final class Builder {
        private final DerpTarget target;
        private Curve25519KeyPair keyPair;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;
        private int receiveQueueCapacity = DEFAULT_RECEIVE_QUEUE_CAPACITY;
        private int sendQueueCapacity = DEFAULT_SEND_QUEUE_CAPACITY;
        private ReconnectPolicy reconnect = ReconnectPolicy.DEFAULT;
        private SSLContext sslContext;
        private boolean canAckPings = true;
        private boolean platformThreads;

        private Builder(final DerpTarget target) {
            this.target = Objects.requireNonNull(target, "target");
        }

        /** A fixed key pair (derptun's stable identity); default is a fresh random one. */
        public Builder keyPair(final Curve25519KeyPair value) {
            keyPair = Objects.requireNonNull(value, "keyPair");
            return this;
        }

        public Builder connectTimeout(final Duration value) {
            connectTimeout = positive(value, "connectTimeout");
            return this;
        }

        public Builder handshakeTimeout(final Duration value) {
            handshakeTimeout = positive(value, "handshakeTimeout");
            return this;
        }

        public Builder readTimeout(final Duration value) {
            readTimeout = positive(value, "readTimeout");
            return this;
        }

        public Builder sendTimeout(final Duration value) {
            sendTimeout = positive(value, "sendTimeout");
            return this;
        }

        public Builder receiveQueueCapacity(final int value) {
            receiveQueueCapacity = capacity(value, "receiveQueueCapacity");
            return this;
        }

        public Builder sendQueueCapacity(final int value) {
            sendQueueCapacity = capacity(value, "sendQueueCapacity");
            return this;
        }

        public Builder reconnect(final ReconnectPolicy value) {
            reconnect = Objects.requireNonNull(value, "reconnect");
            return this;
        }

        /**
         * TLS context to use instead of the default WebPKI one (tests trusting a test CA, pinned corporate
         * roots). Build it with {@link DerpTls#contextTrusting} to keep meta-cert tolerance.
         */
        public Builder sslContext(final SSLContext value) {
            sslContext = Objects.requireNonNull(value, "sslContext");
            return this;
        }

        /** Whether ClientInfo declares that we answer pings (we always do); default true. */
        public Builder canAckPings(final boolean value) {
            canAckPings = value;
            return this;
        }

        /**
         * Platform threads for the connection's reader and writer instead of virtual ones; default false. For a
         * process with one busy connection (a transfer): a blocking socket read or write then waits in the
         * kernel, instead of registering with the JDK's poller and parking through the carrier pool on every
         * empty socket (about 0.1 CPU s per GiB relayed, each side; docs/benchmarks-transfer.md). Many
         * connections in one process want virtual threads.
         */
        public Builder platformThreads(final boolean value) {
            platformThreads = value;
            return this;
        }

        public DerpClientConfig build() {
            return new DerpClientConfig(this);
        }

        private static Duration positive(final Duration value, final String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }
            return value;
        }

        private static int capacity(final int value, final String name) {
            if (value < 1 || value > 1 << 20) {
                throw new IllegalArgumentException(name + " must be 1..1048576: " + value);
            }
            return value;
        }
    }
}
