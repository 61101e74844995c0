package dev.derphole.derp.stun;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Codec for the STUN binding messages Tailscale exchanges (RFC 5389, as in tailscale
 * {@code net/stun/stun.go}), working on caller buffers ({@code byte[]} plus offset) so the server's
 * request-check and response-write path allocates nothing itself.
 *
 * <pre>
 * Header (20 bytes, big-endian):                Attribute (TLV, value padded to 4 bytes):
 *   0      2        4              8       20     0      2        4
 *   | type | length | magic cookie | txid  |       | type | length | value | pad |
 *   type 0x0001 binding request, 0x0101 binding success response; the top two bits are 0;
 *   length = bytes after the header, a multiple of 4; cookie = 0x2112A442; txid = 12 bytes.
 *
 * Request as Tailscale sends it (40 bytes):
 *   header(length 20) | SOFTWARE 0x8022 len 8 "tailnode" | FINGERPRINT 0x8028 len 4 CRC-32(bytes 0..31) ^ 0x5354554E
 *
 * Success response as Tailscale's derper sends it (32 bytes for IPv4, 44 for IPv6):
 *   header(length 12 or 24) | XOR-MAPPED-ADDRESS 0x0020 len 8|20:
 *     0x00 | family (1 IPv4, 2 IPv6) | port ^ 0x2112 | address ^ (cookie, then txid for IPv6)
 * </pre>
 *
 * <p>Validation: a request must have the cookie, type 0x0001, a length that matches the datagram,
 * attributes within bounds, and, when present, a FINGERPRINT that is the last attribute and matches
 * (RFC 5389 §15.5). SOFTWARE is not required, so any RFC 5389 client may use our server (Tailscale's
 * derper also insists on "tailnode"; we do not). A response may carry trailing bytes after its declared
 * length (Tailscale ignores them too); its address comes from the first XOR-MAPPED-ADDRESS (0x0020, or
 * the 0x8020 some servers send), else the first MAPPED-ADDRESS (0x0001) (RFC 5389 §15: only the first
 * occurrence of an attribute counts). Bad input yields a status code or {@link StunException}, never
 * another exception; invalid offsets/lengths (caller bugs) throw {@link IndexOutOfBoundsException}.
 * Stateless and thread-safe.
 */
public final class StunMessage {
    /** Length of the STUN header in bytes. */
    public static final int HEADER_LENGTH = 20;
    /** RFC 5389 magic cookie. */
    public static final int MAGIC_COOKIE = 0x2112A442;
    /** Message type: binding request. */
    public static final int TYPE_BINDING_REQUEST = 0x0001;
    /** Message type: binding success response. */
    public static final int TYPE_BINDING_SUCCESS = 0x0101;
    /** Attribute: MAPPED-ADDRESS (RFC 5389 §15.1). */
    public static final int ATTR_MAPPED_ADDRESS = 0x0001;
    /** Attribute: XOR-MAPPED-ADDRESS (RFC 5389 §15.2). */
    public static final int ATTR_XOR_MAPPED_ADDRESS = 0x0020;
    /** Attribute: XOR-MAPPED-ADDRESS in the comprehension-optional range, which some servers send. */
    public static final int ATTR_XOR_MAPPED_ADDRESS_ALT = 0x8020;
    /** Attribute: SOFTWARE (RFC 5389 §15.10). */
    public static final int ATTR_SOFTWARE = 0x8022;
    /** Attribute: FINGERPRINT (RFC 5389 §15.5). */
    public static final int ATTR_FINGERPRINT = 0x8028;
    /** Value XORed into the CRC-32 of a FINGERPRINT ("STUN"). */
    public static final int FINGERPRINT_XOR = 0x5354554E;
    /** SOFTWARE value Tailscale sends; 8 bytes, so no padding. */
    public static final String SOFTWARE = "tailnode";
    /** Length of the binding request {@link #writeBindingRequest} produces. */
    public static final int BINDING_REQUEST_LENGTH = HEADER_LENGTH + 4 + 8 + 4 + 4;
    /** Longest binding response {@link #writeBindingResponse} produces (IPv6). */
    public static final int MAX_BINDING_RESPONSE_LENGTH = HEADER_LENGTH + 4 + 4 + 16;

    /** {@link #checkBindingRequest} result: a valid binding request. */
    public static final int VALID_BINDING_REQUEST = 0;
    /** {@link #checkBindingRequest} result: not STUN, or STUN with bad length, attributes or fingerprint. */
    public static final int MALFORMED = 1;
    /** {@link #checkBindingRequest} result: a STUN message, but not a binding request. */
    public static final int NOT_BINDING_REQUEST = 2;

    private static final int TXID_OFFSET = 8;
    private static final int FINGERPRINT_ATTR_LENGTH = 8;
    private static final int FAMILY_IPV4 = 1;
    private static final int FAMILY_IPV6 = 2;
    private static final byte[] SOFTWARE_BYTES = {'t', 'a', 'i', 'l', 'n', 'o', 'd', 'e'};
    private static final int[] CRC_TABLE = crcTable();

    private StunMessage() {
    }

