package dev.derphole.session.portmap;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * PCP (RFC 6887) MAP requests and responses for UDP over IPv4. Stateless.
 * <pre>
 * common header (24 B):  0 version=2 | 1 R(0x80)|opcode | 2 reserved | 3 result code (responses; 0 in requests)
 *                        | 4..7 lifetime (s) | requests: 8..23 client address (IPv4-mapped IPv6)
 *                        | responses: 8..11 epoch (s), 12..23 reserved
 * MAP body (36 B):       24..35 mapping nonce (96 bits) | 36 protocol (17 = UDP) | 37..39 reserved
 *                        | 40..41 internal port | 42..43 suggested / assigned external port
 *                        | 44..59 suggested / assigned external address (IPv4-mapped IPv6)
 * options:               60.. (none sent; ignored on receive)
 * </pre>
 * Messages are multiples of 4 bytes and at most 1100. A gateway answering MAP copies the request's nonce,
 * protocol and internal port into its response (miniupnpd answers in the request's own buffer).
 */
final class PcpCodec {
    static final int VERSION = 2;
    static final int OP_ANNOUNCE = 0;
    static final int OP_MAP = 1;
    static final int OP_REPLY = 0x80;
    static final int PROTOCOL_UDP = 17;

    static final int RESULT_SUCCESS = 0;
    static final int RESULT_UNSUPP_VERSION = 1;
    static final int RESULT_NOT_AUTHORIZED = 2;
    static final int RESULT_MALFORMED_REQUEST = 3;
    static final int RESULT_NETWORK_FAILURE = 7;
    static final int RESULT_NO_RESOURCES = 8;
    /** The source address of the request is not the client address field: a NAT between us and the server. */
    static final int RESULT_ADDRESS_MISMATCH = 12;

    static final int HEADER_BYTES = 24;
    static final int MAP_BYTES = 60;
    static final int MAX_BYTES = 1100;
    static final int NONCE_BYTES = 12;

    /**
     * One parsed response. MAP fields are zero or null when the response has no MAP body (a bare-header error).
     *
     * @param version         the server's version (its highest supported one for UNSUPP_VERSION)
     * @param opcode          response opcode with the R bit
     * @param resultCode      0 on success
     * @param lifetimeSeconds granted lifetime (errors: how long the error holds)
     * @param epochSeconds    seconds since the server's mappings were last reset
     * @param nonce           the MAP nonce, or null
     * @param protocol        the MAP protocol
     * @param internalPort    the MAP internal port
     * @param externalPort    the assigned external port
     * @param externalAddress the assigned external address if it is IPv4-mapped, else null
     */
    record Response(int version, int opcode, int resultCode, long lifetimeSeconds, long epochSeconds, byte[] nonce,
                    int protocol, int internalPort, int externalPort, Inet4Address externalAddress) {
        boolean hasMapBody() {
            return nonce != null;
        }
    }

    private PcpCodec() {
    }

    /**
     * A MAP request for UDP {@code internalPort}; {@code suggestedExternal} (may be null) and
     * {@code suggestedExternalPort} (0: none) ask for the mapping being refreshed; lifetime 0 deletes.
     */
    static byte[] mapRequest(final byte[] nonce, final InetAddress client, final int internalPort,
                             final int suggestedExternalPort, final InetAddress suggestedExternal,
                             final long lifetimeSeconds) {
        if (nonce.length != NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be 12 bytes");
        }
        final byte[] b = new byte[MAP_BYTES];
        b[0] = VERSION;
        b[1] = OP_MAP;
        NatPmpCodec.putU32(b, 4, lifetimeSeconds);
        putMapped(b, 8, client);
        System.arraycopy(nonce, 0, b, 24, NONCE_BYTES);
        b[36] = PROTOCOL_UDP;
        NatPmpCodec.putU16(b, 40, internalPort);
        NatPmpCodec.putU16(b, 42, suggestedExternalPort);
        // No suggestion is ::ffff:0.0.0.0, which RFC 6887 section 11.1 gives for "any IPv4 address".
        putMapped(b, 44, suggestedExternal instanceof Inet4Address ? suggestedExternal : null);
        return b;
    }

    /**
     * Parses a response; null when it is not a well-formed PCP response: short, long, not a multiple of 4, not a
     * reply, a version other than 2 (except an UNSUPP_VERSION answer, which carries the server's version), or a
     * successful MAP response without its body.
     */
    static Response parse(final byte[] b, final int length) {
        if (b == null || length < HEADER_BYTES || length > b.length || length > MAX_BYTES || (length & 3) != 0) {
            return null;
        }
        final int version = b[0] & 0xff;
        final int opcode = b[1] & 0xff;
        final int result = b[3] & 0xff;
        if ((opcode & OP_REPLY) == 0 || version == 0) {
            return null;
        }
        final long lifetime = NatPmpCodec.u32(b, 4);
        final long epoch = NatPmpCodec.u32(b, 8);
        if (version != VERSION) {
            return result == RESULT_UNSUPP_VERSION
                ? new Response(version, opcode, result, lifetime, epoch, null, 0, 0, 0, null) : null;
        }
        if (opcode != (OP_REPLY | OP_MAP) || length < MAP_BYTES) {
            if (opcode == (OP_REPLY | OP_MAP) && result == RESULT_SUCCESS) {
                return null;
            }
            return new Response(version, opcode, result, lifetime, epoch, null, 0, 0, 0, null);
        }
        final byte[] nonce = new byte[NONCE_BYTES];
        System.arraycopy(b, 24, nonce, 0, NONCE_BYTES);
        return new Response(version, opcode, result, lifetime, epoch, nonce, b[36] & 0xff, NatPmpCodec.u16(b, 40),
            NatPmpCodec.u16(b, 42), mappedIpv4(b, 44));
    }

    /** Writes {@code address} as an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}); null writes ::ffff:0.0.0.0. */
    static void putMapped(final byte[] b, final int off, final InetAddress address) {
        for (int i = 0; i < 10; i++) {
            b[off + i] = 0;
        }
        b[off + 10] = (byte)0xff;
        b[off + 11] = (byte)0xff;
        final byte[] v4 = address instanceof Inet4Address ? address.getAddress() : new byte[4];
        System.arraycopy(v4, 0, b, off + 12, 4);
    }

    /** The IPv4 address in an IPv4-mapped IPv6 field, or null when the field is not IPv4-mapped. */
    static Inet4Address mappedIpv4(final byte[] b, final int off) {
        for (int i = 0; i < 10; i++) {
            if (b[off + i] != 0) {
                return null;
            }
        }
        if (b[off + 10] != (byte)0xff || b[off + 11] != (byte)0xff) {
            return null;
        }
        try {
            return (Inet4Address)InetAddress.getByAddress(
                new byte[] {b[off + 12], b[off + 13], b[off + 14], b[off + 15]});
        } catch (final UnknownHostException e) {
            throw new IllegalStateException("4 bytes are always an IPv4 address", e);
        }
    }
}
