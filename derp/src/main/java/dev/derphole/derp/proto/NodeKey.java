package dev.derphole.derp.proto;

import java.util.HexFormat;

/**
 * A 32-byte curve25519 public key that addresses a DERP client. Held as four longs so that equality
 * and hashing (the server's registry lookup per packet) are a few instructions. Immutable.
 * Text form is Tailscale's: {@code nodekey:} followed by 64 lowercase hex digits.
 */
public final class NodeKey {
    public static final String TEXT_PREFIX = "nodekey:";

    private final long w0;
    private final long w1;
    private final long w2;
    private final long w3;

    private NodeKey(final long w0, final long w1, final long w2, final long w3) {
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    /** Reads 32 bytes at {@code offset}. */
    public static NodeKey read(final byte[] src, final int offset) {
        if (offset < 0 || offset + DerpProtocol.KEY_LENGTH > src.length) {
            throw new IllegalArgumentException("need 32 key bytes at offset " + offset + " of " + src.length);
        }
        return new NodeKey(
            longAt(src, offset), longAt(src, offset + 8), longAt(src, offset + 16), longAt(src, offset + 24));
    }

    /** The key with exactly these 32 bytes. */
    public static NodeKey of(final byte[] key) {
        if (key.length != DerpProtocol.KEY_LENGTH) {
            throw new IllegalArgumentException("node key must be 32 bytes, got " + key.length);
        }
        return read(key, 0);
    }

    /** Parses {@code nodekey:<64 hex>} (the prefix is optional). */
    public static NodeKey parse(final String text) {
        final String hex = text.startsWith(TEXT_PREFIX) ? text.substring(TEXT_PREFIX.length()) : text;
        if (hex.length() != 2 * DerpProtocol.KEY_LENGTH) {
            throw new IllegalArgumentException("node key must be 64 hex digits: " + text);
        }
        try {
            return of(HexFormat.of().parseHex(hex));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("node key is not hex: " + text, e);
        }
    }

    /** Writes the 32 bytes at {@code offset}. */
    public void write(final byte[] dst, final int offset) {
        putLong(dst, offset, w0);
        putLong(dst, offset + 8, w1);
        putLong(dst, offset + 16, w2);
        putLong(dst, offset + 24, w3);
    }

    public byte[] toBytes() {
        final byte[] out = new byte[DerpProtocol.KEY_LENGTH];
        write(out, 0);
        return out;
    }

    /** True when the 32 bytes at {@code offset} are this key; no allocation. */
    public boolean matches(final byte[] src, final int offset) {
        return longAt(src, offset) == w0 && longAt(src, offset + 8) == w1
            && longAt(src, offset + 16) == w2 && longAt(src, offset + 24) == w3;
    }

    /** 64 lowercase hex digits without the prefix (HTTP header form). */
    public String toHex() {
        return HexFormat.of().formatHex(toBytes());
    }

    /** A short form for logs: the first 8 hex digits in brackets, as Tailscale prints keys. */
    public String shortString() {
        return "[" + toHex().substring(0, 8) + "]";
    }

    @Override
    public String toString() {
        return TEXT_PREFIX + toHex();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof NodeKey k && k.w0 == w0 && k.w1 == w1 && k.w2 == w2 && k.w3 == w3;
    }

    @Override
    public int hashCode() {
        // Keys are uniformly random, so any word is already a good hash.
        return (int)(w0 ^ (w0 >>> 32));
    }

    private static long longAt(final byte[] b, final int off) {
        return (long)(b[off] & 0xff) << 56 | (long)(b[off + 1] & 0xff) << 48 | (long)(b[off + 2] & 0xff) << 40
            | (long)(b[off + 3] & 0xff) << 32 | (long)(b[off + 4] & 0xff) << 24 | (long)(b[off + 5] & 0xff) << 16
            | (long)(b[off + 6] & 0xff) << 8 | (long)(b[off + 7] & 0xff);
    }

    private static void putLong(final byte[] b, final int off, final long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte)(v >>> (56 - 8 * i));
        }
    }
}