    /**
     * Writes Tailscale's binding request.
     *
     * @param txId   transaction id
     * @param dst    buffer with at least {@link #BINDING_REQUEST_LENGTH} bytes from {@code offset}
     * @param offset where the message starts
     * @return {@link #BINDING_REQUEST_LENGTH}
     */
    public static int writeBindingRequest(final StunTransactionId txId, final byte[] dst, final int offset) {
        Objects.checkFromIndexSize(offset, BINDING_REQUEST_LENGTH, dst.length);
        int p = writeHeader(dst, offset, TYPE_BINDING_REQUEST, BINDING_REQUEST_LENGTH - HEADER_LENGTH);
        txId.copyTo(dst, offset + TXID_OFFSET);
        p = putU16(dst, p, ATTR_SOFTWARE);
        p = putU16(dst, p, SOFTWARE_BYTES.length);
        System.arraycopy(SOFTWARE_BYTES, 0, dst, p, SOFTWARE_BYTES.length);
        p += SOFTWARE_BYTES.length;
        final int crc = crc32(dst, offset, p - offset) ^ FINGERPRINT_XOR;
        p = putU16(dst, p, ATTR_FINGERPRINT);
        p = putU16(dst, p, 4);
        putU32(dst, p, crc);
        return BINDING_REQUEST_LENGTH;
    }

    /**
     * Checks a datagram the server received, without allocating.
     *
     * @param src    buffer
     * @param offset start of the datagram
     * @param length datagram length
     * @return {@link #VALID_BINDING_REQUEST}, {@link #MALFORMED} or {@link #NOT_BINDING_REQUEST}
     */
    public static int checkBindingRequest(final byte[] src, final int offset, final int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        if (!isStunMessage(src, offset, length)) {
            return MALFORMED;
        }
        if (u16(src, offset) != TYPE_BINDING_REQUEST) {
            return NOT_BINDING_REQUEST;
        }
        final int bodyLength = u16(src, offset + 2);
        if ((bodyLength & 3) != 0 || HEADER_LENGTH + bodyLength != length) {
            return MALFORMED;
        }
        return attributesValid(src, offset, offset + length) ? VALID_BINDING_REQUEST : MALFORMED;
    }

    /**
     * Writes the success response to a binding request, as Tailscale's derper does: one
     * XOR-MAPPED-ADDRESS attribute, no SOFTWARE or FINGERPRINT. The only allocation is the address copy
     * {@link InetAddress#getAddress()} makes.
     *
     * @param request       buffer holding the request (its transaction id is echoed)
     * @param requestOffset start of the request
     * @param address       the request's source address, IPv4 or IPv6
     * @param port          the request's source port
     * @param dst           buffer with at least {@link #MAX_BINDING_RESPONSE_LENGTH} bytes from {@code dstOffset}
     * @param dstOffset     where the response starts
     * @return the response length: 32 for IPv4, 44 for IPv6
     */
    public static int writeBindingResponse(final byte[] request, final int requestOffset, final InetAddress address,
                                           final int port, final byte[] dst, final int dstOffset) {
        Objects.checkFromIndexSize(requestOffset, HEADER_LENGTH, request.length);
        final byte[] ip = address.getAddress();
        final int attrLength = 4 + ip.length;
        final int total = HEADER_LENGTH + 4 + attrLength;
        Objects.checkFromIndexSize(dstOffset, total, dst.length);
        int p = writeHeader(dst, dstOffset, TYPE_BINDING_SUCCESS, 4 + attrLength);
        System.arraycopy(request, requestOffset + TXID_OFFSET, dst, dstOffset + TXID_OFFSET, StunTransactionId.LENGTH);
        p = putU16(dst, p, ATTR_XOR_MAPPED_ADDRESS);
        p = putU16(dst, p, attrLength);
        dst[p++] = 0;
        dst[p++] = (byte) (ip.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6);
        p = putU16(dst, p, port ^ (MAGIC_COOKIE >>> 16));
        // The address is XORed with the cookie and, for IPv6, the transaction id: bytes 4..19 of the header.
        for (int i = 0; i < ip.length; i++) {
            dst[p++] = (byte) (ip[i] ^ dst[dstOffset + 4 + i]);
        }
        return total;
    }

