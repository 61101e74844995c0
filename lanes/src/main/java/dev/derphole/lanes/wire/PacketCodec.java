package dev.derphole.lanes.wire;

import static dev.derphole.lanes.wire.WireFormat.HEADER_LENGTH;
import static dev.derphole.lanes.wire.WireFormat.MAX_DATAGRAM_LENGTH;
import static dev.derphole.lanes.wire.WireFormat.PACKET_NUMBER_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.PACKET_OVERHEAD;
import static dev.derphole.lanes.wire.WireFormat.TYPE_OFFSET;

import dev.derphole.crypto.ReplayWindow;
import dev.derphole.crypto.SessionAead;
import dev.derphole.lanes.engine.StreamCounters;

/**
 * Seals outgoing packets and opens incoming ones for one endpoint: the clear header (type, low 24 bits of the
 * packet number) is the AEAD additional data, the body is AES-256-GCM sealed, and the nonce is the direction's
 * prefix and the full 64-bit packet number. Every packet sealed takes the next packet number, so retransmissions
 * never reuse a nonce. The receiver restores the full number as the one closest to the largest it authenticated
 * plus one ({@link Truncated}); a wrong guess (a packet more than 2^23 numbers away) has the wrong nonce and fails
 * the tag, and only an authenticated packet moves the largest number. Incoming packets are checked in order of
 * cost: length, type range, replay window (on the restored number), tag; a failure is counted in
 * {@link StreamCounters} and reported as a negative result, never thrown.
 * <p>
 * Owned by the engine thread; not thread-safe.
 */
public final class PacketCodec {
    /** {@link #open} result: too short or long, or unknown type. */
    public static final int MALFORMED = -1;
    /** {@link #open} result: the tag did not verify. */
    public static final int AUTH_FAILED = -2;
    /** {@link #open} result: packet number already seen or too old. */
    public static final int REPLAYED = -3;

    /** Packet numbers remembered below the highest one received. */
    public static final int REPLAY_WINDOW_PACKETS = 1 << 16;

    private final SessionAead sealer;
    private final SessionAead opener;
    private final ReplayWindow replay = new ReplayWindow(REPLAY_WINDOW_PACKETS);
    private final StreamCounters counters;
    private long nextPacketNumber;
    private int openedType;
    private long openedPacketNumber;

    /**
     * @param sealKey       key for packets we send (32 bytes)
     * @param sealPrefix    nonce prefix for packets we send
     * @param openKey       key for packets we receive
     * @param openPrefix    nonce prefix for packets we receive
     * @param counters      where rejections are counted
     */
    public PacketCodec(
        final byte[] sealKey, final int sealPrefix, final byte[] openKey, final int openPrefix,
        final StreamCounters counters) {
        this.sealer = SessionAead.sealer(sealKey, sealPrefix);
        this.opener = SessionAead.opener(openKey, openPrefix);
        this.counters = counters;
    }

    /** The packet number the next {@link #seal} will use. */
    public long nextPacketNumber() {
        return nextPacketNumber;
    }

    /**
     * Moves the next packet number forward to {@code packetNumber} (never back: nonces must not repeat). For a
     * test peer that seals alongside a real one.
     */
    public void advanceTo(final long packetNumber) {
        if (packetNumber < nextPacketNumber) {
            throw new IllegalArgumentException("packet numbers only move forward");
        }
        nextPacketNumber = packetNumber;
    }

    /**
     * Writes the header for a packet of {@code type} at {@code packet[0, HEADER_LENGTH)} and seals the body that
     * the caller placed at {@code packet[HEADER_LENGTH, HEADER_LENGTH + bodyLength)} in place.
     *
     * @return datagram length ({@code bodyLength + PACKET_OVERHEAD}); the packet number used is
     *         {@link #nextPacketNumber()} minus one afterwards
     */
    public int seal(final byte type, final byte[] packet, final int bodyLength) {
        final long packetNumber = nextPacketNumber++;
        packet[TYPE_OFFSET] = type;
        BigEndian.put24(packet, PACKET_NUMBER_OFFSET, Truncated.PACKET_NUMBER.truncate(packetNumber));
        return HEADER_LENGTH + sealer.seal(
            packetNumber, packet, 0, HEADER_LENGTH, packet, HEADER_LENGTH, bodyLength, packet, HEADER_LENGTH);
    }

    /**
     * Checks and opens one datagram {@code in[offset, offset + length)}; the plaintext body goes to
     * {@code body[0...]}, which needs room for {@code length - PACKET_OVERHEAD} bytes. On success the packet
     * number is marked seen and {@link #openedType()} / {@link #openedPacketNumber()} describe the packet.
     *
     * @return body length (0 or more), or {@link #MALFORMED}, {@link #AUTH_FAILED} or {@link #REPLAYED}
     */
    public int open(final byte[] in, final int offset, final int length, final byte[] body) {
        if (length < PACKET_OVERHEAD || length > MAX_DATAGRAM_LENGTH) {
            counters.add(StreamCounters.MALFORMED, 1);
            return MALFORMED;
        }
        final int type = in[offset + TYPE_OFFSET] & 0xFF;
        if (!PacketType.isKnown(type)) {
            counters.add(StreamCounters.MALFORMED, 1);
            return MALFORMED;
        }
        final long packetNumber = Truncated.PACKET_NUMBER.expand(
            BigEndian.getUnsigned24(in, offset + PACKET_NUMBER_OFFSET), replay.highest() + 1);
        if (!replay.isFresh(packetNumber)) {
            counters.add(StreamCounters.REPLAYS, 1);
            return REPLAYED;
        }
        final int bodyLength = opener.open(
            packetNumber, in, offset, HEADER_LENGTH, in, offset + HEADER_LENGTH, length - HEADER_LENGTH, body, 0);
        if (bodyLength < 0) {
            counters.add(StreamCounters.AUTH_FAILURES, 1);
            return AUTH_FAILED;
        }
        replay.accept(packetNumber);
        openedType = type;
        openedPacketNumber = packetNumber;
        counters.add(StreamCounters.PACKETS_RECEIVED, 1);
        return bodyLength;
    }

    public int openedType() {
        return openedType;
    }

    public long openedPacketNumber() {
        return openedPacketNumber;
    }
}
