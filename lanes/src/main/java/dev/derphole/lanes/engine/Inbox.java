package dev.derphole.lanes.engine;

import java.util.ArrayList;
import java.util.List;

import org.jctools.queues.MpmcArrayQueue;
import org.jctools.queues.MpscArrayQueue;

import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/**
 * Hands datagrams from path receive threads to the engine thread without allocating: each attached path gets
 * its own pool of preallocated {@link Slot}s sized for its datagrams; its receive thread copies a datagram into
 * a free slot and offers the slot to one bounded MPSC queue that the engine drains; the engine gives slots
 * back after use. A full pool or queue drops the datagram and counts it ({@code inbound-drops}): the stream
 * engine repairs it like any other loss. Memory is bounded by {@code bytesPerPath} per attached path.
 * <p>
 * {@link #attach} and {@link #close} may be called from any thread; {@link #poll} and {@link #release} belong
 * to the engine thread; the handlers run on path receive threads (any number of them).
 */
public final class Inbox
{
    /** Fewest slots a path gets, whatever its datagram size. */
    private static final int MIN_SLOTS_PER_PATH = 16;
    /** Most slots a path gets. */
    private static final int MAX_SLOTS_PER_PATH = 8192;
    /** Capacity of the shared queue to the engine. */
    private static final int QUEUE_CAPACITY = 16_384;

    /** One received datagram on its way to the engine. */
    public static final class Slot
    {
        public final byte[] data;
        public int length;
        public PathPort port;

        Slot(final int size)
        {
            this.data = new byte[size];
        }
    }

    /** The handler installed on one path, with that path's slot pool. */
    public static final class PathPort implements PacketPath.PacketHandler
    {
        private final Inbox inbox;
        private final PacketPath path;
        private final MpmcArrayQueue<Slot> free;
        private final int slotSize;

        PathPort(final Inbox inbox, final PacketPath path, final int slotSize, final int slots)
        {
            this.inbox = inbox;
            this.path = path;
            this.slotSize = slotSize;
            this.free = new MpmcArrayQueue<>(Math.max(2, slots));
            for (int i = 0; i < slots; i++)
            {
                free.offer(new Slot(slotSize));
            }
        }

        public PacketPath path()
        {
            return path;
        }

        @Override
        public void onPacket(final PacketPath from, final byte[] buffer, final int offset, final int length)
        {
            final StreamCounters counters = inbox.counters;
            if (inbox.closed)
            {
                counters.increment(StreamCounters.AFTER_CLOSE);
                return;
            }
            if (length < 1 || length > slotSize || !PacketType.isStreamPacket(buffer[offset] & 0xFF))
            {
                counters.increment(StreamCounters.MALFORMED);
                return;
            }
            final Slot slot = free.relaxedPoll();
            if (slot == null)
            {
                counters.increment(StreamCounters.INBOUND_DROPS);
                return;
            }
            System.arraycopy(buffer, offset, slot.data, 0, length);
            slot.length = length;
            slot.port = this;
            if (!inbox.queue.offer(slot))
            {
                free.offer(slot);
                counters.increment(StreamCounters.INBOUND_DROPS);
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
    private volatile boolean closed;

    public Inbox(final StreamCounters counters, final Signal signal, final int bytesPerPath)
    {
        this.counters = counters;
        this.signal = signal;
        this.bytesPerPath = bytesPerPath;
    }

    /** Installs our handler on {@code path} (once per path; again on re-attach) and returns its port. */
    public PathPort attach(final PacketPath path)
    {
        PathPort port = null;
        synchronized (ports)
        {
            for (final PathPort p : ports)
            {
                if (p.path == path)
                {
                    port = p;
                }
            }
            if (port == null)
            {
                final int slotSize = Math.min(WireFormat.MAX_DATAGRAM_LENGTH, Math.max(64, path.maxDatagramLength()));
                final int slots = Math.clamp(bytesPerPath / slotSize, MIN_SLOTS_PER_PATH, MAX_SLOTS_PER_PATH);
                port = new PathPort(this, path, slotSize, slots);
                ports.add(port);
            }
        }
        path.receiver(port);
        return port;
    }

    /** Engine: next datagram or null. */
    public Slot poll()
    {
        return queue.relaxedPoll();
    }

    /** Engine: returns a slot to its path's pool. */
    public void release(final Slot slot)
    {
        slot.port.free.offer(slot);
    }

    /** From now on datagrams are counted as {@code after-close} and dropped; queued ones are released. */
    public void close()
    {
        closed = true;
        Slot slot;
        while ((slot = queue.relaxedPoll()) != null)
        {
            release(slot);
        }
    }

    public boolean isClosed()
    {
        return closed;
    }
}
