package dev.derphole.udp.epoll;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

import io.netty.buffer.ByteBuf;

import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.SockAddr;

/**
 * Single-producer single-consumer ring of datagram slots between Netty's event loop (producer: copies each
 * received datagram in) and the thread calling {@code receiveBatch} (consumer: copies a run of slots into
 * its {@link PacketBatch}). Fixed-size slots in one off-heap segment; indices are published with
 * release/acquire stores, and a consumer that finds the ring empty parks until the producer's
 * {@link #publish()} unparks it.
 * <p>
 * Producer methods ({@link #offer}, {@link #publish}) run on the event loop only; consumer methods
 * ({@link #drainTo}, {@link #await}) on the receiving thread only. The memory is GC-managed
 * ({@link Arena#ofAuto()}) because the event loop may still be finishing a read while the engine closes.
 */
final class ReceiveQueue {
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;
    private static final VarHandle WAITER;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(ReceiveQueue.class, "publishedTail", long.class);
            HEAD = lookup.findVarHandle(ReceiveQueue.class, "publishedHead", long.class);
            WAITER = lookup.findVarHandle(ReceiveQueue.class, "waiter", Thread.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int capacity;
    private final int mask;
    private final int slotCapacity;
    private final int stride;
    private final MemorySegment data;
    private final MemorySegment addresses;
    private final ByteBuffer[] views;
    private final int[] lengths;

    // producer side
    private long tail;
    private InetSocketAddress lastSender;
    private long lastSenderCell = -1;
    @SuppressWarnings("unused")
    private volatile long publishedTail;

    // consumer side
    private long head;
    @SuppressWarnings("unused")
    private volatile long publishedHead;
    @SuppressWarnings("unused")
    private volatile Thread waiter;

    /**
     * @param capacity     slots, a power of two
     * @param slotCapacity largest datagram a slot holds
     */
    ReceiveQueue(final int capacity, final int slotCapacity) {
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.slotCapacity = slotCapacity;
        this.stride = (slotCapacity + PacketBatch.SLOT_ALIGNMENT - 1) & -PacketBatch.SLOT_ALIGNMENT;
        final Arena arena = Arena.ofAuto();
        this.data = arena.allocate((long)capacity * stride, 4096);
        this.addresses = arena.allocate((long)capacity * SockAddr.BYTES, 64);
        this.views = new ByteBuffer[capacity];
        for (int i = 0; i < capacity; i++) {
            views[i] = data.asSlice((long)i * stride, stride).asByteBuffer();
        }
        this.lengths = new int[capacity];
    }

    /** Largest datagram a slot holds. */
    int slotCapacity() {
        return slotCapacity;
    }

    /**
     * Producer: copies {@code length} bytes of {@code content} at {@code index} and the sender into the next
     * slot (visible to the consumer after {@link #publish()}).
     *
     * @return false when the ring is full (the caller counts the drop)
     */
    boolean offer(final ByteBuf content, final int index, final int length, final InetSocketAddress sender) {
        if (tail - (long)HEAD.getAcquire(this) >= capacity) {
            return false;
        }
        final int slot = (int)(tail & mask);
        final ByteBuffer view = views[slot];
        view.clear().limit(length);
        content.getBytes(index, view);
        lengths[slot] = length;
        final long cell = (long)slot * SockAddr.BYTES;
        if (sender == null) {
            SockAddr.clear(addresses, cell);
        } else if (lastSenderCell >= 0 && (sender == lastSender || sender.equals(lastSender))) {
            SockAddr.copy(addresses, lastSenderCell, addresses, cell);
        } else {
            SockAddr.encode(sender, addresses, cell);
            lastSender = sender;
        }
        lastSenderCell = cell;
        tail++;
        TAIL.setRelease(this, tail);
        return true;
    }

    /** Producer: after a read burst, wakes a consumer parked in {@link #await}. */
    void publish() {
        // Full fence: the tail store above must be visible before we look for a parked consumer (Dekker).
        VarHandle.fullFence();
        final Thread parked = (Thread)WAITER.getVolatile(this);
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }

    /** Consumer: datagrams ready. */
    int available() {
        return (int)((long)TAIL.getAcquire(this) - head);
    }

    /**
     * Consumer: moves up to {@code batch}'s free slots of queued datagrams into it (fixed layout).
     *
     * @return datagrams moved; their payload bytes are added to {@code bytes[0]}
     */
    int drainTo(final PacketBatch batch, final long[] bytes) {
        final int ready = available();
        final int room = batch.capacity() - batch.count();
        final int moves = Math.min(ready, room);
        long total = 0;
        for (int i = 0; i < moves; i++) {
            final int slot = (int)((head + i) & mask);
            final int length = lengths[slot];
            final int target = batch.count();
            final long offset = (long)target * batch.stride();
            MemorySegment.copy(data, (long)slot * stride, batch.data(), offset, length);
            batch.append(offset, length);
            SockAddr.copy(addresses, (long)slot * SockAddr.BYTES, batch.addresses(), PacketBatch.addressOffset(target));
            total += length;
        }
        head += moves;
        HEAD.setRelease(this, head);
        bytes[0] += total;
        return moves;
    }

    /**
     * Consumer: parks until a datagram is queued, {@code nanos} pass, or {@link #wake(Thread)}.
     *
     * @return whether datagrams are ready
     */
    boolean await(final long nanos) {
        final Thread self = Thread.currentThread();
        WAITER.setVolatile(this, self);
        try {
            if (available() > 0) {
                return true;
            }
            LockSupport.parkNanos(this, nanos);
            return available() > 0;
        } finally {
            WAITER.setVolatile(this, (Thread)null);
        }
    }

    /** Any thread: unparks a consumer waiting in {@link #await} (used by close). */
    void wakeConsumer() {
        final Thread parked = (Thread)WAITER.getVolatile(this);
        if (parked != null) {
            LockSupport.unpark(parked);
        }
    }
}
