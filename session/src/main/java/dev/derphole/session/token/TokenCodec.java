package dev.derphole.session.token;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32C;

import dev.derphole.derp.proto.NodeKey;

/**
 * Binary layout of a version-1 token and its base64url text form. Big-endian throughout:
 * <pre>
 * off  len  field
 *   0    1  version = 1
 *   1    1  capability bits (STDIO 0x01, SHARE 0x02, ATTACH 0x04, OFFER 0x08, TUNNEL 0x10)
 *   2   16  session id
 *  18    8  expiry, unix seconds (int64; expired iff now &gt;= expiry)
 *  26   32  listener DERP public key (curve25519)
 *  58   32  listener identity public key (raw Ed25519)
 *  90   32  bearer secret
 * 122    1  relay kind: 1 = public DERP map node, 2 = custom relay URL
 *           kind 1: u16 region id, u8 n (1..63), n bytes node name [A-Za-z0-9._-]
 *           kind 2: u8 n (1..255), n bytes URL (printable ASCII), u16 STUN port (0 = none)
 *   ...  4  CRC-32C (Castagnoli) of every byte before it
 * </pre>
 * The CRC is always the last four bytes, in every version: the decoder checks it before it looks at the
 * version, so a typo reads as a checksum error rather than as a strange version, and a future version with
 * another layout still reads as "unsupported version". CRC-32C, not a hash, because it only has to catch
 * paste accidents: it detects every error burst up to 32 bits (any run of up to five mistyped base64
 * characters) with certainty. Authenticity comes from the bearer secret, never from the checksum.
 * <p>
 * Stateless; thread-safe.
 */
final class TokenCodec {
    /** Longest token text accepted after trimming; v1 tokens are at most 514 characters. */
    static final int MAX_TEXT_LENGTH = 1024;
    static final int CRC_LENGTH = 4;
    static final int RELAY_OFFSET = 122;
    static final int RELAY_DERP_MAP = 1;
    static final int RELAY_CUSTOM_URL = 2;

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private TokenCodec() {
    }

    static String encode(final SessionToken token) {
        final byte[] relay = relayBytes(token.relay());
        final ByteBuffer buf = ByteBuffer.allocate(RELAY_OFFSET + relay.length + CRC_LENGTH);
        buf.put((byte)SessionToken.VERSION);
        buf.put((byte)token.capabilityBits());
        buf.put(token.sessionId());
        buf.putLong(token.expiresUnixSeconds());
        buf.put(token.derpPublicKey().toBytes());
        buf.put(token.identityPublicKey());
        buf.put(token.bearerSecret());
        buf.put(relay);
        buf.putInt(crc(buf.array(), buf.position()));
        return ENCODER.encodeToString(buf.array());
    }

    static SessionToken decode(final String input) throws TokenException {
        final byte[] raw = base64(input.strip());
        if (raw.length < 2 + CRC_LENGTH) {
            throw malformed("too short, it may be truncated");
        }
        final int body = raw.length - CRC_LENGTH;
        if (crc(raw, body) != ByteBuffer.wrap(raw, body, CRC_LENGTH).getInt()) {
            throw new TokenException(TokenException.Kind.CHECKSUM,
                "token checksum mismatch: the token was mistyped or truncated");
        }
        final int version = raw[0] & 0xff;
        if (version != SessionToken.VERSION) {
            throw new TokenException(TokenException.Kind.VERSION, "unsupported token version " + version);
        }
        if (body < RELAY_OFFSET + 1) {
            throw malformed("too short for version 1");
        }
        final ByteBuffer buf = ByteBuffer.wrap(raw, 0, body);
        buf.get();
        final int capabilities = buf.get() & 0xff;
        final byte[] sessionId = bytes(buf, SessionToken.SESSION_ID_LENGTH);
        final long expires = buf.getLong();
        final NodeKey derp = NodeKey.of(bytes(buf, 32));
        final byte[] identity = bytes(buf, IdentityKeyPair.PUBLIC_KEY_LENGTH);
        final byte[] secret = bytes(buf, SessionToken.SECRET_LENGTH);
        final RelayBootstrap relay = relay(buf);
        if (buf.hasRemaining()) {
            throw malformed(buf.remaining() + " unexpected trailing bytes");
        }
        try {
            return new SessionToken(capabilities, sessionId, expires, relay, derp, identity, secret);
        } catch (final IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
    }

    private static byte[] base64(final String text) throws TokenException {
        if (text.isEmpty()) {
            throw malformed("empty");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw malformed("too long (" + text.length() + " characters)");
        }
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            final boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_';
            if (!ok) {
                throw malformed("character " + (i + 1) + " is not base64url");
            }
        }
        if (text.length() % 4 == 1) {
            throw malformed("impossible length " + text.length() + ", it may be truncated");
        }
        final byte[] raw = DECODER.decode(text);
        // The JDK decoder ignores the unused low bits of the last character; a canonical token has them zero.
        if (!ENCODER.encodeToString(raw).equals(text)) {
            throw malformed("not canonical base64url, it may be mistyped or truncated");
        }
        return raw;
    }

    private static byte[] relayBytes(final RelayBootstrap relay) {
        return switch (relay) {
            case RelayBootstrap.DerpMapNode node -> {
                final byte[] name = node.nodeName().getBytes(StandardCharsets.US_ASCII);
                yield ByteBuffer.allocate(4 + name.length).put((byte)RELAY_DERP_MAP).putShort((short)node.regionId())
                    .put((byte)name.length).put(name).array();
            }
            case RelayBootstrap.CustomRelay custom -> {
                final byte[] url = custom.url().getBytes(StandardCharsets.US_ASCII);
                yield ByteBuffer.allocate(4 + url.length).put((byte)RELAY_CUSTOM_URL).put((byte)url.length).put(url)
                    .putShort((short)custom.stunPort()).array();
            }
        };
    }

    private static RelayBootstrap relay(final ByteBuffer buf) throws TokenException {
        final int kind = buf.get() & 0xff;
        try {
            if (kind == RELAY_DERP_MAP) {
                need(buf, 3);
                final int region = buf.getShort() & 0xffff;
                final int n = buf.get() & 0xff;
                return new RelayBootstrap.DerpMapNode(region, ascii(bytes(buf, n)));
            }
            if (kind == RELAY_CUSTOM_URL) {
                need(buf, 1);
                final int n = buf.get() & 0xff;
                final String url = ascii(bytes(buf, n));
                need(buf, 2);
                return new RelayBootstrap.CustomRelay(url, buf.getShort() & 0xffff);
            }
        } catch (final IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
        throw malformed("unknown relay kind " + kind);
    }

    /** Bytes as ASCII; anything outside 0x00..0x7f is replaced so that the record validation rejects it. */
    private static String ascii(final byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(final ByteBuffer buf, final int n) throws TokenException {
        need(buf, n);
        final byte[] out = new byte[n];
        buf.get(out);
        return out;
    }

    private static void need(final ByteBuffer buf, final int n) throws TokenException {
        if (buf.remaining() < n) {
            throw malformed("a field runs past the end");
        }
    }

    private static int crc(final byte[] bytes, final int length) {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }

    private static TokenException malformed(final String detail) {
        return new TokenException(TokenException.Kind.MALFORMED, "malformed token: " + detail);
    }
}
