package dev.derphole.lanes;

import java.time.Duration;

import dev.derphole.lanes.wire.WireFormat;

/**
 * Tuning of one stream endpoint. Defaults suit a WAN transfer at up to a few Gbit/s with at most about 50 MiB
 * of memory per side and two attached paths: 32 MiB of send buffer (what may be unacknowledged) or receive
 * window (what may be held out of order or waiting for the sink), up to 8 MiB of inbound queue per attached
 * path, plus tables of about 2 MiB.
 *
 * @param sendBufferBytes       sender: bytes read from the source and not yet acknowledged (power of two)
 * @param receiveWindowBytes    receiver: reorder buffer and advertised credit (power of two, at least
 *                              {@link #MIN_RECEIVE_WINDOW}, at most {@link #MAX_RECEIVE_WINDOW})
 * @param inboundBytesPerPath   memory for datagrams queued between a path's receive thread and the engine
 * @param maxPacketsInFlight    packet numbers the sender tracks (power of two); bounds packets in flight
 * @param peerTimeout           fail with PEER_VANISHED after this long without an authenticated packet
 * @param heartbeatInterval     send something at least this often
 * @param linger                receiver: how long to stay after the final ACK to re-ack a repeated FIN
 *                              (ends early on the sender's CLOSE)
 * @param maxDatagramLength     cap on datagram size below the path's own (0 = the path's)
 * @param initialRto            retransmission timeout before the first RTT sample (RFC 6298: 1 s)
 * @param minRto                floor of the retransmission and probe timeouts (a probe timeout only sends one
 *                              HEARTBEAT, so it may be low)
 * @param maxRto                RTO ceiling (after backoff)
 * @param maxAckDelay           receiver: longest an acknowledgement waits for more packets
 * @param ackEveryPackets       receiver: acknowledge at least every this many in-order DATA packets
 * @param initialWindowPackets  sender: initial congestion window in full datagrams, on the relay
 * @param directInitialWindowPackets sender: the same on a direct path, whose round-trip time its validating probe
 *                              already measured, so the first window is paced over it (64, ~79 KB of 1,232-byte
 *                              datagrams: each doubling saves the rate controller's start-up one round trip; 32, as
 *                              Chromium's QUIC, left 0.09 s more of a WAN lab transfer to it, docs/benchmarks.md)
 * @param minWindowPackets      sender: smallest congestion window in full datagrams
 * @param reorderingThreshold   sender: packets received after an unacknowledged one before it counts as lost
 * @param maxAckRanges          receiver: selective ranges per ACK (at most {@link WireFormat#ACK_MAX_RANGES})
 * @param lossTolerance         sender: fraction of a round trip's bytes that may be lost before the window is
 *                              reduced (0 = every loss episode reduces, classic CUBIC); see
 *                              {@link dev.derphole.lanes.rate.CubicController}. Not applied on paths whose
 *                              every loss is congestion ({@code PacketPath.lossIsCongestion()}, the relay):
 *                              those use 0
 * @param rateControl           sender: which congestion controller runs on which path
 */
