package dev.derphole.crypto;

import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.KDF;
import javax.crypto.SecretKey;
import javax.crypto.spec.HKDFParameterSpec;

/**
 * Derives the session's keys from the token's bearer secret with HKDF-SHA256 (RFC 5869) through the JDK's
 * {@code javax.crypto.KDF} (JEP 510): {@code ikm} = bearer secret, {@code salt} = session id, {@code info}
 * = the {@link KeyPurpose} label. Salting with the session id keeps keys of different sessions apart even
 * if a secret were ever reused.
 * <p>
 * Immutable and thread-safe; holds a private copy of the secret. Derivation builds a {@code KDF} per call:
 * it runs a few times per session, never per packet.
 */
public final class SessionKeyDerivation {
    /** Length in bytes of the bearer secret a token carries. */
    public static final int SECRET_LENGTH = 32;
    /** Length in bytes of a session id. */
    public static final int SESSION_ID_LENGTH = 16;
    /** Length in bytes of a derived AES-256 key. */
    public static final int KEY_LENGTH = 32;

    private static final String ALGORITHM = "HKDF-SHA256";
    /** RFC 5869 §2.3: L <= 255 * HashLen. */
    private static final int MAX_OUTPUT_LENGTH = 255 * 32;

    private final byte[] bearerSecret;
    private final byte[] sessionId;

    /**
     * @param bearerSecret the token's 32-byte bearer secret (copied)
     * @param sessionId    the token's 16-byte session id (copied)
     */
    public SessionKeyDerivation(final byte[] bearerSecret, final byte[] sessionId) {
        if (bearerSecret.length != SECRET_LENGTH) {
            throw new IllegalArgumentException("bearer secret must be 32 bytes, got " + bearerSecret.length);
        }
        if (sessionId.length != SESSION_ID_LENGTH) {
            throw new IllegalArgumentException("session id must be 16 bytes, got " + sessionId.length);
        }
        this.bearerSecret = bearerSecret.clone();
        this.sessionId = sessionId.clone();
    }

    /** The 32-byte AES-256 key for {@code purpose}. */
    public SecretKey aesKey(final KeyPurpose purpose) {
        try {
            return kdf().deriveKey("AES", spec(bearerSecret, sessionId, purpose.info(), KEY_LENGTH));
        } catch (final InvalidAlgorithmParameterException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("HKDF-SHA256 rejected AES key derivation", e);
        }
    }

    /** {@code length} bytes of key material for {@code purpose} (e.g. a MAC key or a QUIC secret). */
    public byte[] keyBytes(final KeyPurpose purpose, final int length) {
        return hkdfSha256(bearerSecret, sessionId, purpose.info(), length);
    }

    /** HKDF-SHA256 extract-then-expand (RFC 5869 §2), exposed for the known-answer tests. */
    static byte[] hkdfSha256(final byte[] ikm, final byte[] salt, final byte[] info, final int length) {
        if (length < 1 || length > MAX_OUTPUT_LENGTH) {
            throw new IllegalArgumentException("HKDF-SHA256 output must be 1.." + MAX_OUTPUT_LENGTH + " bytes");
        }
        try {
            return kdf().deriveData(spec(ikm, salt, info, length));
        } catch (final InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("HKDF-SHA256 rejected its parameters", e);
        }
    }

    private static HKDFParameterSpec spec(final byte[] ikm, final byte[] salt, final byte[] info, final int length) {
        return HKDFParameterSpec.ofExtract().addIKM(ikm).addSalt(salt).thenExpand(info, length);
    }

    private static KDF kdf() {
        try {
            return KDF.getInstance(ALGORITHM);
        } catch (final NoSuchAlgorithmException e) {
            // Every JDK 25 ships HKDF-SHA256 (SunJCE); its absence is a broken runtime, not bad input.
            throw new IllegalStateException("this JDK has no " + ALGORITHM, e);
        }
    }

    @Override
    public String toString() {
        // Never print the secret; the session id is not secret but identifies the session in logs.
        return "SessionKeyDerivation[session=" + HexFormat.of().formatHex(sessionId) + "]";
    }
}
