package dev.derphole.udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A batch of datagram slots over one off-heap {@link MemorySegment}, allocated once: what a
 * {@link DatagramEngine} sends from and receives into. Slots are handed over by index, never copied between
 * stages, and the FFM engines point {@code iovec}s and {@code msg_name}s straight at this memory.
 * <p>
 * <b>Layout.</b> {@code data} holds {@link #capacity()} slots of {@link #stride()} bytes; slot {@code i}
 * starts at {@code i * stride} when it is claimed for sending. A slot can hold up to {@link #slotCapacity()}
 * bytes (the stride leaves at least one spare byte, so engines that cannot see {@code MSG_TRUNC} detect an
 * oversized datagram by receiving one byte more than fits). Each slot also has a {@link SockAddr} cell in
 * {@link #addresses()}: the destination when sending (none = the engine's connected peer), the source
 * after receiving. After a GRO receive, slots point at consecutive segments inside 64 KiB receive regions,
 * so use {@link #offset(int)} rather than assuming {@code i * stride}.
 * <p>
 * <b>Use.</b> To send: {@link #clear()}, then {@link #claim()} / {@link #add} slots (a full batch refuses
 * with -1 and counts the refusal), then {@code engine.sendBatch(batch)}. To receive:
 * {@code n = engine.receiveBatch(batch, timeout)}, then read slots {@code 0..n-1} in place
 * ({@link #data()} at {@link #offset(int)}) or copy them to a heap array with {@link #copyTo} (JDK AES-GCM is
 * faster on heap arrays).
 * <p>
 * Owned by one thread at a time; not thread-safe. While an engine call runs, the engine owns the batch.
 * {@link #close()} frees the memory; the batch must not be inside an engine call then.
 */
public final class PacketBatch implements AutoCloseable {
    /** Slot start alignment in bytes (a cache line). */
    public static final int SLOT_ALIGNMENT = 64;
    /** Largest UDP payload any engine accepts in one slot (the IPv6 limit is 65527, IPv4's 65507). */
    public static final int MAX_SLOT_CAPACITY = 65527;
    /** Bytes of one GRO receive region: a super-packet never exceeds the 64 KiB IP length limit. */
    public static final int GRO_REGION_BYTES = 65536;
    /**
     * Segments one GRO super-packet may carry: the kernel coalesces at most 64 ({@code UDP_GRO_CNT_MAX}), and
     * our senders never put more than 64 in a GSO message. Each GRO receive region reserves this many slots.
     */
    public static final int MAX_GRO_SEGMENTS = 64;

    private final Arena arena;
    private final boolean closeable;
    private final MemorySegment data;
    private final MemorySegment addresses;
    private final int capacity;
    private final int slotCapacity;
    private final int stride;
    private final int[] offsets;
    private final int[] lengths;
    private final long[] receivedNs;
    private ByteBuffer[] slotBuffers;
    private int count;
    private long claimRefusals;

    /**
     * @param capacity     number of slots, at least 1
     * @param slotCapacity largest datagram a slot holds, 1..{@link #MAX_SLOT_CAPACITY} bytes
     */
    public PacketBatch(final int capacity, final int slotCapacity) {
        this(capacity, slotCapacity, Arena.ofShared(), true);
    }

    /**
     * A batch whose memory the garbage collector frees once the batch is unreachable; {@link #close()} does
     * nothing. For batches whose last user is hard to pin down (a path closed from another thread while
     * its sender may still be inside a send).
     */
    public static PacketBatch gcManaged(final int capacity, final int slotCapacity) {
        return new PacketBatch(capacity, slotCapacity, Arena.ofAuto(), false);
    }

    private PacketBatch(final int capacity, final int slotCapacity, final Arena arena, final boolean closeable) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        if (slotCapacity < 1 || slotCapacity > MAX_SLOT_CAPACITY) {
            throw new IllegalArgumentException("slot capacity must be 1.." + MAX_SLOT_CAPACITY + ": " + slotCapacity);
        }
        final int alignedStride = (slotCapacity + 1 + SLOT_ALIGNMENT - 1) & -SLOT_ALIGNMENT;
        final long dataBytes = (long)capacity * alignedStride;
        if (dataBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: " + dataBytes + " bytes");
        }
        this.capacity = capacity;
        this.slotCapacity = slotCapacity;
        this.stride = alignedStride;
        this.arena = arena;
        this.closeable = closeable;
        this.data = arena.allocate(dataBytes, 4096);
        this.addresses = arena.allocate((long)capacity * SockAddr.BYTES, SLOT_ALIGNMENT);
        this.offsets = new int[capacity];
        this.lengths = new int[capacity];
        this.receivedNs = new long[capacity];
    }

    /**
     * A batch sized for GRO receives of {@code messagesPerReceive} super-packets per call: 64 slots per
     * message and at least one 64 KiB region per message.
     */
    public static PacketBatch forGroReceive(final int messagesPerReceive, final int slotCapacity) {
        final int slots = messagesPerReceive * MAX_GRO_SEGMENTS;
        final int stride = (slotCapacity + 1 + SLOT_ALIGNMENT - 1) & -SLOT_ALIGNMENT;
        final int neededStride = GRO_REGION_BYTES / MAX_GRO_SEGMENTS;
        return new PacketBatch(slots, stride >= neededStride ? slotCapacity : neededStride - 1);
    }

    /** Number of slots. */
    public int capacity() {
        return capacity;
    }

    /** Largest datagram a slot holds, in bytes. */
    public int slotCapacity() {
        return slotCapacity;
    }

    /** Distance between slot starts in the fixed (send) layout, in bytes. */
    public int stride() {
        return stride;
    }

    /** Slots in use: claimed for sending, or filled by the last receive. */
    public int count() {
        return count;
    }

    /** Whether every slot is in use. */
    public boolean isFull() {
        return count == capacity;
    }

    /** Times {@link #claim()} or {@link #add} refused because the batch was full. */
    public long claimRefusals() {
        return claimRefusals;
    }

    /** All slot memory. Slot {@code i}'s bytes are {@code [offset(i), offset(i) + length(i))}. */
    public MemorySegment data() {
        return data;
    }

    /** The {@link SockAddr} cells, {@link SockAddr#BYTES} per slot. */
    public MemorySegment addresses() {
        return addresses;
    }

    /** Byte offset of slot {@code slot}'s payload in {@link #data()}. */
    public long offset(final int slot) {
        return offsets[checkSlot(slot)];
    }

    /** Payload length of slot {@code slot}. */
    public int length(final int slot) {
        return lengths[checkSlot(slot)];
    }

    /** Byte offset of slot {@code slot}'s address cell in {@link #addresses()}. */
    public static long addressOffset(final int slot) {
        return (long)slot * SockAddr.BYTES;
    }

    /** Empties the batch (memory is kept; contents become garbage). */
    public void clear() {
        count = 0;
    }

    /**
     * Claims the next slot for sending: empty, with no destination (the engine's connected peer).
     *
     * @return the slot index, or -1 when every slot is in use (counted in {@link #claimRefusals()})
     */
    public int claim() {
        if (count == capacity) {
            claimRefusals++;
            return -1;
        }
        final int slot = count++;
        offsets[slot] = slot * stride;
        lengths[slot] = 0;
        receivedNs[slot] = 0;
        SockAddr.clear(addresses, addressOffset(slot));
        return slot;
    }

    /** Claims a slot and copies {@code src[offset, offset+length)} into it; -1 (counted) when full. */
    public int add(final byte[] src, final int offset, final int length) {
        checkLength(length);
        final int slot = claim();
        if (slot >= 0) {
            MemorySegment.copy(src, offset, data, ValueLayout.JAVA_BYTE, offsets[slot], length);
            lengths[slot] = length;
        }
        return slot;
    }

    /** Claims a slot for {@code destination} and copies the payload into it; -1 (counted) when full. */
    public int add(final byte[] src, final int offset, final int length, final InetSocketAddress destination) {
        final int slot = add(src, offset, length);
        if (slot >= 0) {
            SockAddr.encode(destination, addresses, addressOffset(slot));
        }
        return slot;
    }

    /** Claims a slot and copies {@code length} bytes of {@code src} at {@code srcOffset}; -1 (counted) when full. */
    public int add(final MemorySegment src, final long srcOffset, final int length) {
        checkLength(length);
        final int slot = claim();
        if (slot >= 0) {
            MemorySegment.copy(src, srcOffset, data, offsets[slot], length);
            lengths[slot] = length;
        }
        return slot;
    }

    /** Sets the payload length of a claimed slot after writing its bytes in place at {@link #offset(int)}. */
    public void length(final int slot, final int length) {
        checkSlot(slot);
        checkLength(length);
        lengths[slot] = length;
    }

    /** Copies slot {@code slot}'s payload into {@code dst} at {@code dstOffset}; returns its length. */
    public int copyTo(final int slot, final byte[] dst, final int dstOffset) {
        final int length = lengths[checkSlot(slot)];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, offsets[slot], dst, dstOffset, length);
        return length;
    }

    /** A view of slot {@code slot}'s payload. Allocates a segment object: not for per-packet hot paths. */
    public MemorySegment payload(final int slot) {
        return data.asSlice(offsets[checkSlot(slot)], lengths[slot]);
    }

    /** Sets the destination of slot {@code slot}; null means the engine's connected peer. */
    public void address(final int slot, final InetSocketAddress address) {
        checkSlot(slot);
        if (address == null) {
            SockAddr.clear(addresses, addressOffset(slot));
        } else {
            SockAddr.encode(address, addresses, addressOffset(slot));
        }
    }

    /** Sets the destination of slot {@code slot} by copying the {@link SockAddr} cell at {@code offset}. */
    public void address(final int slot, final MemorySegment cell, final long offset) {
        SockAddr.copy(cell, offset, addresses, addressOffset(checkSlot(slot)));
    }

    /** The source (after a receive) or destination (when sending) of slot {@code slot}, or null. Allocates. */
    public InetSocketAddress address(final int slot) {
        return SockAddr.decode(addresses, addressOffset(checkSlot(slot)));
    }

    /** Whether slot {@code slot}'s address equals the {@link SockAddr} cell {@code cell} at {@code offset}. */
    public boolean addressMatches(final int slot, final MemorySegment cell, final long offset) {
        return SockAddr.matches(addresses, addressOffset(checkSlot(slot)), cell, offset);
    }

    /** Whether slots {@code a} and {@code b} have the same address. */
    public boolean sameAddress(final int a, final int b) {
        return SockAddr.matches(addresses, addressOffset(checkSlot(a)), addresses, addressOffset(checkSlot(b)));
    }

    /**
     * When slot {@code slot}'s datagram reached the host, on the {@link System#nanoTime()} clock: the kernel's
     * receive time stamp, which a thread descheduled for a while or reading in batches does not blur; 0 when the
     * engine has none (slots claimed for sending, engines without time stamps).
     */
    public long receivedNs(final int slot) {
        return receivedNs[checkSlot(slot)];
    }

    // ---- Engine side: how receive paths fill the batch. ----

    /** Engine side: sets {@link #receivedNs(int)} of a received slot. */
    public void receivedNs(final int slot, final long nanoTime) {
        receivedNs[checkSlot(slot)] = nanoTime;
    }

    /**
     * Number of 64 KiB GRO regions a receive may use, or 0 when the batch is too small for GRO receives
     * (it needs at least {@link #MAX_GRO_SEGMENTS} slots and {@link #GRO_REGION_BYTES} of data).
     */
    public int groMessagesPerReceive() {
        return (int)Math.min(data.byteSize() / GRO_REGION_BYTES, capacity / MAX_GRO_SEGMENTS);
    }

    /**
     * Engine side: appends a received datagram at {@code offset} in {@link #data()}. The engine writes its
     * source into the slot's address cell.
     *
     * @return the slot index
     * @throws IllegalStateException when the batch is full (engines check {@link #isFull()} first)
     */
    public int append(final long offset, final int length) {
        if (count == capacity) {
            throw new IllegalStateException("batch full");
        }
        if (offset < 0 || length < 0 || offset + length > data.byteSize()) {
            throw new IndexOutOfBoundsException("slot [" + offset + ", +" + length + ") outside batch data");
        }
        final int slot = count++;
        offsets[slot] = (int)offset;
        lengths[slot] = length;
        receivedNs[slot] = 0;
        return slot;
    }

    /**
     * Engine side: a reusable {@link ByteBuffer} over the fixed-layout memory of slot {@code slot}
     * ({@link #stride()} bytes), for NIO channels. The caller sets position and limit; created lazily once.
     */
    public ByteBuffer slotBuffer(final int slot) {
        if (slot < 0 || slot >= capacity) {
            throw new IndexOutOfBoundsException("slot " + slot + " of " + capacity);
        }
        if (slotBuffers == null) {
            final ByteBuffer[] buffers = new ByteBuffer[capacity];
            for (int i = 0; i < capacity; i++) {
                buffers[i] = data.asSlice((long)i * stride, stride).asByteBuffer();
            }
            slotBuffers = buffers;
        }
        return slotBuffers[slot].clear();
    }

    /** Whether the memory is still allocated. */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    /**
     * Frees the memory (not for {@link #gcManaged} batches). Must not be called while an engine call uses the
     * batch. Idempotent.
     */
    @Override
    public void close() {
        if (closeable && arena.scope().isAlive()) {
            arena.close();
        }
    }


    @Override
    public String toString() {
        return "PacketBatch[" + count + "/" + capacity + " slots of " + slotCapacity + " B]";
    }

    private int checkSlot(final int slot) {
        if (slot < 0 || slot >= count) {
            throw new IndexOutOfBoundsException("slot " + slot + " of " + count + " in use");
        }
        return slot;
    }

    private void checkLength(final int length) {
        if (length < 0 || length > slotCapacity) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + slotCapacity);
        }
    }
}
