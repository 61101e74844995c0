package dev.derphole.derp.client;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one {@link DerpClient}, readable from any thread at any time. The per-packet ones have a single
 * writer each (packets in: the reader; packets out: the writer), which increments with a release store
 * instead of an atomic add; the rest are rare and use atomic adds.
 */
public final class DerpCounters {
    private final AtomicLong packetsIn = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong packetsOut = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong failedDials = new AtomicLong();
    private final AtomicLong unknownFrames = new AtomicLong();
    private final AtomicLong pacedWaits = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);

    /** Packets received from the relay (queued for the application unless the connection was torn down). */
    public long packetsIn() {
        return packetsIn.get();
    }

    /** Packet data bytes received (without frame header and source key). */
    public long bytesIn() {
        return bytesIn.get();
    }

    /** Packets written and flushed to the relay. */
    public long packetsOut() {
        return packetsOut.get();
    }

    /** Packet data bytes written and flushed (without frame header and destination key). */
    public long bytesOut() {
        return bytesOut.get();
    }

    /** Successful redials after a dropped connection. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Redial attempts that failed. */
    public long failedDials() {
        return failedDials.get();
    }

    /** Frames of types this client does not know, skipped. */
    public long unknownFrames() {
        return unknownFrames.get();
    }

    /** Times the writer waited to stay inside the relay's advertised token bucket. */
    public long pacedWaits() {
        return pacedWaits.get();
    }

    /** Writer flushes (syscalls or TLS record batches); packetsOut / flushes is the batching factor. */
    public long flushes() {
        return flushes.get();
    }

    public long drops(final DropReason reason) {
        return drops.get(reason.ordinal());
    }

    void onPacketIn(final int length) {
        // Single writer (the reader thread): a release store is enough and costs no atomic instruction.
        packetsIn.setRelease(packetsIn.getPlain() + 1);
        bytesIn.setRelease(bytesIn.getPlain() + length);
    }

    void onPacketsOut(final int packets, final long bytes) {
        // Single writer (the writer thread).
        packetsOut.setRelease(packetsOut.getPlain() + packets);
        bytesOut.setRelease(bytesOut.getPlain() + bytes);
        flushes.setRelease(flushes.getPlain() + 1);
    }

    void onReconnect() {
        reconnects.incrementAndGet();
    }

    void onFailedDial() {
        failedDials.incrementAndGet();
    }

    void onUnknownFrame() {
        unknownFrames.incrementAndGet();
    }

    void onPacedWait() {
        pacedWaits.incrementAndGet();
    }

    void onDrop(final DropReason reason, final long count) {
        drops.addAndGet(reason.ordinal(), count);
    }

    @Override
    public String toString() {
        final StringBuilder b = new StringBuilder(192)
            .append("packetsIn=").append(packetsIn()).append(" bytesIn=").append(bytesIn())
            .append(" packetsOut=").append(packetsOut()).append(" bytesOut=").append(bytesOut())
            .append(" reconnects=").append(reconnects()).append(" failedDials=").append(failedDials())
            .append(" flushes=").append(flushes()).append(" unknownFrames=").append(unknownFrames())
            .append(" pacedWaits=").append(pacedWaits());
        for (final DropReason r : DropReason.values()) {
            b.append(" drops.").append(r.name()).append('=').append(drops(r));
        }
        return b.toString();
    }
}
