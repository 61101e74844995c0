package dev.derphole.lanes.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.jctools.queues.MpmcArrayQueue;
import org.jctools.queues.MpscArrayQueue;

import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/**
 * Hands datagrams from path receive threads to the engine thread without allocating per packet: each attached path
 * gets its own pool of {@link Slot}s sized for its datagrams (and a second one for larger datagrams from the peer,
 * see {@link PathPort}); its receive thread copies a datagram into
 * a free slot and offers the slot to one bounded MPSC queue that the engine drains; the engine gives slots
 * back after use. A full pool or queue drops the datagram and counts it ({@code inbound-drops}): the stream
 * engine repairs it like any other loss. Memory is bounded by {@code bytesPerPath} per pool.
 * <p>
 * {@link #attach} and {@link #close} may be called from any thread; {@link #poll} and {@link #release} belong
 * to the engine thread; the handlers run on path receive threads (any number of them).
 */
public final class Inbox {
    /** Fewest slots a path gets, whatever its datagram size. */
    private static final int MIN_SLOTS_PER_PATH = 16;
    /** Slots made at once per pool, in bytes (at least {@link #MIN_SLOTS_PER_PATH} slots); see {@link Pool}. */
    static final int EAGER_BYTES = 512 * 1024;
    /** Bytes of one block of slots made in the background ({@link Pool}): over the launcher's pretenure threshold. */
    static final int BLOCK_BYTES = 1 << 20;
    /** Slot size from which a pool's slots are made only as needed. */
    static final int LAZY_SLOT_BYTES = 16 * 1024;
    /** Most slots a path gets. */
    private static final int MAX_SLOTS_PER_PATH = 8192;
    /** Capacity of the shared queue to the engine. */
    private static final int QUEUE_CAPACITY = 16_384;

    /** One received datagram on its way to the engine: {@code length} bytes at {@code offset} of {@code data}. */
    public static final class Slot {
        /** The slot's bytes, shared with the other slots carved from the same block (see {@link Pool}). */
        public final byte[] data;
        public final int offset;
        public int length;
        public PathPort port;
        /** When the datagram reached the host ({@link PacketBatch#receivedNs(int)}'s clock), or 0 when unknown. */
        public long receivedNs;
        private final Pool pool;

        Slot(final Pool pool, final byte[] data, final int offset) {
            this.pool = pool;
            this.data = data;
            this.offset = offset;
        }
    }

    /**
     * Free slots of one size, at most {@code slots} of them; a slot goes back to the pool it came from.
     * {@link #EAGER_BYTES} of them are made at once. A pool of datagram-sized slots (a direct path) makes the rest
     * on a virtual thread of its own, so the engine never allocates per packet once it is full; a pool of slots of
     * at least {@link #LAZY_SLOT_BYTES} (the relay's large datagrams) makes them only when the path's rate needs
     * them (no free slot left), then keeps them: a relay path rarely needs many. Making them all on the caller's
     * thread put the allocation between a path and its use: 8 MiB of 64 KiB slots took the listener ~25 ms between
     * accepting a claim and answering it (the relay path), and 8 MiB of 1.5 KiB slots ~55 ms between validating
     * the direct path and taking it (the WAN lab's loaded listener), with the sender's first direct flight waiting.
     */
    static final class Pool {
        final MpmcArrayQueue<Slot> free;
        final int slotSize;
        private final int capacity;
        private final AtomicInteger made = new AtomicInteger();

        Pool(final int slotSize, final int slots) {
            this.slotSize = slotSize;
            this.capacity = Math.max(2, slots);
            this.free = new MpmcArrayQueue<>(capacity);
            final int eager = Math.min(capacity, Math.max(MIN_SLOTS_PER_PATH, EAGER_BYTES / slotSize));
            for (int i = 0; i < eager; i++) {
                free.offer(new Slot(this, new byte[slotSize], 0));
            }
            made.set(eager);
            if (slotSize < LAZY_SLOT_BYTES && eager < capacity) {
                Thread.ofVirtual().name("derphole-inbox-fill").start(this::fill);
            }
        }

