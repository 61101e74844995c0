package dev.derphole.session.token;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

import dev.derphole.derp.proto.NodeKey;

/** Deterministic tokens and raw-byte helpers for tests. */
public final class TestTokens {
    /** The Ed25519 public key of RFC 8032 §7.1 test 1. */
    public static final byte[] RFC8032_PUBLIC =
        HexFormat.of().parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

    /** 2026-04-18T12:00:00Z, the tests' "now". */
    public static final Instant NOW = Instant.parse("2026-04-18T12:00:00Z");

    private TestTokens() {
    }

    /** A valid STDIO token on DERP region 1 node "1a", expiring an hour after {@link #NOW}. */
    public static SessionToken stdio(final SplittableRandom random) {
        return new SessionToken(EnumSet.of(Capability.STDIO), bytes(random, 16), NOW.getEpochSecond() + 3600,
            new RelayBootstrap.DerpMapNode(1, "1a"), NodeKey.of(bytes(random, 32)), identity(random),
            bytes(random, 32));
    }

    /** A valid token with every field random (both relay kinds, any capability set). */
    public static SessionToken random(final SplittableRandom random) {
        final int bits = 1 + random.nextInt(Capability.KNOWN_BITS);
        final Set<Capability> caps = Capability.fromBits(bits);
        final RelayBootstrap relay;
        if (random.nextBoolean()) {
            relay = new RelayBootstrap.DerpMapNode(1 + random.nextInt(0xffff), name(random, 1 + random.nextInt(63)));
        } else {
            final String host = random.nextBoolean() ? "127.0.0.1" : host(random) + ".example";
            final String port = random.nextBoolean() ? "" : ":" + (1 + random.nextInt(0xffff));
            final String path = random.nextBoolean() ? "" : "/derp";
            relay = new RelayBootstrap.CustomRelay((random.nextBoolean() ? "http://" : "https://") + host + port + path,
                random.nextInt(0x10000));
        }
        return new SessionToken(caps, bytes(random, 16), 1 + random.nextLong(SessionToken.MAX_EXPIRES_UNIX_SECONDS),
            relay, NodeKey.of(bytes(random, 32)), identity(random), bytes(random, 32));
    }

    /** A valid Ed25519 public key derived from random seed bytes. */
    public static byte[] identity(final SplittableRandom random) {
        final byte[] pk = new byte[32];
        Ed25519.generatePublicKey(bytes(random, 32), 0, pk, 0);
        return pk;
    }

    public static byte[] bytes(final SplittableRandom random, final int n) {
        final byte[] b = new byte[n];
        do {
            random.nextBytes(b);
        } while (n > 0 && Arrays.equals(b, new byte[n]));
        return b;
    }

    /** Raw token bytes of {@code text} (no checks). */
    public static byte[] raw(final String text) {
        return Base64.getUrlDecoder().decode(text);
    }

    /** {@code body} with its CRC-32C appended, as text: gets a token past the checksum to the field checks. */
    public static String withCrc(final byte[] body) {
        final CRC32C crc = new CRC32C();
        crc.update(body);
        final byte[] out = ByteBuffer.allocate(body.length + 4).put(body).putInt((int)crc.getValue()).array();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    }

    /** {@code text} with its CRC dropped, the body edited by {@code edit}, and a fresh CRC. */
    public static String reChecksummed(final String text, final java.util.function.Consumer<byte[]> edit) {
        final byte[] raw = raw(text);
        final byte[] body = Arrays.copyOf(raw, raw.length - 4);
        edit.accept(body);
        return withCrc(body);
    }

    private static String host(final SplittableRandom random) {
        final StringBuilder sb = new StringBuilder();
        final int length = 1 + random.nextInt(30);
        for (int i = 0; i < length; i++) {
            sb.append((char)('a' + random.nextInt(26)));
        }
        return sb.toString();
    }

    private static String name(final SplittableRandom random, final int length) {
        final String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
        final StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
