package dev.derphole.udp.uring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.derphole.udp.EngineCounters;
import dev.derphole.udp.GsoRuns;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.SockAddr;
import dev.derphole.udp.UdpCounter;

/**
 * Preallocated {@code struct mmsghdr}s with their {@code iovec}s, control buffers and address scratch, in
 * one arena, filled from a {@link PacketBatch} by index (the pattern of Netty's {@code MsgHdrMemoryArray}).
 * The iovecs and {@code msg_name}s point straight into the batch's memory, so no payload is copied. The
 * same array serves {@code sendmmsg}/{@code recvmmsg} and io_uring SENDMSG/RECVMSG (an {@code mmsghdr}
 * starts with its {@code msghdr}).
 * <p>
 * <b>Send.</b> {@link #prepareSend} turns slots into messages: with a GSO segment size, a run of
 * equal-size slots to one destination (the last may be shorter) becomes one message with one iovec per
 * slot and a {@code UDP_SEGMENT} cmsg; the kernel splits it into datagrams (or hands the whole run to a
 * GRO receiver on loopback).
 * <p>
 * <b>Receive.</b> Without GRO each message receives one datagram into one slot. With GRO each message
 * receives into a 64 KiB region of the batch, and {@link #completeReceive} splits it by the segment size
 * from the {@code UDP_GRO} cmsg into slots pointing at the segments, so nothing is copied either. With receive
 * time stamps on, every message has a control buffer for the {@code SCM_TIMESTAMPNS} cmsg, and every slot the
 * message produced (all segments of a super-packet) gets its stamp on the {@code nanoTime} clock.
 * <p>
 * Owned by one engine side (send or receive); not thread-safe.
 */
final class MsgHdrArray {
    /** {@code sizeof(struct mmsghdr)} on LP64 Linux. */
    static final int MMSGHDR_BYTES = 64;
    /** {@code sizeof(struct iovec)}. */
    static final int IOVEC_BYTES = 16;
    /**
     * Control buffer per message: room for a UDP_SEGMENT/UDP_GRO cmsg (CMSG_SPACE(4) = 24) and an SCM_TIMESTAMPNS
     * one (CMSG_SPACE(16) = 32).
     */
    static final int CONTROL_BYTES = 64;

    // struct msghdr / mmsghdr field offsets
    private static final long NAME = 0;
    private static final long NAMELEN = 8;
    private static final long IOV = 16;
    private static final long IOVLEN = 24;
    private static final long CONTROL = 32;
    private static final long CONTROLLEN = 40;
    private static final long FLAGS = 48;
    private static final long MSG_LEN = 56;
    // struct cmsghdr: cmsg_len (size_t), cmsg_level (int), cmsg_type (int), data
    private static final int CMSG_HEADER_BYTES = 16;
    /** CMSG_SPACE(sizeof(uint16_t)) for UDP_SEGMENT. */
    private static final int CMSG_SEGMENT_SPACE = 24;
    /** {@code sizeof(struct timespec)}: the data of an SCM_TIMESTAMPNS cmsg. */
    private static final int TIMESPEC_BYTES = 16;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;

    private final MemorySegment headers;
    private final MemorySegment iovecs;
    private final MemorySegment controls;
    private final MemorySegment names;
    private final long headersAddress;
    private final long iovecsAddress;
    private final long controlsAddress;
    private final long namesAddress;
    private final int capacity;
    private final int iovPerMessage;
    private final int[] firstSlot;
    private final int[] slotCount;
    private final int[] payloadBytes;
    /** Converts receive stamps; null when the socket has none (and for send arrays). */
    private final ReceiveClock clock;
    private int nextSlot;
    private long receivedBytes;
    private PacketBatch preparedBatch;
    private boolean preparedGro;
    private int preparedCount;
    // what readControl found in the last message's control data, 0 when absent
    private int groSegmentBytes;
    private long kernelStampNs;

    /** An array without receive stamps, as every send array is. */
    MsgHdrArray(final Arena arena, final int capacity, final int iovPerMessage) {
        this(arena, capacity, iovPerMessage, false);
    }

