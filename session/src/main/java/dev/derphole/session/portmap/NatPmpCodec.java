package dev.derphole.session.portmap;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * NAT-PMP (RFC 6886) requests and responses. Stateless.
 * <pre>
 * external address request:  0 version=0 | 1 opcode=0
 * map request (12 B):        0 version=0 | 1 opcode=1 (UDP) | 2..3 reserved=0 | 4..5 internal port
 *                            | 6..7 suggested external port | 8..11 requested lifetime (s; 0 deletes)
 * response header (8 B):     0 version=0 | 1 opcode=128+request opcode | 2..3 result code | 4..7 epoch (s)
 * external address (12 B):   header | 8..11 external IPv4 address
 * map response (16 B):       header | 8..9 internal port | 10..11 mapped external port | 12..15 lifetime (s)
 * </pre>
 * A gateway may answer an error with the bare 8-byte header (miniupnpd does for an unsupported version or opcode,
 * which is also how a NAT-PMP-only gateway answers a PCP request).
 */
final class NatPmpCodec {
    static final int VERSION = 0;
    static final int OP_EXTERNAL_ADDRESS = 0;
    static final int OP_MAP_UDP = 1;
    /** OR'd into the request's opcode in a response. */
    static final int OP_REPLY = 0x80;

    static final int RESULT_OK = 0;
    static final int RESULT_UNSUPPORTED_VERSION = 1;
    /** "e.g., box supports mapping, but user has turned feature off". */
    static final int RESULT_NOT_AUTHORIZED = 2;
    /** "e.g., NAT box itself has not obtained a DHCP lease"; miniupnpd also says so when its WAN address is private. */
    static final int RESULT_NETWORK_FAILURE = 3;
    static final int RESULT_OUT_OF_RESOURCES = 4;
    static final int RESULT_UNSUPPORTED_OPCODE = 5;

    static final int HEADER_BYTES = 8;
    static final int EXTERNAL_ADDRESS_RESPONSE_BYTES = 12;
    static final int MAP_REQUEST_BYTES = 12;
    static final int MAP_RESPONSE_BYTES = 16;

    /**
     * One parsed response. Fields a response does not carry are zero (ports, lifetime) or null (address).
     *
     * @param opcode          response opcode (128 + request opcode)
     * @param resultCode      0 on success
     * @param epochSeconds    seconds since the gateway's mappings were last reset
     * @param internalPort    map responses: our internal port
     * @param externalPort    map responses: the mapped external port
     * @param lifetimeSeconds map responses: the granted lifetime
     * @param externalAddress external address responses with result 0: the gateway's external address
     */
    record Response(int opcode, int resultCode, long epochSeconds, int internalPort, int externalPort,
                    long lifetimeSeconds, Inet4Address externalAddress) {
    }

    private NatPmpCodec() {
    }

    static byte[] externalAddressRequest() {
        return new byte[] {VERSION, OP_EXTERNAL_ADDRESS};
    }

    static byte[] mapRequest(final int internalPort, final int suggestedExternalPort, final long lifetimeSeconds) {
        final byte[] b = new byte[MAP_REQUEST_BYTES];
        b[0] = VERSION;
        b[1] = OP_MAP_UDP;
        putU16(b, 4, internalPort);
        putU16(b, 6, suggestedExternalPort);
        putU32(b, 8, lifetimeSeconds);
        return b;
    }

    /**
     * Parses a response; null when it is not a well-formed NAT-PMP response (short, long, wrong version, not a
     * reply, a success of the wrong length).
     */
    static Response parse(final byte[] b, final int length) {
        if (b == null || length < HEADER_BYTES || length > b.length || length > MAP_RESPONSE_BYTES) {
            return null;
        }
        if ((b[0] & 0xff) != VERSION || (b[1] & OP_REPLY) == 0) {
            return null;
        }
        final int opcode = b[1] & 0xff;
        final int result = u16(b, 2);
        final long epoch = u32(b, 4);
        if (opcode == (OP_REPLY | OP_EXTERNAL_ADDRESS)) {
            if (length == EXTERNAL_ADDRESS_RESPONSE_BYTES) {
                return new Response(opcode, result, epoch, 0, 0, 0, result == RESULT_OK ? ipv4(b, 8) : null);
            }
            return result != RESULT_OK && length == HEADER_BYTES ? header(opcode, result, epoch) : null;
        }
        if (opcode == (OP_REPLY | OP_MAP_UDP)) {
            if (length == MAP_RESPONSE_BYTES) {
                return new Response(opcode, result, epoch, u16(b, 8), u16(b, 10), u32(b, 12), null);
            }
            return result != RESULT_OK && length == HEADER_BYTES ? header(opcode, result, epoch) : null;
        }
        // Another opcode (TCP map, or an unknown one): well-formed enough to be counted as "not ours".
        return header(opcode, result, epoch);
    }

    private static Response header(final int opcode, final int result, final long epoch) {
        return new Response(opcode, result, epoch, 0, 0, 0, null);
    }

    static Inet4Address ipv4(final byte[] b, final int off) {
        try {
            return (Inet4Address)InetAddress.getByAddress(new byte[] {b[off], b[off + 1], b[off + 2], b[off + 3]});
        } catch (final UnknownHostException e) {
            throw new IllegalStateException("4 bytes are always an IPv4 address", e);
        }
    }

    static int u16(final byte[] b, final int off) {
        return (b[off] & 0xff) << 8 | b[off + 1] & 0xff;
    }

    static long u32(final byte[] b, final int off) {
        return (long)(b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff;
    }

    static void putU16(final byte[] b, final int off, final int v) {
        b[off] = (byte)(v >>> 8);
        b[off + 1] = (byte)v;
    }

    static void putU32(final byte[] b, final int off, final long v) {
        b[off] = (byte)(v >>> 24);
        b[off + 1] = (byte)(v >>> 16);
        b[off + 2] = (byte)(v >>> 8);
        b[off + 3] = (byte)v;
    }
}