        /**
         * Makes the rest of the pool ({@link #take} may be making some too; the bound holds for both), carved from
         * blocks of {@link #BLOCK_BYTES}: a block that size is allocated straight into the old generation
         * ({@code PretenureSizeThreshold} in the launcher), where the pool ends up anyway. One array per slot put 8
         * MiB of a receiver's direct-path slots in the young generation, and the first young collection after the
         * path came up copied them all: a 9-21 ms pause in the WAN lab's ramp.
         */
        private void fill() {
            final int perBlock = Math.max(1, BLOCK_BYTES / slotSize);
            for (int n = reserve(perBlock); n > 0; n = reserve(perBlock)) {
                final byte[] block = new byte[n * slotSize];
                for (int i = 0; i < n; i++) {
                    free.offer(new Slot(this, block, i * slotSize));
                }
            }
        }

        /** A free slot, made now while fewer than the bound exist; null when all are in use. */
        Slot take() {
            final Slot slot = free.relaxedPoll();
            if (slot != null) {
                return slot;
            }
            return reserve(1) == 1 ? new Slot(this, new byte[slotSize], 0) : null;
        }

        /** Counts up to {@code wanted} more slots as made, within the bound: the caller then makes that many. */
        private int reserve(final int wanted) {
            for (int n = made.get(); n < capacity; n = made.get()) {
                final int granted = Math.min(wanted, capacity - n);
                if (made.compareAndSet(n, n + granted)) {
                    return granted;
                }
            }
            return 0;
        }

        /** Slots made so far. */
        int made() {
            return made.get();
        }
    }

    /**
     * The handler installed on one path, with that path's slot pools: one sized for the path's datagrams and,
     * made on the first datagram that needs it, one for larger datagrams the peer may send (up to the path's
     * receive limit), each bounded by {@code bytesPerPath}.
     */
    public static final class PathPort implements PacketPath.PacketHandler {
        private final Inbox inbox;
        private final PacketPath path;
        private final Pool pool;
        private final int receiveLimit;
        private volatile Pool largePool;

        PathPort(final Inbox inbox, final PacketPath path, final int slotSize, final int receiveLimit) {
            this.inbox = inbox;
            this.path = path;
            this.pool = new Pool(slotSize, inbox.slotsFor(slotSize));
            this.receiveLimit = receiveLimit;
        }

        private Pool poolFor(final int length) {
            if (length <= pool.slotSize) {
                return pool;
            }
            if (length > receiveLimit) {
                return null;
            }
            Pool large = largePool;
            if (large == null) {
                synchronized (this) {
                    large = largePool;
                    if (large == null) {
                        // Once per path, on its receive thread: the peer's direction has a larger path MTU.
                        large = new Pool(receiveLimit, inbox.slotsFor(receiveLimit));
                        largePool = large;
                    }
                }
            }
            return large;
        }

        /** Bytes per slot of the main pool. */
        public int slotSize() {
            return pool.slotSize;
        }

        /** Slots of the main pool made so far (tests). */
        int slotsMade() {
            return pool.made();
        }

        public PacketPath path() {
            return path;
        }

        @Override
        public void onPacket(final PacketPath from, final byte[] buffer, final int offset, final int length) {
            final Slot slot = claim(length, length < 1 ? 0 : buffer[offset] & 0xFF);
            if (slot != null) {
                System.arraycopy(buffer, offset, slot.data, slot.offset, length);
                slot.receivedNs = 0;
                enqueue(slot, length);
            }
        }

        @Override
        public void onPacket(
            final PacketPath from, final MemorySegment segment, final long offset, final int length,
            final byte[] scratch) {
            onPacket(from, segment, offset, length, scratch, 0);
        }

