package dev.derphole.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for session packets, sealing or opening under one key with 12-byte nonces built as
 * {@code prefix (4 bytes, big-endian) || packet number (8 bytes, big-endian)}.
 * <p>
 * A sealer refuses any packet number that is not strictly greater than the last one it sealed, so a
 * nonce can never repeat under its key (every transmission, retransmissions included, must take a new
 * packet number). Openers accept any order; replay protection is the caller's job ({@link ReplayWindow}).
 * <p>
 * Works on heap {@code byte[]} through the JDK {@link Cipher}, which uses the AES-NI, CLMUL and AVX2
 * intrinsics (the JDK's GCM is 27-38 % slower on direct buffers, platform-measurements.md §2c). One
 * {@code Cipher} instance is reused for every packet.
 * <p>
 * <b>Allocation (measured, Temurin 25.0.3, x86-64):</b> the JDK API needs a {@code Cipher.init} per nonce,
 * and that allocates. {@code new GCMParameterSpec} costs 56 B (the object plus its IV copy); {@code init}
 * another ~80 B; the first AAD or data call after each {@code init} builds the GCM engine state (GHASH
 * subkey table, counter block, AAD buffer) for ~590 B; {@code doFinal} adds ~390 B. In total about
 * <b>1,110 B per seal and 1,120 B per open</b>, independent of the packet size. It is short-lived garbage
 * (TLAB bump allocation, dies young) and cannot be avoided through the public JDK API; everything else on
 * the packet path is allocation-free, so this class is where it is isolated. A failed tag check also
 * costs an exception with a stack trace (~6-20 µs), which is why callers check length, type and replay
 * before calling {@link #open}.
 * <p>
 * Owned by one thread; not thread-safe.
 */
public final class SessionAead {
    /** AES-256 key length in bytes. */
    public static final int KEY_LENGTH = 32;
    /** GCM tag length in bytes. */
    public static final int TAG_LENGTH = 16;
    /** Nonce length in bytes: 4-byte prefix and 8-byte packet number. */
    public static final int NONCE_LENGTH = 12;

    private static final int TAG_BITS = TAG_LENGTH * 8;

    private final Cipher cipher;
    private final SecretKeySpec key;
    private final boolean sealing;
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private long lastSealed = -1;

    private SessionAead(final byte[] key, final int noncePrefix, final boolean sealing) {
        if (key == null || key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("AES-256-GCM needs a 32-byte key");
        }
        this.key = new SecretKeySpec(key, "AES");
        this.sealing = sealing;
        nonce[0] = (byte)(noncePrefix >>> 24);
        nonce[1] = (byte)(noncePrefix >>> 16);
        nonce[2] = (byte)(noncePrefix >>> 8);
        nonce[3] = (byte)noncePrefix;
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding unavailable", e);
        }
    }

    /** A sealer for one direction: {@code key} (32 bytes, copied) and the direction's 4-byte nonce prefix. */
    public static SessionAead sealer(final byte[] key, final int noncePrefix) {
        return new SessionAead(key, noncePrefix, true);
    }

    /** An opener for one direction: {@code key} (32 bytes, copied) and the direction's 4-byte nonce prefix. */
    public static SessionAead opener(final byte[] key, final int noncePrefix) {
        return new SessionAead(key, noncePrefix, false);
    }

    /**
     * Seals {@code in[inOffset, inOffset + inLength)} with the additional data {@code aad[aadOffset, +aadLength)}
     * into {@code out[outOffset, ...)} as ciphertext followed by the 16-byte tag. In place ({@code in == out},
     * same offset) is allowed.
     *
     * @return bytes written: {@code inLength + TAG_LENGTH}
     * @throws IllegalStateException when {@code packetNumber} is not greater than the last one sealed, or on
     *                               an opener
     */
    public int seal(
        final long packetNumber,
        final byte[] aad, final int aadOffset, final int aadLength,
        final byte[] in, final int inOffset, final int inLength,
        final byte[] out, final int outOffset) {
        if (!sealing) {
            throw new IllegalStateException("opener cannot seal");
        }
        if (packetNumber <= lastSealed) {
            throw new IllegalStateException("packet number must increase: nonce reuse refused");
        }
        lastSealed = packetNumber;
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, nonceSpec(packetNumber));
            cipher.updateAAD(aad, aadOffset, aadLength);
            return cipher.doFinal(in, inOffset, inLength, out, outOffset);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    /**
     * Opens {@code in[inOffset, inOffset + inLength)} (ciphertext and tag) with the additional data into
     * {@code out[outOffset, ...)}. Use a separate output buffer: the JDK copies overlapping input first.
     *
     * @return plaintext length, or -1 when the input is shorter than a tag or the tag does not verify
     *         (nothing is thrown and the output is not to be trusted)
     */
    public int open(
        final long packetNumber,
        final byte[] aad, final int aadOffset, final int aadLength,
        final byte[] in, final int inOffset, final int inLength,
        final byte[] out, final int outOffset) {
        if (sealing) {
            throw new IllegalStateException("sealer cannot open");
        }
        if (inLength < TAG_LENGTH) {
            return -1;
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, nonceSpec(packetNumber));
            cipher.updateAAD(aad, aadOffset, aadLength);
            return cipher.doFinal(in, inOffset, inLength, out, outOffset);
        } catch (final AEADBadTagException e) {
            return -1;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }

    /** The nonce for a packet number: this direction's prefix and the number, big-endian. */
    public void nonce(final long packetNumber, final byte[] dst, final int offset) {
        System.arraycopy(nonce, 0, dst, offset, 4);
        for (int i = 0; i < 8; i++) {
            dst[offset + 4 + i] = (byte)(packetNumber >>> (56 - 8 * i));
        }
    }

    private GCMParameterSpec nonceSpec(final long packetNumber) {
        nonce(packetNumber, nonce, 0);
        // The JDK copies the IV, so reusing our array is safe; the spec object itself is per packet (see above).
        return new GCMParameterSpec(TAG_BITS, nonce);
    }

    /** Overwrites our copy of the nonce state; the JDK key object cannot be wiped. */
    public void destroy() {
        Arrays.fill(nonce, (byte)0);
    }
}
