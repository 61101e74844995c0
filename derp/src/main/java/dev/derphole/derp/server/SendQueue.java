package dev.derphole.derp.server;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.NodeKey;

/**
 * Everything waiting to be written to one client: a bounded ring of packets that drops its OLDEST packet when
 * full (derper's {@code queue_head}: fresh packets matter more than old ones), a small bounded queue of control
 * frames (PeerGone, Health), and at most one pending Pong (a newer ping replaces an unanswered one).
 * <p>
 * Many producers (the reader threads of every sender, plus the registry) offer; exactly one consumer, the
 * client's {@link ClientWriter}, drains whole batches. Offers never block on the consumer: they take a short lock,
 * copy the packet into a slot and return, so a slow receiver can never stall a sender's reader. Packet bytes are
 * copied into per-slot arrays that circulate between the ring and the writer's {@link Batch} (the writer swaps a
 * spare array in for each one it takes), so steady traffic allocates nothing, whatever the packet size. Arrays up
 * to {@link #RETAIN_BUFFER_MAX} bytes are kept for good; bigger ones only while traffic flows: once the queue has
 * been idle for {@link #IDLE_TRIM_NS} the writer's drain lets them go, so an idle client holds at most
 * capacity × {@link #RETAIN_BUFFER_MAX} bytes. (Busy, it holds what a full queue plus one batch in flight hold.)
 */
final class SendQueue {
    /** Control frames (PeerGone, Health) queued per client; more are dropped and counted. */
    static final int CONTROL_CAPACITY = 256;
    /** Slot arrays up to this size are kept for reuse for good; bigger ones until the queue goes idle. */
    static final int RETAIN_BUFFER_MAX = 4096;
    /**
     * Idle time (no packet queued) after which arrays bigger than {@link #RETAIN_BUFFER_MAX} are released, in ns.
     * Long enough that a bulk transfer never pays for allocating and zeroing a 16-64 KiB array per packet (that
     * garbage made the relay's heap, and RSS, grow with throughput), short enough that idle clients stay small.
     */
    static final long IDLE_TRIM_NS = 1_000_000_000L;
    /** Smallest slot array allocated, so small packets of varying size reuse one array. */
    static final int MIN_BUFFER = 1024;

    /** A queued control frame: PeerGone (key + reason) or Health (text). */
    record Control(int frameType, NodeKey key, int reason, byte[] text) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final DerpServerCounters counters;
    private final int capacity;
    private final byte[][] data;
    private final int[] lengths;
    private final NodeKey[] sources;
    private final ArrayDeque<Control> control = new ArrayDeque<>();
    private int head;
    private int size;
    private boolean pongPending;
    private long pongData;
    private boolean closed;
    private boolean consumerWaiting;
    /** True when a slot or the writer's batch may hold an array bigger than {@link #RETAIN_BUFFER_MAX}. */
    private boolean bigHeld;
    private final long idleTrimNs;

    SendQueue(final int capacity, final DerpServerCounters counters) {
        this(capacity, counters, IDLE_TRIM_NS);
    }

    /** With another idle time before big arrays are released (tests). */
    SendQueue(final int capacity, final DerpServerCounters counters, final long idleTrimNs) {
        this.capacity = capacity;
        this.counters = counters;
        this.idleTrimNs = idleTrimNs;
        this.data = new byte[capacity][];
        this.lengths = new int[capacity];
        this.sources = new NodeKey[capacity];
    }

    int capacity() {
        return capacity;
    }

