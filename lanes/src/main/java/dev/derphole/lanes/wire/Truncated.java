package dev.derphole.lanes.wire;

/**
 * Numbers sent as their low bits and restored by the receiver, as QUIC restores packet numbers (RFC 9000
 * Appendix A.3): the restored value is the one with those low bits that lies closest to a reference the receiver
 * trusts, so it is exact whenever the true value is within half a span (2^(bits-1)) of the reference. Packet numbers
 * travel as 24 bits (reference: the largest authenticated one + 1), DATA stream offsets as 32 (reference: the
 * receiver's cumulative offset). A few arithmetic operations, no allocation.
 */
public final class Truncated {
    /** Packet numbers: 24 bits, exact within 2^23 packets of the newest, far beyond the 2^16-packet replay window. */
    public static final Truncated PACKET_NUMBER = new Truncated(24);
    /** DATA stream offsets: 32 bits, exact within 2^31 bytes of the cumulative offset. */
    public static final Truncated STREAM_OFFSET = new Truncated(32);
    /** Largest reference (exclusive), as in RFC 9000: far beyond any stream offset or packet count. */
    public static final long MAX_REFERENCE = 1L << 62;

    private final long span;
    private final long halfSpan;
    private final long mask;

    private Truncated(final int bits) {
        this.span = 1L << bits;
        this.halfSpan = span / 2;
        this.mask = span - 1;
    }

    /** Values one truncated number can stand for are this far apart. */
    public long span() {
        return span;
    }

    /** The low bits of {@code value}, as sent. */
    public int truncate(final long value) {
        return (int)(value & mask);
    }

    /**
     * The non-negative value with low bits {@code low} closest to {@code reference}: within
     * {@code (reference - span/2, reference + span/2]}, except near 0 (never negative) and near
     * {@link #MAX_REFERENCE} (never beyond it).
     *
     * @param low       the low bits as received (bits above the span are ignored; read as unsigned)
     * @param reference where the value is expected, in {@code [0, MAX_REFERENCE)}
     */
    public long expand(final int low, final long reference) {
        final long candidate = (reference & ~mask) | (low & mask);
        if (candidate <= reference - halfSpan && candidate < MAX_REFERENCE - span) {
            return candidate + span;
        }
        if (candidate > reference + halfSpan && candidate >= span) {
            return candidate - span;
        }
        return candidate;
    }
}