    /**
     * @param capacity      messages per call
     * @param iovPerMessage iovecs per message: GSO segments per message when sending, 1 when receiving
     * @param stamps        receive with the socket's SCM_TIMESTAMPNS stamps (the socket must have SO_TIMESTAMPNS)
     */
    MsgHdrArray(final Arena arena, final int capacity, final int iovPerMessage, final boolean stamps) {
        this.capacity = capacity;
        this.iovPerMessage = iovPerMessage;
        this.headers = arena.allocate((long)capacity * MMSGHDR_BYTES, 64);
        this.iovecs = arena.allocate((long)capacity * iovPerMessage * IOVEC_BYTES, 64);
        this.controls = arena.allocate((long)capacity * CONTROL_BYTES, 64);
        this.names = arena.allocate((long)capacity * SockAddr.BYTES, 64);
        this.headersAddress = headers.address();
        this.iovecsAddress = iovecs.address();
        this.controlsAddress = controls.address();
        this.namesAddress = names.address();
        this.firstSlot = new int[capacity];
        this.slotCount = new int[capacity];
        this.payloadBytes = new int[capacity];
        this.clock = stamps ? new ReceiveClock(arena) : null;
    }

    /** Messages per call. */
    int capacity() {
        return capacity;
    }

    /** The {@code mmsghdr} array (for {@code sendmmsg}/{@code recvmmsg}). */
    MemorySegment headers() {
        return headers;
    }

    /** The {@code mmsghdr} array starting at message {@code index}. */
    MemorySegment headersFrom(final int index) {
        return index == 0 ? headers : headers.asSlice((long)index * MMSGHDR_BYTES);
    }

    /** Address of message {@code index}'s {@code msghdr} (for an io_uring SQE). */
    long headerAddress(final int index) {
        return headersAddress + (long)index * MMSGHDR_BYTES;
    }

    /** {@code msg_len} the kernel wrote for message {@code index} after {@code recvmmsg}/{@code sendmmsg}. */
    int messageLength(final int index) {
        return headers.get(INT, (long)index * MMSGHDR_BYTES + MSG_LEN);
    }

    /** First batch slot of prepared message {@code index}. */
    int firstSlot(final int index) {
        return firstSlot[index];
    }

    /** Datagrams (slots) in prepared message {@code index}. */
    int slotCount(final int index) {
        return slotCount[index];
    }

    /** Payload bytes of prepared message {@code index}. */
    int payloadBytes(final int index) {
        return payloadBytes[index];
    }

    /** The slot after the last one covered by the last {@link #prepareSend}. */
    int nextSlot() {
        return nextSlot;
    }

    /**
     * Fills messages for slots {@code from..limit-1} of {@code batch}, as many as fit.
     *
     * @param limit           first slot not to send
     * @param gsoSegmentBytes GSO segment size, or 0 to send every slot as its own message
     * @param maxSegments     most slots per GSO message (at most the iovecs per message)
     * @return number of messages prepared; {@link #nextSlot()} is the first slot not covered
     */
    int prepareSend(
        final PacketBatch batch, final int from, final int limit, final int gsoSegmentBytes, final int maxSegments) {
        final int count = limit;
        preparedBatch = null;
        final long dataAddress = batch.data().address();
        final long addressesAddress = batch.addresses().address();
        final MemorySegment addressCells = batch.addresses();
        final int segmentLimit = Math.min(maxSegments, iovPerMessage);
        int slot = from;
        int message = 0;
        while (slot < count && message < capacity) {
            final int start = slot;
            final int segments = GsoRuns.runLength(batch, start, count, gsoSegmentBytes, segmentLimit);
            final long header = (long)message * MMSGHDR_BYTES;
            final long cell = PacketBatch.addressOffset(start);
            final int nameLength = SockAddr.length(addressCells, cell);
            headers.set(LONG, header + NAME, nameLength == 0 ? 0L : addressesAddress + cell);
            headers.set(INT, header + NAMELEN, nameLength);
            final long iovBase = (long)message * iovPerMessage * IOVEC_BYTES;
            int total = 0;
            for (int s = 0; s < segments; s++) {
                final long iov = iovBase + (long)s * IOVEC_BYTES;
                final int length = batch.length(start + s);
                iovecs.set(LONG, iov, dataAddress + batch.offset(start + s));
                iovecs.set(LONG, iov + 8, length);
                total += length;
            }
            headers.set(LONG, header + IOV, iovecsAddress + iovBase);
            headers.set(LONG, header + IOVLEN, segments);
            if (segments > 1) {
                final long control = (long)message * CONTROL_BYTES;
                controls.set(LONG, control, CMSG_HEADER_BYTES + 2);
                controls.set(INT, control + 8, Linux.SOL_UDP);
                controls.set(INT, control + 12, Linux.UDP_SEGMENT);
                controls.set(SHORT, control + CMSG_HEADER_BYTES, (short)gsoSegmentBytes);
                headers.set(LONG, header + CONTROL, controlsAddress + control);
                headers.set(LONG, header + CONTROLLEN, CMSG_SEGMENT_SPACE);
            } else {
                headers.set(LONG, header + CONTROL, 0L);
                headers.set(LONG, header + CONTROLLEN, 0L);
            }
            headers.set(INT, header + FLAGS, 0);
            firstSlot[message] = start;
            slotCount[message] = segments;
            payloadBytes[message] = total;
            slot += segments;
            message++;
        }
        nextSlot = slot;
        return message;
    }

