package dev.derphole.derp.client;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.NodeKey;

/**
 * What the writer thread sends: a bounded ring of outgoing packets (copied in by any number of senders, written
 * out in batches by the one writer) plus control slots that never wait behind packets: the latest Pong owed to
 * the relay (only the latest, as derper does), our pending Pings and the NotePreferred flag.
 * <p>
 * Ring slots keep their buffers and grow them to the largest packet they have held, so steady-state sends do
 * not allocate; the memory bound is capacity × largest packet (≤ 64 KiB). Slots move senders → writer under
 * the lock; the writer reads taken slots without it, since no sender can reach them until they are released.
 * <p>
 * Thread-safe: many senders, one writer, lifecycle calls from the client.
 */
final class OutboundQueue {
    /** Most packets the writer takes per wake-up (one flush per batch). */
    static final int MAX_BATCH = 128;

    /** Pings we have asked for but the writer has not sent; more fail at once. */
    static final int MAX_PENDING_PINGS = 16;

    /** Initial slot buffer; one MTU-sized datagram fits, bigger packets grow the slot once. */
    private static final int MIN_SLOT_BYTES = 2048;

    /** Control frames and the packet range the writer took in one wake-up. Owned by the writer. */
    static final class Batch {
        final byte[] pong = new byte[DerpProtocol.PING_LENGTH];
        boolean hasPong;
        /** -1: none; 0/1: send NotePreferred with this value. */
        int notePreferred = -1;
        final byte[][] pings = new byte[MAX_PENDING_PINGS][];
        int pingCount;
        long first;
        int count;
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition work = lock.newCondition();
    private final int capacity;
    private final NodeKey[] keys;
    private final byte[][] buffers;
    private final int[] lengths;

    /** Sequence numbers: released ≤ taken ≤ tail; slot = seq % capacity. */
    private long released;
    private long taken;
    private long tail;

    private final byte[] pong = new byte[DerpProtocol.PING_LENGTH];
    private boolean pongPending;
    private boolean preferredSet;
    private boolean preferredValue;
    private boolean preferredPending;
    private final ArrayDeque<byte[]> pings = new ArrayDeque<>(MAX_PENDING_PINGS);
    private int generation;

    private boolean connected;
    private boolean closed;
    private String failure;

    OutboundQueue(final int capacity) {
        this.capacity = capacity;
        keys = new NodeKey[capacity];
        buffers = new byte[capacity][];
        lengths = new int[capacity];
    }

