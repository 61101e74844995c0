package dev.derphole.crypto;

/**
 * Sliding-window replay filter over 64-bit packet numbers (the RFC 4303 §3.4.3 / WireGuard scheme): remembers
 * which of the last {@code windowBits} numbers below the highest accepted one were seen, and rejects
 * repeats and anything older than the window.
 * <p>
 * Check with {@link #isFresh} before authenticating (cheap drop) and {@link #accept} only after the packet
 * authenticated, so forged packets can never move the window.
 * <p>
 * Owned by one thread; not thread-safe. Allocation-free after construction.
 */
public final class ReplayWindow {
    private final long[] bits;
    private final int windowBits;
    private final int wordMask;
    private long highest = -1;

    /** @param windowBits how many packet numbers below the highest are remembered; a power of two, at least 64 */
    public ReplayWindow(final int windowBits) {
        if (windowBits < 64 || Integer.bitCount(windowBits) != 1) {
            throw new IllegalArgumentException("windowBits must be a power of two >= 64: " + windowBits);
        }
        this.windowBits = windowBits;
        this.bits = new long[windowBits / 64];
        this.wordMask = bits.length - 1;
    }

    /** Highest accepted packet number, or -1. */
    public long highest() {
        return highest;
    }

    /** True when {@code packetNumber} is non-negative, inside the window and not seen before. */
    public boolean isFresh(final long packetNumber) {
        if (packetNumber < 0) {
            return false;
        }
        if (packetNumber > highest) {
            return true;
        }
        if (highest - packetNumber >= windowBits) {
            return false;
        }
        return (bits[word(packetNumber)] & mask(packetNumber)) == 0;
    }

    /** Marks an authenticated packet number seen; returns false (and changes nothing) when it was not fresh. */
    public boolean accept(final long packetNumber) {
        if (!isFresh(packetNumber)) {
            return false;
        }
        if (packetNumber > highest) {
            final long advance = packetNumber - highest;
            if (highest < 0 || advance >= windowBits) {
                java.util.Arrays.fill(bits, 0L);
            } else {
                for (long n = highest + 1; n <= packetNumber; n++) {
                    if ((n & 63) == 0 && packetNumber - n >= 63) {
                        bits[word(n)] = 0L;
                        n += 63;
                    } else {
                        bits[word(n)] &= ~mask(n);
                    }
                }
            }
            highest = packetNumber;
        }
        bits[word(packetNumber)] |= mask(packetNumber);
        return true;
    }

    private int word(final long packetNumber) {
        return (int)(packetNumber >>> 6) & wordMask;
    }

    private static long mask(final long packetNumber) {
        return 1L << (packetNumber & 63);
    }
}