public record StreamConfig(
    int sendBufferBytes,
    int receiveWindowBytes,
    int inboundBytesPerPath,
    int maxPacketsInFlight,
    Duration peerTimeout,
    Duration heartbeatInterval,
    Duration linger,
    int maxDatagramLength,
    Duration initialRto,
    Duration minRto,
    Duration maxRto,
    Duration maxAckDelay,
    int ackEveryPackets,
    int initialWindowPackets,
    int directInitialWindowPackets,
    int minWindowPackets,
    int reorderingThreshold,
    int maxAckRanges,
    double lossTolerance,
    RateControl rateControl) {
    /** Which congestion controller the sender runs. */
    public enum RateControl {
        /**
         * Rate-based ({@link dev.derphole.lanes.rate.BbrController}) on paths with random loss (direct UDP), loss-based
         * CUBIC on paths whose every loss is congestion (the relay).
         */
        AUTO,
        /** CUBIC everywhere (with {@code lossTolerance} where loss is not congestion). */
        CUBIC,
        /** Rate-based everywhere. */
        BBR
    }

    /**
     * Smallest receive window, and the credit a sender may use before the first ACK (a protocol constant: both
     * sides assume it).
     */
    public static final int MIN_RECEIVE_WINDOW = 1 << 20;
    /**
     * Largest receive window (512 MiB, below 2^30). DATA carries only the low 32 bits of its stream offset and the
     * receiver restores them from its cumulative offset; that is unambiguous only while every offset a sender may
     * use lies well within 2^31 of it, which this bound and {@link WireFormat#DATA_MAX_PACKET_AGE} guarantee
     * (docs/stream-protocol.md section 3, DATA).
     */
    public static final int MAX_RECEIVE_WINDOW = 1 << 29;

    public StreamConfig {
        requirePowerOfTwo("sendBufferBytes", sendBufferBytes, 1 << 16);
        requirePowerOfTwo("receiveWindowBytes", receiveWindowBytes, MIN_RECEIVE_WINDOW);
        if (receiveWindowBytes > MAX_RECEIVE_WINDOW) {
            throw new IllegalArgumentException("receiveWindowBytes must be <= " + MAX_RECEIVE_WINDOW + ": "
                + receiveWindowBytes);
        }
        requirePowerOfTwo("maxPacketsInFlight", maxPacketsInFlight, 4096);
        requirePositive("inboundBytesPerPath", inboundBytesPerPath);
        requirePositive("peerTimeout", peerTimeout);
        requirePositive("heartbeatInterval", heartbeatInterval);
        requirePositive("initialRto", initialRto);
        requirePositive("minRto", minRto);
        requirePositive("maxRto", maxRto);
        requirePositive("maxAckDelay", maxAckDelay);
        if (linger == null || linger.isNegative()) {
            throw new IllegalArgumentException("linger must be >= 0");
        }
        if (maxDatagramLength != 0
            && (maxDatagramLength < WireFormat.MIN_DATAGRAM_LENGTH
                || maxDatagramLength > WireFormat.MAX_DATAGRAM_LENGTH)) {
            throw new IllegalArgumentException("maxDatagramLength must be 0 or in [512, 65535]: " + maxDatagramLength);
        }
        if (ackEveryPackets < 1 || initialWindowPackets < 1 || directInitialWindowPackets < 1 || minWindowPackets < 1
            || reorderingThreshold < 1) {
            throw new IllegalArgumentException("packet counts must be >= 1");
        }
        if (maxAckRanges < 1 || maxAckRanges > WireFormat.ACK_MAX_RANGES) {
            throw new IllegalArgumentException("maxAckRanges must be in [1, " + WireFormat.ACK_MAX_RANGES + "]");
        }
        if (!(lossTolerance >= 0 && lossTolerance < 1)) {
            throw new IllegalArgumentException("lossTolerance must be in [0, 1): " + lossTolerance);
        }
        if (minRto.compareTo(maxRto) > 0) {
            throw new IllegalArgumentException("minRto > maxRto");
        }
    }

    /** The defaults. */
    public static StreamConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.sendBufferBytes = sendBufferBytes;
        b.receiveWindowBytes = receiveWindowBytes;
        b.inboundBytesPerPath = inboundBytesPerPath;
        b.maxPacketsInFlight = maxPacketsInFlight;
        b.peerTimeout = peerTimeout;
        b.heartbeatInterval = heartbeatInterval;
        b.linger = linger;
        b.maxDatagramLength = maxDatagramLength;
        b.initialRto = initialRto;
        b.minRto = minRto;
        b.maxRto = maxRto;
        b.maxAckDelay = maxAckDelay;
        b.ackEveryPackets = ackEveryPackets;
        b.initialWindowPackets = initialWindowPackets;
        b.directInitialWindowPackets = directInitialWindowPackets;
        b.minWindowPackets = minWindowPackets;
        b.reorderingThreshold = reorderingThreshold;
        b.maxAckRanges = maxAckRanges;
        b.lossTolerance = lossTolerance;
        b.rateControl = rateControl;
        return b;
    }

    private static void requirePowerOfTwo(final String name, final int value, final int min) {
        if (value < min || Integer.bitCount(value) != 1) {
            throw new IllegalArgumentException(name + " must be a power of two >= " + min + ": " + value);
        }
    }

    private static void requirePositive(final String name, final int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0");
        }
    }

    private static void requirePositive(final String name, final Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0");
        }
    }

    /** Builder with the defaults filled in. */
    public static final class Builder {
        private int sendBufferBytes = 32 << 20;
        private int receiveWindowBytes = 32 << 20;
        private int inboundBytesPerPath = 8 << 20;
        private int maxPacketsInFlight = 1 << 16;
        private Duration peerTimeout = Duration.ofSeconds(30);
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration linger = Duration.ofSeconds(2);
        private int maxDatagramLength;
        private Duration initialRto = Duration.ofSeconds(1);
        private Duration minRto = Duration.ofMillis(50);
        private Duration maxRto = Duration.ofSeconds(10);
        private Duration maxAckDelay = Duration.ofMillis(2);
        private int ackEveryPackets = 8;
        private int initialWindowPackets = 10;
        private int directInitialWindowPackets = 64;
        private int minWindowPackets = 2;
        private int reorderingThreshold = 3;
        private int maxAckRanges = 32;
        private double lossTolerance = 0.02;
        private RateControl rateControl = RateControl.AUTO;

        private Builder() {
        }

        public Builder sendBufferBytes(final int v) {
            sendBufferBytes = v;
            return this;
        }

        public Builder receiveWindowBytes(final int v) {
            receiveWindowBytes = v;
            return this;
        }

        public Builder inboundBytesPerPath(final int v) {
            inboundBytesPerPath = v;
            return this;
        }

        public Builder maxPacketsInFlight(final int v) {
            maxPacketsInFlight = v;
            return this;
        }

        public Builder peerTimeout(final Duration v) {
            peerTimeout = v;
            return this;
        }

        public Builder heartbeatInterval(final Duration v) {
            heartbeatInterval = v;
            return this;
        }

        public Builder linger(final Duration v) {
            linger = v;
            return this;
        }

        public Builder maxDatagramLength(final int v) {
            maxDatagramLength = v;
            return this;
        }

        public Builder initialRto(final Duration v) {
            initialRto = v;
            return this;
        }

        public Builder minRto(final Duration v) {
            minRto = v;
            return this;
        }

        public Builder maxRto(final Duration v) {
            maxRto = v;
            return this;
        }

        public Builder maxAckDelay(final Duration v) {
            maxAckDelay = v;
            return this;
        }

        public Builder ackEveryPackets(final int v) {
            ackEveryPackets = v;
            return this;
        }

        public Builder initialWindowPackets(final int v) {
            initialWindowPackets = v;
            return this;
        }

        public Builder directInitialWindowPackets(final int v) {
            directInitialWindowPackets = v;
            return this;
        }

        public Builder minWindowPackets(final int v) {
            minWindowPackets = v;
            return this;
        }

        public Builder reorderingThreshold(final int v) {
            reorderingThreshold = v;
            return this;
        }

        public Builder maxAckRanges(final int v) {
            maxAckRanges = v;
            return this;
        }

        public Builder lossTolerance(final double v) {
            lossTolerance = v;
            return this;
        }

        public Builder rateControl(final RateControl v) {
            rateControl = java.util.Objects.requireNonNull(v, "rateControl");
            return this;
        }

        public StreamConfig build() {
            return new StreamConfig(
                sendBufferBytes, receiveWindowBytes, inboundBytesPerPath, maxPacketsInFlight, peerTimeout,
                heartbeatInterval, linger, maxDatagramLength, initialRto, minRto, maxRto, maxAckDelay,
                ackEveryPackets, initialWindowPackets, directInitialWindowPackets, minWindowPackets,
                reorderingThreshold, maxAckRanges, lossTolerance, rateControl);
        }
    }
}