        /** Copies the datagram from the receive batch straight into a slot (no intermediate heap copy). */
        @Override
        public void onPacket(
            final PacketPath from, final MemorySegment segment, final long offset, final int length,
            final byte[] scratch, final long receivedNs) {
            final Slot slot = claim(length, length < 1 ? 0 : segment.get(ValueLayout.JAVA_BYTE, offset) & 0xFF);
            if (slot != null) {
                MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, slot.data, slot.offset, length);
                slot.receivedNs = receivedNs;
                enqueue(slot, length);
            }
        }

        /** A free slot for a datagram of {@code length} bytes starting with {@code firstByte}, or null (counted). */
        private Slot claim(final int length, final int firstByte) {
            final StreamCounters counters = inbox.counters;
            if (inbox.closed) {
                counters.increment(StreamCounters.AFTER_CLOSE);
                return null;
            }
            final Pool target = length < 1 ? null : poolFor(length);
            if (target == null || !PacketType.isStreamPacket(firstByte)) {
                counters.increment(StreamCounters.MALFORMED);
                return null;
            }
            final Slot slot = target.take();
            if (slot == null) {
                counters.increment(StreamCounters.INBOUND_DROPS);
            }
            return slot;
        }

        private void enqueue(final Slot slot, final int length) {
            slot.length = length;
            slot.port = this;
            if (!inbox.queue.offer(slot)) {
                slot.pool.free.offer(slot);
                inbox.counters.increment(StreamCounters.INBOUND_DROPS);
                return;
            }
            inbox.signal.signal();
        }
    }

    private final MpscArrayQueue<Slot> queue = new MpscArrayQueue<>(QUEUE_CAPACITY);
    private final List<PathPort> ports = new ArrayList<>();
    private final StreamCounters counters;
    private final Signal signal;
    private final int bytesPerPath;
    private final int maxDatagramLength;
    private volatile boolean closed;

    public Inbox(final StreamCounters counters, final Signal signal, final int bytesPerPath) {
        this(counters, signal, bytesPerPath, WireFormat.MAX_DATAGRAM_LENGTH);
    }

    /**
     * @param maxDatagramLength the largest datagram this side's peer sends: slots are no larger, longer datagrams
     *                          are dropped as malformed (a sender's inbox only takes ACKs, HEARTBEATs and ABORTs)
     */
    public Inbox(final StreamCounters counters, final Signal signal, final int bytesPerPath,
        final int maxDatagramLength) {
        this.counters = counters;
        this.signal = signal;
        this.bytesPerPath = bytesPerPath;
        this.maxDatagramLength = Math.clamp(maxDatagramLength, 64, WireFormat.MAX_DATAGRAM_LENGTH);
    }

    /** Installs our handler on {@code path} (once per path; again on re-attach) and returns its port. */
    public PathPort attach(final PacketPath path) {
        PathPort port = null;
        synchronized (ports) {
            for (final PathPort p : ports) {
                if (p.path == path) {
                    port = p;
                }
            }
            if (port == null) {
                final int slotSize = Math.min(maxDatagramLength,
                    Math.max(64, Math.max(path.maxDatagramLength(), path.typicalReceiveLength())));
                final int receiveLimit = Math.clamp(path.maxReceiveLength(), slotSize, maxDatagramLength);
                port = new PathPort(this, path, slotSize, receiveLimit);
                ports.add(port);
            }
        }
        path.receiver(port);
        return port;
    }

    /** Engine: next datagram or null. */
    public Slot poll() {
        return queue.relaxedPoll();
    }

    /** Engine: returns a slot to its pool. */
    public void release(final Slot slot) {
        slot.pool.free.offer(slot);
    }

    private int slotsFor(final int slotSize) {
        return Math.clamp(bytesPerPath / slotSize, MIN_SLOTS_PER_PATH, MAX_SLOTS_PER_PATH);
    }

    /** From now on datagrams are counted as {@code after-close} and dropped; queued ones are released. */
    public void close() {
        closed = true;
        Slot slot;
        while ((slot = queue.relaxedPoll()) != null) {
            release(slot);
        }
    }

    public boolean isClosed() {
        return closed;
    }
}
