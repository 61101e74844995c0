package dev.derphole.udp;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * A reusable view of one slot of a {@link PacketBatch}: the batch and an index, nothing copied. Wrap it
 * once per slot instead of passing (batch, index) pairs around; it allocates nothing itself.
 * <p>
 * Owned by the thread that owns the batch; not thread-safe.
 */
public final class PacketSlot {
    private PacketBatch batch;
    private int index;

    /** Points this view at slot {@code index} of {@code batch}; returns this. */
    public PacketSlot wrap(final PacketBatch batch, final int index) {
        if (index < 0 || index >= batch.count()) {
            throw new IndexOutOfBoundsException("slot " + index + " of " + batch.count() + " in use");
        }
        this.batch = batch;
        this.index = index;
        return this;
    }

    /** The batch this view reads. */
    public PacketBatch batch() {
        return batch;
    }

    /** The slot index. */
    public int index() {
        return index;
    }

    /** Payload length in bytes. */
    public int length() {
        return batch.length(index);
    }

    /** Offset of the payload in {@link #memory()}. */
    public long offset() {
        return batch.offset(index);
    }

    /** The batch memory holding the payload at {@link #offset()}. */
    public MemorySegment memory() {
        return batch.data();
    }

    /** Copies the payload into {@code dst} at {@code dstOffset}; returns its length. */
    public int copyTo(final byte[] dst, final int dstOffset) {
        return batch.copyTo(index, dst, dstOffset);
    }

    /** Source (received) or destination (to send); null when none. Allocates. */
    public InetSocketAddress address() {
        return batch.address(index);
    }

    @Override
    public String toString() {
        return batch == null ? "PacketSlot[unbound]" : "PacketSlot[" + index + ", " + batch.length(index) + " B]";
    }
}