    /** {@link #prepareReceive(PacketBatch, boolean, int)} for as many messages as fit. */
    int prepareReceive(final PacketBatch batch, final boolean gro) {
        return prepareReceive(batch, gro, Integer.MAX_VALUE);
    }

    /**
     * Fills receive messages into {@code batch} (which the caller has cleared). A message's layout (iovec,
     * name and control pointers) depends only on the batch, so when the same batch comes back only the three
     * fields the kernel writes ({@code msg_namelen}, {@code msg_controllen}, {@code msg_flags}) are reset.
     *
     * @param gro   receive GRO super-packets into 64 KiB regions (needs {@link PacketBatch#groMessagesPerReceive()})
     * @param limit most messages wanted
     * @return number of messages prepared
     */
    int prepareReceive(final PacketBatch batch, final boolean gro, final int limit) {
        final int most;
        if (gro) {
            most = batch.groMessagesPerReceive();
            if (most == 0) {
                throw new IllegalArgumentException(
                    "batch too small for GRO receives (needs >= " + PacketBatch.MAX_GRO_SEGMENTS + " slots and "
                        + PacketBatch.GRO_REGION_BYTES + " bytes): " + batch + "; use engine.newReceiveBatch()");
            }
        } else {
            most = batch.capacity();
        }
        final int messages = Math.max(0, Math.min(Math.min(capacity, most), limit));
        if (clock != null) {
            clock.invalidate();
        }
        int m = 0;
        if (batch == preparedBatch && gro == preparedGro) {
            final int reusable = Math.min(messages, preparedCount);
            final long controlLength = gro || clock != null ? CONTROL_BYTES : 0L;
            for (; m < reusable; m++) {
                final long header = (long)m * MMSGHDR_BYTES;
                headers.set(INT, header + NAMELEN, SockAddr.BYTES);
                headers.set(LONG, header + CONTROLLEN, controlLength);
                headers.set(INT, header + FLAGS, 0);
            }
        } else {
            preparedBatch = batch;
            preparedGro = gro;
            preparedCount = 0;
        }
        if (m < messages) {
            layoutReceive(batch, gro, m, messages);
            preparedCount = messages;
        }
        return messages;
    }

    private void layoutReceive(final PacketBatch batch, final boolean gro, final int from, final int to) {
        final long dataAddress = batch.data().address();
        final long step = gro ? PacketBatch.GRO_REGION_BYTES : batch.stride();
        final int length = gro ? PacketBatch.GRO_REGION_BYTES : batch.slotCapacity();
        final boolean control = gro || clock != null;
        for (int m = from; m < to; m++) {
            final long header = (long)m * MMSGHDR_BYTES;
            final long iov = (long)m * iovPerMessage * IOVEC_BYTES;
            iovecs.set(LONG, iov, dataAddress + m * step);
            iovecs.set(LONG, iov + 8, length);
            headers.set(LONG, header + NAME, namesAddress + (long)m * SockAddr.BYTES);
            headers.set(INT, header + NAMELEN, SockAddr.BYTES);
            headers.set(LONG, header + IOV, iovecsAddress + iov);
            headers.set(LONG, header + IOVLEN, 1L);
            headers.set(LONG, header + CONTROL, control ? controlsAddress + (long)m * CONTROL_BYTES : 0L);
            headers.set(LONG, header + CONTROLLEN, control ? CONTROL_BYTES : 0L);
            headers.set(INT, header + FLAGS, 0);
        }
    }

