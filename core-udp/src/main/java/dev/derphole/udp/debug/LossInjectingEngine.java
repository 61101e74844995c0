package dev.derphole.udp.debug;

import java.io.IOException;
import java.net.InetSocketAddress;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.EngineCounters;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;

/**
 * A {@link DatagramEngine} decorator that loses, duplicates and reorders outgoing datagrams by a seeded
 * {@link LossModel}, for testing the layers above on a perfect loopback. Each {@link #sendBatch} copies the
 * batch into a staging batch applying one decision per datagram: dropped ones are skipped, duplicated
 * ones copied twice in a row, delayed ones held and sent at the end of the <i>next</i> call (or by
 * {@link #releaseDelayed()}). Receives pass straight through.
 * <p>
 * The caller sees every datagram as sent (the loss happens "in the network"): {@code sendBatch} returns
 * the batch's count unless the real engine refused some.
 * <p>
 * Thread ownership as for {@link DatagramEngine}: the send side's state belongs to the send thread.
 */
public final class LossInjectingEngine implements DatagramEngine {
    /** Datagrams that may be held back for reordering at once; beyond that a delay becomes a pass. */
    private static final int MAX_DELAYED = 64;

    private final DatagramEngine delegate;
    private final LossModel model;
    private PacketBatch staging;
    private PacketBatch delayed;
    private PacketBatch nextDelayed;

    /**
     * @param delegate the real engine; closed with this one
     * @param model    decisions for outgoing datagrams
     */
    public LossInjectingEngine(final DatagramEngine delegate, final LossModel model) {
        this.delegate = delegate;
        this.model = model;
        final int slotCapacity = delegate.config().maxDatagramBytes();
        this.delayed = PacketBatch.gcManaged(MAX_DELAYED, slotCapacity);
        this.nextDelayed = PacketBatch.gcManaged(MAX_DELAYED, slotCapacity);
    }

    /** The decisions in use (for their counts). */
    public LossModel model() {
        return model;
    }

    @Override
    public int sendBatch(final PacketBatch batch, final int gsoSegmentBytes) throws IOException {
        final int count = batch.count();
        final PacketBatch out = stagingFor(2 * count + delayed.count(), batch.slotCapacity());
        out.clear();
        nextDelayed.clear();
        for (int i = 0; i < count; i++) {
            switch (model.next()) {
                case DROP -> {
                }
                case DUPLICATE -> {
                    copy(batch, i, out);
                    copy(batch, i, out);
                }
                case DELAY -> {
                    if (nextDelayed.isFull() || batch.length(i) > nextDelayed.slotCapacity()) {
                        copy(batch, i, out);
                    } else {
                        copy(batch, i, nextDelayed);
                    }
                }
                default -> copy(batch, i, out);
            }
        }
        for (int i = 0; i < delayed.count(); i++) {
            copy(delayed, i, out);
        }
        final PacketBatch swap = delayed;
        delayed = nextDelayed;
        nextDelayed = swap;
        final int sent = out.count() == 0 ? 0 : delegate.sendBatch(out, gsoSegmentBytes);
        return Math.max(0, count - (out.count() - sent));
    }

    /** Sends the datagrams still held for reordering; returns how many the engine accepted. */
    public int releaseDelayed() throws IOException {
        if (delayed.count() == 0) {
            return 0;
        }
        final int sent = delegate.sendBatch(delayed);
        delayed.clear();
        return sent;
    }

    /** Datagrams currently held back for reordering. */
    public int delayedCount() {
        return delayed.count();
    }

    private PacketBatch stagingFor(final int slots, final int slotCapacity) {
        final int needed = Math.max(1, slots);
        final int capacity = Math.max(slotCapacity, delegate.config().maxDatagramBytes());
        if (staging == null || staging.capacity() < needed || staging.slotCapacity() < capacity) {
            staging = PacketBatch.gcManaged(needed, capacity);
        }
        return staging;
    }

    private static void copy(final PacketBatch from, final int slot, final PacketBatch to) {
        final int target = to.add(from.data(), from.offset(slot), from.length(slot));
        to.address(target, from.addresses(), PacketBatch.addressOffset(slot));
    }

    @Override
    public int receiveBatch(final PacketBatch batch, final long timeoutNanos) throws IOException {
        return delegate.receiveBatch(batch, timeoutNanos);
    }

    @Override
    public EngineKind kind() {
        return delegate.kind();
    }

    @Override
    public DatagramEngineConfig config() {
        return delegate.config();
    }

    @Override
    public InetSocketAddress localAddress() {
        return delegate.localAddress();
    }

    @Override
    public boolean supportsGso() {
        return delegate.supportsGso();
    }

    @Override
    public boolean groEnabled() {
        return delegate.groEnabled();
    }

    @Override
    public boolean dontFragment() {
        return delegate.dontFragment();
    }

    @Override
    public boolean receiveTimestamps() {
        return delegate.receiveTimestamps();
    }

    @Override
    public EngineCounters counters() {
        return delegate.counters();
    }

    @Override
    public PacketBatch newReceiveBatch() {
        return delegate.newReceiveBatch();
    }

    @Override
    public boolean isOpen() {
        return delegate.isOpen();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "LossInjectingEngine[" + delegate + ", " + model + "]";
    }
}
