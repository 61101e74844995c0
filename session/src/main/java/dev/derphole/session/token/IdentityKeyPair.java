package dev.derphole.session.token;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 identity: the key a peer will present in the QUIC (TLS 1.3) handshake, pinned by the token
 * (listener) or the claim (claimer). Tokens and claims carry the raw 32-byte public key (RFC 8032 §5.1.5
 * encoding), which is the last 32 bytes of the JDK's X.509 {@code SubjectPublicKeyInfo} encoding.
 * Immutable.
 */
public final class IdentityKeyPair {
    /** Length in bytes of a raw Ed25519 public key. */
    public static final int PUBLIC_KEY_LENGTH = 32;

    /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE, AlgorithmIdentifier, BIT STRING. */
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private final KeyPair keyPair;
    private final byte[] publicKeyRaw;

    private IdentityKeyPair(final KeyPair keyPair, final byte[] publicKeyRaw) {
        this.keyPair = keyPair;
        this.publicKeyRaw = publicKeyRaw;
    }

    /** A fresh identity from the JDK's Ed25519 generator. */
    public static IdentityKeyPair generate() {
        try {
            final KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new IdentityKeyPair(pair, rawPublicKey(pair.getPublic()));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot generate Ed25519 keys", e);
        }
    }

    /** The JDK key pair (private key for the TLS handshake). */
    public KeyPair keyPair() {
        return keyPair;
    }

    /** The raw 32-byte public key (a copy). */
    public byte[] publicKeyRaw() {
        return publicKeyRaw.clone();
    }

    /** The raw 32-byte encoding of a JDK Ed25519 public key. */
    public static byte[] rawPublicKey(final PublicKey key) {
        final byte[] der = key.getEncoded();
        if (der == null || der.length != X509_PREFIX.length + PUBLIC_KEY_LENGTH
            || !Arrays.equals(der, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
        }
        return Arrays.copyOfRange(der, X509_PREFIX.length, der.length);
    }

    /** The JDK public key for a raw 32-byte key (to pin the peer in TLS). */
    public static PublicKey publicKey(final byte[] raw) {
        if (!isValidPublicKey(raw, 0)) {
            throw new IllegalArgumentException("not a valid Ed25519 public key");
        }
        final byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + PUBLIC_KEY_LENGTH);
        System.arraycopy(raw, 0, der, X509_PREFIX.length, PUBLIC_KEY_LENGTH);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot decode Ed25519 keys", e);
        }
    }

    /**
     * True when the 32 bytes at {@code offset} are a canonical encoding of a point on Ed25519 that is not
     * of small order. The JDK decodes such keys lazily and would accept garbage here, so a malformed key
     * would fail only later in the TLS handshake (red-team class 1: validate credentials at decode).
     */
    public static boolean isValidPublicKey(final byte[] raw, final int offset) {
        return offset >= 0 && raw.length - offset >= PUBLIC_KEY_LENGTH && Ed25519.validatePublicKeyFull(raw, offset);
    }

    @Override
    public String toString() {
        // Never print the private half.
        return "IdentityKeyPair[public=" + HexFormat.of().formatHex(publicKeyRaw) + "]";
    }
}