    /**
     * Turns received message {@code m} ({@code length} bytes) into batch slots: one, or one per GRO segment,
     * each with the message's receive stamp (0 without one). Truncated datagrams are counted and dropped.
     * Payload bytes accumulate in {@link #takeReceivedBytes()} so the counter is updated once per call, not per
     * segment.
     *
     * @return datagrams added to the batch
     */
    int completeReceive(
        final PacketBatch batch, final int m, final int length, final boolean gro, final EngineCounters counters) {
        final long header = (long)m * MMSGHDR_BYTES;
        final int flags = headers.get(INT, header + FLAGS);
        if ((flags & Linux.MSG_TRUNC) != 0) {
            counters.increment(UdpCounter.TRUNCATED);
            return 0;
        }
        final long name = (long)m * SockAddr.BYTES;
        readControl(header);
        final long receivedNs = kernelStampNs == 0 ? 0 : clock.toNanoTime(kernelStampNs);
        if (!gro) {
            final int slot = batch.append((long)m * batch.stride(), length);
            SockAddr.copy(names, name, batch.addresses(), PacketBatch.addressOffset(slot));
            batch.receivedNs(slot, receivedNs);
            receivedBytes += length;
            return 1;
        }
        final int segmentSize = groSegmentBytes;
        final long region = (long)m * PacketBatch.GRO_REGION_BYTES;
        if (segmentSize <= 0 || segmentSize >= length) {
            final int slot = batch.append(region, length);
            SockAddr.copy(names, name, batch.addresses(), PacketBatch.addressOffset(slot));
            batch.receivedNs(slot, receivedNs);
            receivedBytes += length;
            return 1;
        }
        int added = 0;
        for (int offset = 0; offset < length; offset += segmentSize) {
            if (batch.isFull()) {
                counters.add(UdpCounter.RECEIVE_SLOT_OVERFLOWS, (length - offset + segmentSize - 1) / segmentSize);
                break;
            }
            final int segment = Math.min(segmentSize, length - offset);
            final int slot = batch.append(region + offset, segment);
            SockAddr.copy(names, name, batch.addresses(), PacketBatch.addressOffset(slot));
            batch.receivedNs(slot, receivedNs);
            receivedBytes += segment;
            added++;
        }
        counters.increment(UdpCounter.GRO_MESSAGES);
        return added;
    }

    /** Payload bytes completed since the last call, which resets it. */
    long takeReceivedBytes() {
        final long bytes = receivedBytes;
        receivedBytes = 0;
        return bytes;
    }

    /**
     * Reads message header {@code header}'s control data in one walk: the UDP_GRO segment size into
     * {@link #groSegmentBytes} and, with stamps on, the SCM_TIMESTAMPNS stamp (ns since the epoch) into
     * {@link #kernelStampNs}; each 0 when absent.
     */
    private void readControl(final long header) {
        groSegmentBytes = 0;
        kernelStampNs = 0;
        // The kernel leaves msg_controllen at the bytes it wrote (0 when the message had no buffer).
        final long controlLength = Math.min(headers.get(LONG, header + CONTROLLEN), CONTROL_BYTES);
        final long control = headers.get(LONG, header + CONTROL) - controlsAddress;
        long offset = 0;
        while (offset + CMSG_HEADER_BYTES <= controlLength) {
            final long cmsgLength = controls.get(LONG, control + offset);
            if (cmsgLength < CMSG_HEADER_BYTES || cmsgLength > controlLength - offset) {
                return;
            }
            final int level = controls.get(INT, control + offset + 8);
            final int type = controls.get(INT, control + offset + 12);
            final long data = control + offset + CMSG_HEADER_BYTES;
            final long dataLength = cmsgLength - CMSG_HEADER_BYTES;
            if (level == Linux.SOL_UDP && type == Linux.UDP_GRO && dataLength >= 4) {
                groSegmentBytes = controls.get(INT, data);
            } else if (clock != null && level == Linux.SOL_SOCKET && type == Linux.SCM_TIMESTAMPNS
                && dataLength >= TIMESPEC_BYTES) {
                kernelStampNs = ReceiveClock.epochNanos(controls, data);
            }
            offset += (cmsgLength + 7) & ~7L;
        }
    }
}