    /**
     * Parses a binding success response.
     *
     * @param src    buffer
     * @param offset start of the datagram
     * @param length datagram length
     * @return the transaction id and the mapped (reflexive) address; an IPv4-mapped IPv6 address is
     *     returned as IPv4
     * @throws StunException when the datagram is not a valid binding success response with an address
     */
    public static StunResponse parseBindingResponse(final byte[] src, final int offset, final int length)
        throws StunException {
        Objects.checkFromIndexSize(offset, length, src.length);
        if (!isStunMessage(src, offset, length)) {
            throw new StunException("not a STUN message");
        }
        final int type = u16(src, offset);
        if (type != TYPE_BINDING_SUCCESS) {
            throw new StunException("not a binding success response (type 0x" + Integer.toHexString(type) + ")");
        }
        final int bodyLength = u16(src, offset + 2);
        if ((bodyLength & 3) != 0 || HEADER_LENGTH + bodyLength > length) {
            throw new StunException("bad message length " + bodyLength + " for a " + length + "-byte datagram");
        }
        final int end = offset + HEADER_LENGTH + bodyLength;
        if (!attributesValid(src, offset, end)) {
            throw new StunException("malformed attributes or fingerprint");
        }
        final StunTransactionId txId = StunTransactionId.read(src, offset + TXID_OFFSET);
        InetSocketAddress fallback = null;
        int p = offset + HEADER_LENGTH;
        while (p < end) {
            final int attrType = u16(src, p);
            final int attrLength = u16(src, p + 2);
            final int value = p + 4;
            if (attrType == ATTR_XOR_MAPPED_ADDRESS || attrType == ATTR_XOR_MAPPED_ADDRESS_ALT) {
                return new StunResponse(txId, address(src, offset, value, attrLength, true));
            }
            if (attrType == ATTR_MAPPED_ADDRESS && fallback == null) {
                fallback = address(src, offset, value, attrLength, false);
            }
            p = value + padded(attrLength);
        }
        if (fallback == null) {
            throw new StunException("no mapped address in the response");
        }
        return new StunResponse(txId, fallback);
    }

    /**
     * Cheap classification for a shared socket: could this datagram be STUN? (At least a header, top
     * two bits zero, magic cookie present, as tailscale {@code stun.Is}.)
     *
     * @param src    buffer
     * @param offset start of the datagram
     * @param length datagram length
     * @return whether it looks like STUN
     */
    public static boolean isStunMessage(final byte[] src, final int offset, final int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        return length >= HEADER_LENGTH && (src[offset] & 0xC0) == 0 && u32(src, offset + 4) == MAGIC_COOKIE;
    }

    private static InetSocketAddress address(final byte[] src, final int message, final int value, final int length,
                                             final boolean xor) throws StunException {
        if (length < 4) {
            throw new StunException("address attribute too short");
        }
        final int family = src[value + 1] & 0xFF;
        final int addressLength = family == FAMILY_IPV4 ? 4 : family == FAMILY_IPV6 ? 16 : 0;
        if (addressLength == 0) {
            throw new StunException("unknown address family " + family);
        }
        if (length < 4 + addressLength) {
            throw new StunException("address attribute too short for its family");
        }
        int port = u16(src, value + 2);
        final byte[] ip = new byte[addressLength];
        for (int i = 0; i < addressLength; i++) {
            // XOR with the cookie and then the transaction id: header bytes 4..19.
            ip[i] = (byte) (src[value + 4 + i] ^ (xor ? src[message + 4 + i] : 0));
        }
        if (xor) {
            port ^= MAGIC_COOKIE >>> 16;
        }
        try {
            // getByAddress never resolves names; it maps ::ffff:a.b.c.d to an Inet4Address.
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (final UnknownHostException e) {
            throw new StunException("bad address length " + addressLength);
        }
    }

    /** TLV bounds in [offset + header, end), and a trailing FINGERPRINT that matches if there is one. */
    private static boolean attributesValid(final byte[] src, final int offset, final int end) {
        int p = offset + HEADER_LENGTH;
        while (p < end) {
            if (end - p < 4) {
                return false;
            }
            final int attrType = u16(src, p);
            final int attrLength = u16(src, p + 2);
            final int next = p + 4 + padded(attrLength);
            if (next > end) {
                return false;
            }
            if (attrType == ATTR_FINGERPRINT) {
                if (attrLength != 4 || next != end) {
                    return false;
                }
                final int expected = crc32(src, offset, p - offset) ^ FINGERPRINT_XOR;
                return u32(src, p + 4) == expected;
            }
            p = next;
        }
        return true;
    }

    private static int writeHeader(final byte[] dst, final int offset, final int type, final int bodyLength) {
        int p = putU16(dst, offset, type);
        p = putU16(dst, p, bodyLength);
        putU32(dst, p, MAGIC_COOKIE);
        return offset + HEADER_LENGTH;
    }

    private static int padded(final int length) {
        return (length + 3) & ~3;
    }

    private static int u16(final byte[] b, final int p) {
        return (b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF);
    }

    private static int u32(final byte[] b, final int p) {
        return (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | (b[p + 3] & 0xFF);
    }

    private static int putU16(final byte[] b, final int p, final int v) {
        b[p] = (byte) (v >>> 8);
        b[p + 1] = (byte) v;
        return p + 2;
    }

    private static void putU32(final byte[] b, final int p, final int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }

    /** CRC-32 (IEEE 802.3, reflected 0xEDB88320), as Go's crc32.ChecksumIEEE; table-driven, allocation-free. */
    static int crc32(final byte[] b, final int offset, final int length) {
        int crc = 0xFFFFFFFF;
        for (int i = offset; i < offset + length; i++) {
            crc = CRC_TABLE[(crc ^ b[i]) & 0xFF] ^ (crc >>> 8);
        }
        return ~crc;
    }

    private static int[] crcTable() {
        final int[] table = new int[256];
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