    /**
     * Copies a packet into the queue, waiting while it is full.
     *
     * @param timeoutNs           ≥ 0: give up after this long and return false; -1: wait as long as the client is
     *                            connected (backpressure) but at most {@code disconnectedNs} while it is not
     * @param disconnectedNs      with timeoutNs -1: longest wait while disconnected before failing
     * @param describeUnreachable message prefix when that wait runs out
     * @throws IOException when the client is closed or has given up, or the disconnected wait runs out
     */
    boolean offer(
        final NodeKey dst, final byte[] src, final int offset, final int length, final long timeoutNs,
        final long disconnectedNs, final String describeUnreachable) throws IOException, InterruptedException {
        lock.lockInterruptibly();
        try {
            long deadlineNs = 0;
            boolean deadlineSet = false;
            while (true) {
                if (closed) {
                    throw new IOException("DERP client closed");
                }
                if (failure != null) {
                    throw new IOException(failure);
                }
                if (tail - released < capacity) {
                    break;
                }
                final long waitNs;
                if (timeoutNs >= 0 || !connected) {
                    if (!deadlineSet) {
                        deadlineNs = System.nanoTime() + (timeoutNs >= 0 ? timeoutNs : disconnectedNs);
                        deadlineSet = true;
                    }
                    waitNs = deadlineNs - System.nanoTime();
                    if (waitNs <= 0) {
                        if (timeoutNs >= 0) {
                            return false;
                        }
                        throw new IOException(describeUnreachable + ": send queue full while reconnecting for "
                            + TimeUnit.NANOSECONDS.toMillis(disconnectedNs) + " ms");
                    }
                } else {
                    // Connected: wait as long as the relay drains us, like a blocking socket write.
                    deadlineSet = false;
                    waitNs = Long.MAX_VALUE;
                }
                notFull.awaitNanos(waitNs);
            }
            final int slot = (int)(tail % capacity);
            byte[] buffer = buffers[slot];
            if (buffer == null || buffer.length < length) {
                buffer = new byte[Math.max(length, MIN_SLOT_BYTES)];
                buffers[slot] = buffer;
            }
            System.arraycopy(src, offset, buffer, 0, length);
            keys[slot] = dst;
            lengths[slot] = length;
            tail++;
            work.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Records the latest Ping payload to answer; an older unsent one is replaced. */
    void setPong(final byte[] src, final int offset) {
        lock.lock();
        try {
            System.arraycopy(src, offset, pong, 0, DerpProtocol.PING_LENGTH);
            pongPending = true;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Queues one of our Pings; false when too many are waiting to be written. */
    boolean addPing(final byte[] payload) {
        lock.lock();
        try {
            if (pings.size() >= MAX_PENDING_PINGS || closed || failure != null) {
                return false;
            }
            pings.add(payload);
            work.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Sends NotePreferred now (if connected) and again after every reconnect. */
    void notePreferred(final boolean value) {
        lock.lock();
        try {
            preferredSet = true;
            preferredValue = value;
            preferredPending = true;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until there is something to write or the writer must stop.
     *
     * @param generation the connection generation the writer belongs to
     * @return false when the queue is closed or a newer connection (or none) owns it: the writer exits
     */
    boolean awaitWork(final int generation, final Batch batch) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (!closed && generation == this.generation && connected && taken == tail && !pongPending
                && !preferredPending && pings.isEmpty()) {
                work.await();
            }
            if (closed || generation != this.generation || !connected) {
                return false;
            }
            batch.hasPong = pongPending;
            if (pongPending) {
                System.arraycopy(pong, 0, batch.pong, 0, DerpProtocol.PING_LENGTH);
                pongPending = false;
            }
            batch.notePreferred = preferredPending ? (preferredValue ? 1 : 0) : -1;
            preferredPending = false;
            batch.pingCount = 0;
            while (!pings.isEmpty()) {
                batch.pings[batch.pingCount++] = pings.poll();
            }
            batch.first = taken;
            batch.count = (int)Math.min(tail - taken, MAX_BATCH);
            taken += batch.count;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Packets queued that the writer has not taken yet. */
    long untaken() {
        lock.lock();
        try {
            return tail - taken;
        } finally {
            lock.unlock();
        }
    }

    NodeKey key(final long seq) {
        return keys[(int)(seq % capacity)];
    }

    byte[] buffer(final long seq) {
        return buffers[(int)(seq % capacity)];
    }

    int length(final long seq) {
        return lengths[(int)(seq % capacity)];
    }

    /**
     * Waits until the writer is done with every packet queued so far (written and flushed, or lost with the
     * connection), the queue is closed, or {@code timeoutNs} passes.
     *
     * @return true when nothing queued is left
     */
    boolean awaitDrained(final long timeoutNs) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            // A discard may shrink the queue below the target meanwhile: what it dropped needs no draining.
            final long target = tail;
            long remainingNs = timeoutNs;
            while (released < Math.min(target, tail) && !closed && failure == null) {
                if (remainingNs <= 0) {
                    return false;
                }
                remainingNs = notFull.awaitNanos(remainingNs);
            }
            return released >= Math.min(target, tail);
        } finally {
            lock.unlock();
        }
    }

    /** The writer is done with {@code count} taken slots (written or lost); senders may reuse them. */
    void release(final int count) {
        if (count == 0) {
            return;
        }
        lock.lock();
        try {
            released += count;
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A new connection is up: the writer of {@code generation} owns the queue. Pongs and pings of the old
     * connection are void; NotePreferred is repeated if it was ever set.
     */
    void onConnected(final int generation) {
        lock.lock();
        try {
            this.generation = generation;
            connected = true;
            pongPending = false;
            pings.clear();
            preferredPending = preferredSet;
            work.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The connection dropped: the writer stops, senders keep queueing (until full, then time out). */
    void onDisconnected() {
        lock.lock();
        try {
            connected = false;
            work.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The client gave up (no reconnect): senders fail with {@code message} from now on.
     *
     * @return packets that were queued and will never be sent
     */
    long fail(final String message) {
        lock.lock();
        try {
            if (failure == null && !closed) {
                failure = message;
            }
            return discardQueued();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The client is closed: wakes and fails every sender and stops the writer.
     *
     * @return packets that were queued and will never be sent
     */
    long close() {
        lock.lock();
        try {
            closed = true;
            return discardQueued();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops the packets for {@code dst} that the writer has not taken yet, keeping the others in order (their
     * slot buffers move with them, so nothing is copied or allocated).
     *
     * @return packets dropped
     */
    long discard(final NodeKey dst) {
        lock.lock();
        try {
            long kept = taken;
            for (long seq = taken; seq < tail; seq++) {
                final int from = (int)(seq % capacity);
                if (dst.equals(keys[from])) {
                    continue;
                }
                final int to = (int)(kept % capacity);
                if (to != from) {
                    final byte[] buffer = buffers[to];
                    buffers[to] = buffers[from];
                    buffers[from] = buffer;
                    keys[to] = keys[from];
                    lengths[to] = lengths[from];
                }
                kept++;
            }
            final long dropped = tail - kept;
            tail = kept;
            if (dropped > 0) {
                notFull.signalAll();
            }
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    private long discardQueued() {
        // Untaken packets are freed now; slots the writer holds are freed when it releases them.
        final long dropped = tail - taken;
        taken = tail;
        released += dropped;
        work.signalAll();
        notFull.signalAll();
        return dropped;
    }
}
