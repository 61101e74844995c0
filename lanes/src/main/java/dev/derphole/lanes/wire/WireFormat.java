package dev.derphole.lanes.wire;

import dev.derphole.crypto.SessionAead;

/**
 * Layout constants of stream protocol version 3 (drawn in {@code docs/stream-protocol.md}). Every packet is a
 * 4-byte clear header, used as the AEAD additional data, followed by the AES-256-GCM sealed body and its 16-byte
 * tag. All integers are big-endian.
 * <pre>
 *  0        1                          4
 * +--------+--------------------------+----------------------+-----------+
 * |  type  | packet number, low 24    | sealed body (0..n)   | tag (16)  |
 * +--------+--------------------------+----------------------+-----------+
 * </pre>
 * There is no version byte: the rendezvous that set the session up fixes the stream protocol (see
 * {@code docs/stream-protocol.md} on versions). The header carries only the low 24 bits of the packet number and a
 * DATA body only the low 32 bits of its stream offset; the receiver restores both ({@link Truncated}). The nonce
 * still uses the full 64-bit packet number.
 */
public final class WireFormat {
    public static final int TYPE_OFFSET = 0;
    /** Where the low 24 bits of the packet number start. */
    public static final int PACKET_NUMBER_OFFSET = 1;
    /** Clear header length, also the AAD length. */
    public static final int HEADER_LENGTH = 4;
    public static final int TAG_LENGTH = SessionAead.TAG_LENGTH;
    /** Bytes every packet carries besides its body. */
    public static final int PACKET_OVERHEAD = HEADER_LENGTH + TAG_LENGTH;

    /** Largest datagram the engine builds or accepts (DERP's 64 KiB packet limit). */
    public static final int MAX_DATAGRAM_LENGTH = 65_535;
    /** Smallest datagram a path may offer: room for a 1-byte DATA payload and a full ACK. */
    public static final int MIN_DATAGRAM_LENGTH = 512;

    // DATA and DATA_FIN body: stream offset, low 32 bits (u32) | payload
    public static final int DATA_STREAM_OFFSET_OFFSET = 0;
    public static final int DATA_PAYLOAD_OFFSET = 4;
    /**
     * A receiver drops (and counts as a replay: too old) a DATA packet numbered this many or more below the largest
     * packet number it authenticated. With at most {@link #MAX_DATAGRAM_LENGTH} bytes per packet this bounds
     * how far the stream can have moved on since such a packet was sent, which is what keeps its 32-bit stream
     * offset unambiguous (see {@code docs/stream-protocol.md} section 3, DATA). Half the replay window.
     */
    public static final int DATA_MAX_PACKET_AGE = 1 << 15;
    /** Every byte of a DATA datagram that is not payload. */
    public static final int DATA_OVERHEAD = PACKET_OVERHEAD + DATA_PAYLOAD_OFFSET;

    // ACK body: see AckFrame
    public static final int ACK_FLAGS_OFFSET = 0;
    public static final int ACK_CUMULATIVE_OFFSET = 1;
    public static final int ACK_MAX_OFFSET_OFFSET = 9;
    public static final int ACK_LARGEST_PN_OFFSET = 17;
    public static final int ACK_DELAY_OFFSET = 25;
    public static final int ACK_DUPLICATE_BYTES_OFFSET = 29;
    public static final int ACK_RANGE_COUNT_OFFSET = 37;
    public static final int ACK_RANGES_OFFSET = 38;
    public static final int ACK_RANGE_LENGTH = 8;
    /** Most selective ranges one ACK carries. */
    public static final int ACK_MAX_RANGES = 64;
    /** Largest ACK body: the fixed fields and every range. */
    public static final int ACK_MAX_BODY_LENGTH = ACK_RANGES_OFFSET + ACK_MAX_RANGES * ACK_RANGE_LENGTH;
    /** ACK flag: the receiver knows the final length and has every byte below it. */
    public static final int ACK_FLAG_FIN_RECEIVED = 0x01;
    /** ACK flag: every byte, FIN included, was written and flushed to the receiver's sink. */
    public static final int ACK_FLAG_DELIVERED = 0x02;
    /** ACK flag: the largest-packet-number and ack-delay fields are valid. */
    public static final int ACK_FLAG_HAS_ECHO = 0x04;
    public static final int ACK_KNOWN_FLAGS = ACK_FLAG_FIN_RECEIVED | ACK_FLAG_DELIVERED | ACK_FLAG_HAS_ECHO;

    // ABORT body: code (u8) | text length (u8) | UTF-8 text
    public static final int ABORT_CODE_OFFSET = 0;
    public static final int ABORT_TEXT_LENGTH_OFFSET = 1;
    public static final int ABORT_TEXT_OFFSET = 2;
    /** Longest abort text in bytes. */
    public static final int ABORT_MAX_TEXT = 200;
    /**
     * Largest datagram a receiver ever sends (ACK with every range, ABORT with the longest text; HEARTBEAT is
     * empty): what a sender's inbox needs room for.
     */
    public static final int MAX_RECEIVER_DATAGRAM_LENGTH =
        PACKET_OVERHEAD + Math.max(ACK_MAX_BODY_LENGTH, ABORT_TEXT_OFFSET + ABORT_MAX_TEXT);
    /** ABORT code: no specific reason. */
    public static final int ABORT_CODE_UNSPECIFIED = 0;
    /** ABORT code: the user or application aborted (Ctrl-C). */
    public static final int ABORT_CODE_USER = 1;
    /** ABORT code: the peer broke the protocol. */
    public static final int ABORT_CODE_PROTOCOL = 2;
    /** ABORT code: the local source, sink or path failed. */
    public static final int ABORT_CODE_IO = 3;
    /** ABORT code: the other side went silent. */
    public static final int ABORT_CODE_TIMEOUT = 4;

    private WireFormat() {
    }
}
