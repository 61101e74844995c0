package dev.derphole.session.path;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * Stream datagrams that arrived before any direct path was promoted, kept for a moment instead of dropped.
 * <p>
 * Why: each side promotes a direct path when the peer acknowledges one of its own probes, so the receiver may
 * promote up to a round trip after the sender switched its stream, and the sender's first flight arrives at a
 * socket that has no path for it yet. Dropped, it costs the sender a retransmission timeout before it hears
 * anything on the new path. Held, it is handed to the path once that very address is promoted (the normal
 * ACK-validated way; nothing here validates anything) and its handler is installed; everything else is dropped
 * after {@link #MAX_AGE_NS}. Packets are authenticated later, by the stream engine, as any other.
 * <p>
 * Bounded: at most {@link #MAX_PACKETS} datagrams and {@link #MAX_BYTES} bytes; anything beyond is dropped.
 * Owned by the endpoint's receive thread; not thread-safe.
 */
final class EarlyStream {
    /** Most datagrams held (the stream sender's first flight is 10). */
    static final int MAX_PACKETS = 64;
    /** Most bytes held. */
    static final int MAX_BYTES = 128 * 1024;
    /** How long a datagram is held, in ns: a few round trips on any path worth promoting. */
    static final long MAX_AGE_NS = 1_000_000_000L;

    private final byte[] bytes = new byte[MAX_BYTES];
    private final int[] offsets = new int[MAX_PACKETS];
    private final int[] lengths = new int[MAX_PACKETS];
    private final InetSocketAddress[] sources = new InetSocketAddress[MAX_PACKETS];
    private final long[] receivedNs = new long[MAX_PACKETS];
    private int count;
    private int used;
    private long firstHeldNs;

    boolean isEmpty() {
        return count == 0;
    }

    int size() {
        return count;
    }

    /**
     * Holds {@code data[offset, offset + length)} from {@code source}, which reached the host at {@code arrivedNs}
     * (0 = unknown: the stream engine then times it when it takes it).
     *
     * @return false when it does not fit (the caller counts it dropped)
     */
    boolean hold(final InetSocketAddress source, final MemorySegment data, final long offset, final int length,
        final long arrivedNs, final long nowNs) {
        if (count == MAX_PACKETS || used + length > MAX_BYTES) {
            return false;
        }
        if (count == 0) {
            firstHeldNs = nowNs;
        }
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, offset, bytes, used, length);
        offsets[count] = used;
        lengths[count] = length;
        sources[count] = source;
        receivedNs[count] = arrivedNs;
        used += length;
        count++;
        return true;
    }

    /**
     * Hands the held datagrams from {@code path}'s address to it, in arrival order, once its handler is installed;
     * forgets them all then, or once they are too old.
     *
     * @return datagrams dropped (from other addresses, or too old)
     */
    int release(final DirectPath path, final byte[] scratch, final long nowNs) {
        if (count == 0) {
            return 0;
        }
        if (nowNs - firstHeldNs > MAX_AGE_NS) {
            final int dropped = count;
            clear();
            return dropped;
        }
        if (path == null || !path.hasReceiver()) {
            return 0;
        }
        final MemorySegment held = MemorySegment.ofArray(bytes);
        int dropped = 0;
        for (int i = 0; i < count; i++) {
            if (path.remote().equals(sources[i])) {
                path.deliver(held, offsets[i], lengths[i], scratch, receivedNs[i]);
            } else {
                dropped++;
            }
        }
        clear();
        return dropped;
    }

    private void clear() {
        java.util.Arrays.fill(sources, 0, count, null);
        count = 0;
        used = 0;
    }
}