    /**
     * Queues {@code src ‖ buf[off, off+len)} as a RecvPacket; when full the oldest packet is dropped first.
     *
     * @return false when the queue is closed (the client is gone)
     */
    boolean offerPacket(final NodeKey src, final byte[] buf, final int off, final int len) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (size == capacity) {
                head = head + 1 == capacity ? 0 : head + 1;
                size--;
                counters.onDrop(DropReason.QUEUE_HEAD);
            }
            int slot = head + size;
            if (slot >= capacity) {
                slot -= capacity;
            }
            byte[] dst = data[slot];
            if (dst == null || dst.length < len) {
                dst = new byte[bufferSize(len)];
                data[slot] = dst;
            }
            if (len > RETAIN_BUFFER_MAX) {
                bigHeld = true;
            }
            System.arraycopy(buf, off, dst, 0, len);
            lengths[slot] = len;
            sources[slot] = src;
            size++;
            if (consumerWaiting) {
                ready.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a control frame; dropped (and counted) when the control queue is full or closed. */
    void offerControl(final Control frame) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (control.size() >= CONTROL_CAPACITY) {
                counters.onControlOverflow();
                return;
            }
            control.addLast(frame);
            if (consumerWaiting) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Makes {@code ping} the one pending Pong (replacing an unanswered older one). */
    void offerPong(final long ping) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            pongPending = true;
            pongData = ping;
            if (consumerWaiting) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until something is queued, {@code deadlineNs} (System.nanoTime) passes, or the queue closes, then moves
     * up to one batch of packets, all control frames and the pending Pong into {@code batch}. While it waits it
     * releases big arrays (of the ring and of {@code batch}) once the queue has been idle for the trim time.
     *
     * @return packets + control frames + pong moved; 0 when the deadline passed first; -1 when closed
     */
    int drain(final Batch batch, final long deadlineNs) throws InterruptedException {
        lock.lock();
        try {
            boolean idle = false;
            long idleSinceNs = 0;
            while (!closed && size == 0 && control.isEmpty() && !pongPending) {
                final long nowNs = System.nanoTime();
                long waitNs = deadlineNs - nowNs;
                if (bigHeld) {
                    if (!idle) {
                        idle = true;
                        idleSinceNs = nowNs;
                    }
                    final long trimInNs = idleSinceNs + idleTrimNs - nowNs;
                    if (trimInNs <= 0) {
                        releaseBig(batch);
                        continue;
                    }
                    waitNs = Math.min(waitNs, trimInNs);
                }
                if (waitNs <= 0) {
                    return 0;
                }
                consumerWaiting = true;
                try {
                    ready.await(waitNs, TimeUnit.NANOSECONDS);
                } finally {
                    consumerWaiting = false;
                }
            }
            if (closed) {
                return -1;
            }
            final int n = Math.min(size, batch.capacity());
            for (int i = 0; i < n; i++) {
                batch.data[i] = data[head];
                batch.lengths[i] = lengths[head];
                batch.sources[i] = sources[head];
                data[head] = batch.takeSpare();
                sources[head] = null;
                head = head + 1 == capacity ? 0 : head + 1;
            }
            size -= n;
            batch.packetCount = n;
            int moved = n;
            while (!control.isEmpty()) {
                batch.control.addLast(control.pollFirst());
                moved++;
            }
            if (pongPending) {
                batch.pongPending = true;
                batch.pongData = pongData;
                pongPending = false;
                moved++;
            }
            return moved;
        } finally {
            lock.unlock();
        }
    }

    /** Lets go of every array bigger than {@link #RETAIN_BUFFER_MAX}; the ring is empty. Under the lock. */
    private void releaseBig(final Batch batch) {
        for (int i = 0; i < capacity; i++) {
            if (data[i] != null && data[i].length > RETAIN_BUFFER_MAX) {
                data[i] = null;
            }
        }
        batch.releaseBig();
        bigHeld = false;
    }

    /** Closes the queue: queued packets are counted as {@link DropReason#GONE_DISCONNECTED}; later offers fail. */
    void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            counters.onDrops(DropReason.GONE_DISCONNECTED, size);
            for (int i = 0; i < capacity; i++) {
                data[i] = null;
                sources[i] = null;
            }
            size = 0;
            control.clear();
            pongPending = false;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Packets queued now (for tests and diagnostics). */
    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    private static int bufferSize(final int len) {
        if (len <= MIN_BUFFER) {
            return MIN_BUFFER;
        }
        // Next power of two, so a slot serves a range of sizes; MAX_PACKET_SIZE (64 KiB) is itself a power of two.
        return Math.max(len, Math.min(Integer.highestOneBit(len - 1) << 1, DerpProtocol.MAX_PACKET_SIZE));
    }

    /**
     * What one drain hands to the writer, plus the writer's stock of spare slot arrays.
     * Owned by the client's writer thread; not thread-safe (the queue fills it under its lock, called by that
     * same thread).
     */
    static final class Batch {
        final byte[][] data;
        final int[] lengths;
        final NodeKey[] sources;
        final ArrayDeque<Control> control = new ArrayDeque<>();
        int packetCount;
        boolean pongPending;
        long pongData;
        private final byte[][] spares;
        private int spareCount;

        Batch(final int capacity) {
            data = new byte[capacity][];
            lengths = new int[capacity];
            sources = new NodeKey[capacity];
            spares = new byte[capacity][];
        }

        int capacity() {
            return data.length;
        }

        private byte[] takeSpare() {
            if (spareCount == 0) {
                return null;
            }
            final byte[] spare = spares[--spareCount];
            spares[spareCount] = null;
            return spare;
        }

        /** After writing: keeps the arrays as spares (big ones until the queue goes idle), empties the batch. */
        void recycle() {
            for (int i = 0; i < packetCount; i++) {
                final byte[] b = data[i];
                if (b != null && spareCount < spares.length) {
                    spares[spareCount++] = b;
                }
                data[i] = null;
                sources[i] = null;
            }
            packetCount = 0;
            control.clear();
            pongPending = false;
        }

        /** Drops spares bigger than {@link #RETAIN_BUFFER_MAX}, keeping the small ones. */
        private void releaseBig() {
            int kept = 0;
            for (int i = 0; i < spareCount; i++) {
                final byte[] b = spares[i];
                spares[i] = null;
                if (b.length <= RETAIN_BUFFER_MAX) {
                    spares[kept++] = b;
                }
            }
            spareCount = kept;
        }

        /** Spare arrays held (tests). */
        int spareCount() {
            return spareCount;
        }
    }
}
