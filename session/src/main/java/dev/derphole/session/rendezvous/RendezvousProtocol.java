package dev.derphole.session.rendezvous;

/**
 * Wire constants of rendezvous packets. Every packet is
 * <pre>
 * off  len  field
 *   0    1  kind: 0x01 CLAIM, 0x02 DECISION (0x03..0x0f reserved for future rendezvous messages)
 *   1    1  version = 1
 *   2   12  nonce, random per packet
 *  14    n  AES-256-GCM ciphertext of the body (key: KeyPurpose.RENDEZVOUS, AAD: bytes 0..1)
 * 14+n  16  GCM tag
 * </pre>
 * The first byte of any DERP packet between peers says who handles it: 0x01..0x0f rendezvous, 0x10..0x3f
 * the stream engine, 0x80..0xff path probes; the rest is reserved.
 */
public final class RendezvousProtocol {
    /** Lowest first byte of a rendezvous packet. */
    public static final int FIRST_BYTE_MIN = 0x01;
    /** Highest first byte of a rendezvous packet. */
    public static final int FIRST_BYTE_MAX = 0x0f;

    public static final int KIND_CLAIM = 0x01;
    public static final int KIND_DECISION = 0x02;

    /** Rendezvous protocol version this build speaks. */
    public static final int VERSION = 1;

    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    /** Kind, version and nonce. */
    public static final int HEADER_LENGTH = 2 + NONCE_LENGTH;
    /** Bytes a packet adds to its body. */
    public static final int OVERHEAD = HEADER_LENGTH + TAG_LENGTH;

    /**
     * Largest rendezvous packet, bytes. A claim with 32 longest candidates is about 1.7 KiB; the rest is
     * room for extensions. Far below DERP's 64 KiB so that a flood of big packets costs the peer little.
     */
    public static final int MAX_PACKET_LENGTH = 8192;
    /** Largest body, bytes. */
    public static final int MAX_BODY_LENGTH = MAX_PACKET_LENGTH - OVERHEAD;

    /** Length of the random claim id, the first field of every claim body in every version. */
    public static final int CLAIM_ID_LENGTH = 16;
    /** Longest reject reason, ASCII characters. */
    public static final int MAX_REASON_LENGTH = 200;

    private RendezvousProtocol() {
    }

    /** True when a DERP packet starting with {@code firstByte} belongs to rendezvous. */
    public static boolean isRendezvousPacket(final byte firstByte) {
        final int b = firstByte & 0xff;
        return b >= FIRST_BYTE_MIN && b <= FIRST_BYTE_MAX;
    }
}
