package dev.derphole.derp.stun;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** The 96-bit transaction id of a STUN message (RFC 5389 §6). Immutable value. */
public final class StunTransactionId {
    /** Length of a transaction id in bytes. */
    public static final int LENGTH = 12;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;

    private StunTransactionId(final byte[] bytes) {
        this.bytes = bytes;
    }

    /** @return a new id from a cryptographically strong generator (ids must not be guessable, RFC 5389 §6) */
    public static StunTransactionId random() {
        return random(RANDOM);
    }

    /**
     * @param random the generator (seeded ones are for tests)
     * @return a new id
     */
    public static StunTransactionId random(final RandomGenerator random) {
        final byte[] b = new byte[LENGTH];
        random.nextBytes(b);
        return new StunTransactionId(b);
    }

    /**
     * @param bytes exactly {@value #LENGTH} bytes (copied)
     * @return the id
     */
    public static StunTransactionId of(final byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a STUN transaction id has " + LENGTH + " bytes, not " + bytes.length);
        }
        return new StunTransactionId(bytes.clone());
    }

    /**
     * @param src    buffer
     * @param offset offset of the id in it
     * @return the id at that offset
     */
    public static StunTransactionId read(final byte[] src, final int offset) {
        Objects.checkFromIndexSize(offset, LENGTH, src.length);
        return new StunTransactionId(Arrays.copyOfRange(src, offset, offset + LENGTH));
    }

    /**
     * Writes the id into a buffer.
     *
     * @param dst    buffer
     * @param offset where the 12 bytes go
     */
    public void copyTo(final byte[] dst, final int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    /**
     * @param src    buffer
     * @param offset where an id starts in it
     * @return whether {@code src} holds this id at {@code offset} (allocation-free)
     */
    public boolean matches(final byte[] src, final int offset) {
        Objects.checkFromIndexSize(offset, LENGTH, src.length);
        return Arrays.equals(bytes, 0, LENGTH, src, offset, offset + LENGTH);
    }

    /** @return id byte {@code i}, 0..11 */
    int byteAt(final int i) {
        return bytes[i];
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof StunTransactionId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
