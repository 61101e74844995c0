package dev.derphole.udp;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * How to open a {@link DatagramEngine}: the socket's local (and optionally connected remote) address,
 * kernel buffer sizes, the GSO/GRO settings and kernel receive time stamps. Immutable; build with
 * {@link #builder(InetSocketAddress)}.
 */
public final class DatagramEngineConfig {
    /** Default kernel socket buffers: 4 MiB, this VM's {@code net.core.rmem_max} (the kernel doubles it). */
    public static final int DEFAULT_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
    /** Default largest datagram: a 1500-byte-MTU payload with room to spare. */
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 1500;
    /** Default GSO segments per message: 32 gave the best loopback numbers (platform-measurements §2a). */
    public static final int DEFAULT_GSO_MAX_SEGMENTS = 32;
    /** Kernel limit on segments per GSO message ({@code UDP_MAX_SEGMENTS} is 64 on older kernels). */
    public static final int MAX_GSO_SEGMENTS = 64;
    /** Default slots of a receive batch without GRO. */
    public static final int DEFAULT_RECEIVE_BATCH_SLOTS = 64;
    /** Default GRO super-packets per receive call (each needs a 64 KiB region and 64 slots). */
    public static final int DEFAULT_GRO_MESSAGES_PER_RECEIVE = 16;
    /** Default slots of the epoll engine's queue between its event loop and the receiving thread. */
    public static final int DEFAULT_EPOLL_QUEUE_SLOTS = 4096;

    private final InetSocketAddress bindAddress;
    private final InetSocketAddress connectAddress;
    private final int socketReceiveBufferBytes;
    private final int socketSendBufferBytes;
    private final int maxDatagramBytes;
    private final boolean gro;
    private final boolean dontFragment;
    private final boolean receiveTimestamps;
    private final int gsoMaxSegments;
    private final int receiveBatchSlots;
    private final int groMessagesPerReceive;
    private final int epollQueueSlots;

    private DatagramEngineConfig(final Builder b) {
        this.bindAddress = b.bindAddress;
        this.connectAddress = b.connectAddress;
        this.socketReceiveBufferBytes = b.socketReceiveBufferBytes;
        this.socketSendBufferBytes = b.socketSendBufferBytes;
        this.maxDatagramBytes = b.maxDatagramBytes;
        this.gro = b.gro;
        this.dontFragment = b.dontFragment;
        this.receiveTimestamps = b.receiveTimestamps;
        this.gsoMaxSegments = b.gsoMaxSegments;
        this.receiveBatchSlots = b.receiveBatchSlots;
        this.groMessagesPerReceive = b.groMessagesPerReceive;
        this.epollQueueSlots = b.epollQueueSlots;
    }

    /** A builder for a socket bound to {@code bindAddress} (port 0 = any free port). */
    public static Builder builder(final InetSocketAddress bindAddress) {
        return new Builder(bindAddress);
    }

    /** A builder with every setting of this config. */
    public Builder toBuilder() {
        return new Builder(bindAddress)
            .connect(connectAddress)
            .socketReceiveBufferBytes(socketReceiveBufferBytes)
            .socketSendBufferBytes(socketSendBufferBytes)
            .maxDatagramBytes(maxDatagramBytes)
            .gro(gro)
            .dontFragment(dontFragment)
            .receiveTimestamps(receiveTimestamps)
            .gsoMaxSegments(gsoMaxSegments)
            .receiveBatchSlots(receiveBatchSlots)
            .groMessagesPerReceive(groMessagesPerReceive)
            .epollQueueSlots(epollQueueSlots);
    }

    /** Local address to bind. Its family (IPv4 or IPv6) is the socket's family. */
    public InetSocketAddress bindAddress() {
        return bindAddress;
    }

    /** Remote address to connect to, or null for an unconnected socket. */
    public InetSocketAddress connectAddress() {
        return connectAddress;
    }

    /** Requested {@code SO_RCVBUF} in bytes (the kernel caps it at {@code rmem_max}). */
    public int socketReceiveBufferBytes() {
        return socketReceiveBufferBytes;
    }

    /** Requested {@code SO_SNDBUF} in bytes (the kernel caps it at {@code wmem_max}). */
    public int socketSendBufferBytes() {
        return socketSendBufferBytes;
    }

    /** Largest datagram expected, in bytes: sizes receive slots and the epoll engine's queue. */
    public int maxDatagramBytes() {
        return maxDatagramBytes;
    }

    /** Whether to turn on {@code UDP_GRO}: receive coalesced super-packets and split them into datagrams. */
    public boolean gro() {
        return gro;
    }

    /** Whether the socket should never fragment (see {@link Builder#dontFragment}). */
    public boolean dontFragment() {
        return dontFragment;
    }

    /** Whether to ask for the kernel's receive time stamps (see {@link Builder#receiveTimestamps}). */
    public boolean receiveTimestamps() {
        return receiveTimestamps;
    }

    /** Most datagrams one GSO message carries (1 = no GSO). */
    public int gsoMaxSegments() {
        return gsoMaxSegments;
    }

    /** Slots of a receive batch made by {@link DatagramEngine#newReceiveBatch()} without GRO. */
    public int receiveBatchSlots() {
        return receiveBatchSlots;
    }

    /** GRO super-packets per receive call for {@link DatagramEngine#newReceiveBatch()}. */
    public int groMessagesPerReceive() {
        return groMessagesPerReceive;
    }

    /** Slots of the epoll engine's receive queue (a power of two). */
    public int epollQueueSlots() {
        return epollQueueSlots;
    }

    @Override
    public String toString() {
        return "DatagramEngineConfig[bind=" + bindAddress + ", connect=" + connectAddress
            + ", rcvbuf=" + socketReceiveBufferBytes + ", sndbuf=" + socketSendBufferBytes
            + ", maxDatagram=" + maxDatagramBytes + ", gro=" + gro + ", dontFragment=" + dontFragment
                + ", receiveTimestamps=" + receiveTimestamps + ", gsoMaxSegments=" + gsoMaxSegments + "]";
    }

    /** Builds a {@link DatagramEngineConfig}; validates on {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final InetSocketAddress bindAddress;
        private InetSocketAddress connectAddress;
        private int socketReceiveBufferBytes = DEFAULT_SOCKET_BUFFER_BYTES;
        private int socketSendBufferBytes = DEFAULT_SOCKET_BUFFER_BYTES;
        private int maxDatagramBytes = DEFAULT_MAX_DATAGRAM_BYTES;
        private boolean gro;
        private boolean dontFragment;
        private boolean receiveTimestamps = true;
        private int gsoMaxSegments = DEFAULT_GSO_MAX_SEGMENTS;
        private int receiveBatchSlots = DEFAULT_RECEIVE_BATCH_SLOTS;
        private int groMessagesPerReceive = DEFAULT_GRO_MESSAGES_PER_RECEIVE;
        private int epollQueueSlots = DEFAULT_EPOLL_QUEUE_SLOTS;

        private Builder(final InetSocketAddress bindAddress) {
            this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        }

        /** Connects the socket to {@code remote} (null: unconnected). */
        public Builder connect(final InetSocketAddress remote) {
            this.connectAddress = remote;
            return this;
        }

        /** Requested {@code SO_RCVBUF}. */
        public Builder socketReceiveBufferBytes(final int bytes) {
            this.socketReceiveBufferBytes = bytes;
            return this;
        }

        /** Requested {@code SO_SNDBUF}. */
        public Builder socketSendBufferBytes(final int bytes) {
            this.socketSendBufferBytes = bytes;
            return this;
        }

        /** Largest datagram expected. */
        public Builder maxDatagramBytes(final int bytes) {
            this.maxDatagramBytes = bytes;
            return this;
        }

        /** Turns {@code UDP_GRO} on or off. */
        public Builder gro(final boolean on) {
            this.gro = on;
            return this;
        }

        /**
         * Sets don't-fragment with path MTU probing semantics ({@code IP_PMTUDISC_PROBE}): a datagram larger
         * than the interface MTU fails to send instead of leaving in fragments, and one that a smaller link on
         * the way cannot carry is dropped there. That is what a path MTU probe needs to mean something. Engines
         * that cannot set it report {@link DatagramEngine#dontFragment()} false.
         */
        public Builder dontFragment(final boolean on) {
            this.dontFragment = on;
            return this;
        }

        /**
         * Turns the kernel's receive time stamps ({@code SO_TIMESTAMPNS}) on (the default) or off: engines that set
         * them report when each datagram reached the host in {@link PacketBatch#receivedNs(int)}, unblurred by the
         * receiving thread's scheduling; see {@link DatagramEngine#receiveTimestamps()}.
         */
        public Builder receiveTimestamps(final boolean on) {
            this.receiveTimestamps = on;
            return this;
        }

        /** Most datagrams per GSO message, 1..64. */
        public Builder gsoMaxSegments(final int segments) {
            this.gsoMaxSegments = segments;
            return this;
        }

        /** Slots of a default receive batch without GRO. */
        public Builder receiveBatchSlots(final int slots) {
            this.receiveBatchSlots = slots;
            return this;
        }

        /** GRO super-packets per receive call of a default receive batch. */
        public Builder groMessagesPerReceive(final int messages) {
            this.groMessagesPerReceive = messages;
            return this;
        }

        /** Slots of the epoll engine's receive queue; rounded up to a power of two. */
        public Builder epollQueueSlots(final int slots) {
            this.epollQueueSlots = slots;
            return this;
        }

        /** Validates and builds. */
        public DatagramEngineConfig build() {
            if (bindAddress.isUnresolved() || connectAddress != null && connectAddress.isUnresolved()) {
                throw new IllegalArgumentException("addresses must be resolved: " + bindAddress + ", "
                    + connectAddress);
            }
            require(socketReceiveBufferBytes > 0 && socketSendBufferBytes > 0, "socket buffers must be positive");
            require(maxDatagramBytes >= 1 && maxDatagramBytes <= PacketBatch.MAX_SLOT_CAPACITY,
                "maxDatagramBytes must be 1.." + PacketBatch.MAX_SLOT_CAPACITY + ": " + maxDatagramBytes);
            require(gsoMaxSegments >= 1 && gsoMaxSegments <= MAX_GSO_SEGMENTS,
                "gsoMaxSegments must be 1.." + MAX_GSO_SEGMENTS + ": " + gsoMaxSegments);
            require(receiveBatchSlots >= 1, "receiveBatchSlots must be positive");
            require(groMessagesPerReceive >= 1 && groMessagesPerReceive <= 1024,
                "groMessagesPerReceive must be 1..1024");
            require(epollQueueSlots >= 2 && epollQueueSlots <= 1 << 20, "epollQueueSlots must be 2..2^20");
            epollQueueSlots = Integer.highestOneBit(epollQueueSlots - 1) << 1;
            return new DatagramEngineConfig(this);
        }

        private static void require(final boolean condition, final String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
