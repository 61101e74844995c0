package dev.derphole.perf;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what one receiver got and checks the sequence number every packet carries in its first 8 bytes
 * (big-endian): a jump forward counts the skipped numbers as lost (the relay drops the oldest packet when a
 * receiver's queue is full), a number at or below one already seen counts as late (reordered or duplicated:
 * neither may happen over one TCP-carried DERP path, so any is a bug).
 * <p>
 * Owned by one receiver thread (the only writer); any thread may read the counters, which are published with
 * release stores so a monitor sees recent values without a fence per packet.
 */
final class SequenceTracker {
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    private long expected;

    /** Records one packet of {@code length} bytes carrying {@code seq}. */
    void onPacket(final long seq, final int length) {
        if (seq == expected) {
            expected = seq + 1;
        } else if (seq > expected) {
            lost.lazySet(lost.getPlain() + (seq - expected));
            expected = seq + 1;
        } else {
            late.lazySet(late.getPlain() + 1);
        }
        delivered.lazySet(delivered.getPlain() + 1);
        bytes.lazySet(bytes.getPlain() + length);
    }

    long delivered() {
        return delivered.get();
    }

    long bytes() {
        return bytes.get();
    }

    long lost() {
        return lost.get();
    }

    long late() {
        return late.get();
    }

    /** Writes {@code seq} big-endian into {@code buf[0, 8)}. */
    static void putSeq(final byte[] buf, final long seq) {
        for (int i = 0; i < Long.BYTES; i++) {
            buf[i] = (byte)(seq >>> (56 - 8 * i));
        }
    }

    /** Reads the big-endian sequence number in {@code buf[off, off+8)}. */
    static long seqAt(final byte[] buf, final int off) {
        long v = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            v = v << 8 | (buf[off + i] & 0xff);
        }
        return v;
    }
}
