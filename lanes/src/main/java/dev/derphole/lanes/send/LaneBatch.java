package dev.derphole.lanes.send;

/**
 * A burst of sealed datagrams for one lane in one preallocated buffer: the engine thread fills it, the lane's
 * thread sends it and hands it back (see {@link LaneSender}). Reused for the whole stream, so sending allocates
 * nothing.
 * <p>
 * Owned by one thread at a time (the engine while filling, the lane thread while sending); the SPSC queues
 * between them publish it safely.
 */
final class LaneBatch {
    /** Most datagrams in one batch: the engine's burst. */
    static final int MAX_PACKETS = 64;

    final byte[] data;
    final int[] offsets = new int[MAX_PACKETS];
    final int[] lengths = new int[MAX_PACKETS];
    int count;
    int used;
    /** Datagrams the lane could not send (set by the lane thread, read by the engine when the batch comes back). */
    int dropped;

    LaneBatch(final int bytes) {
        this.data = new byte[bytes];
    }

    /** Whether a datagram of {@code length} bytes still fits. */
    boolean fits(final int length) {
        return count < MAX_PACKETS && used + length <= data.length;
    }

    /** Appends a copy of {@code src[0, length)}; the caller checked {@link #fits}. */
    void add(final byte[] src, final int length) {
        System.arraycopy(src, 0, data, used, length);
        offsets[count] = used;
        lengths[count] = length;
        count++;
        used += length;
    }

    void clear() {
        count = 0;
        used = 0;
        dropped = 0;
    }
}
