package dev.derphole.lanes.wire;

/**
 * Numbers sent as their low 32 bits and restored by the receiver, as QUIC restores packet numbers (RFC 9000
 * Appendix A.3): the restored value is the one with those low bits that lies closest to a reference the receiver
 * trusts, so it is exact whenever the true value is within 2^31 of the reference. Used for packet numbers
 * (reference: the largest authenticated one + 1) and DATA stream offsets (reference: the receiver's cumulative
 * offset). Stateless; a few arithmetic operations, no allocation.
 */
public final class Truncated {
    /** Values one truncated number can stand for are this far apart. */
    public static final long SPAN = 1L << 32;
    private static final long HALF_SPAN = SPAN / 2;
    private static final long MASK = SPAN - 1;
    /** Largest reference (exclusive), as in RFC 9000: far beyond any stream offset or packet count. */
    public static final long MAX_REFERENCE = 1L << 62;

    private Truncated() {
    }

    /** The low 32 bits of {@code value}, as sent. */
    public static int truncate(final long value) {
        return (int)value;
    }

    /**
     * The non-negative value with low 32 bits {@code low32} closest to {@code reference}: within
     * {@code (reference - 2^31, reference + 2^31]}, except near 0 (never negative) and near
     * {@link #MAX_REFERENCE} (never beyond it).
     *
     * @param low32     the low 32 bits as received (any int; read as unsigned)
     * @param reference where the value is expected, in {@code [0, MAX_REFERENCE)}
     */
    public static long expand(final int low32, final long reference) {
        final long candidate = (reference & ~MASK) | (low32 & MASK);
        if (candidate <= reference - HALF_SPAN && candidate < MAX_REFERENCE - SPAN) {
            return candidate + SPAN;
        }
        if (candidate > reference + HALF_SPAN && candidate >= SPAN) {
            return candidate - SPAN;
        }
        return candidate;
    }
}
