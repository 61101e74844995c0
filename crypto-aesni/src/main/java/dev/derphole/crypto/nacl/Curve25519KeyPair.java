package dev.derphole.crypto.nacl;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * A Curve25519 (X25519) key pair: 32-byte private scalar and its 32-byte public point.
 * Immutable; the arrays handed out are copies.
 */
public final class Curve25519KeyPair {
    /** Length in bytes of a private or public key. */
    public static final int KEY_LENGTH = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] privateKey;
    private final byte[] publicKey;

    private Curve25519KeyPair(final byte[] privateKey, final byte[] publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A fresh random key pair (private scalar clamped as X25519 requires). */
    public static Curve25519KeyPair generate() {
        final byte[] priv = new byte[KEY_LENGTH];
        X25519.generatePrivateKey(RANDOM, priv);
        return fromPrivateKey(priv);
    }

    /** The key pair for an existing private key (e.g. a stable derptun server identity). */
    public static Curve25519KeyPair fromPrivateKey(final byte[] privateKey) {
        if (privateKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("private key must be 32 bytes, got " + privateKey.length);
        }
        final byte[] priv = privateKey.clone();
        final byte[] pub = new byte[KEY_LENGTH];
        X25519.generatePublicKey(priv, 0, pub, 0);
        return new Curve25519KeyPair(priv, pub);
    }

    public byte[] privateKey() {
        return privateKey.clone();
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** Raw X25519 shared secret with {@code peerPublic}; rejects low-order points (all-zero output). */
    byte[] sharedSecret(final byte[] peerPublic) {
        if (peerPublic.length != KEY_LENGTH) {
            throw new IllegalArgumentException("public key must be 32 bytes, got " + peerPublic.length);
        }
        final byte[] shared = new byte[KEY_LENGTH];
        if (!X25519.calculateAgreement(privateKey, 0, peerPublic, 0, shared, 0)) {
            throw new IllegalArgumentException("peer public key is a low-order point");
        }
        return shared;
    }

    @Override
    public String toString() {
        // Never print the private half.
        return "Curve25519KeyPair[public=" + HexFormat.of().formatHex(publicKey) + "]";
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Curve25519KeyPair other && Arrays.equals(publicKey, other.publicKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }
}
