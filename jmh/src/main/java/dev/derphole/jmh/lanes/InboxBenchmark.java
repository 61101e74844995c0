package dev.derphole.jmh.lanes;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.derphole.jmh.HotPathBenchmark;

import dev.derphole.lanes.engine.Inbox;
import dev.derphole.lanes.engine.Signal;
import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.udp.PacketPath;

/**
 * {@link Inbox}: a path receive thread hands a datagram over ({@code onPacket}: take a free slot from the path's
 * pool, copy, offer to the MPSC queue, signal) and the engine takes it ({@code poll}) and gives the slot back
 * ({@code release}). Slot pools are sized as in the engine (8 MiB per path, StreamConfig's default).
 * <p>
 * {@link #handOffOneThread} does all of it on one thread. The {@code handoff} group runs the receive thread
 * and the engine on two threads; a full pool drops the datagram (as in production), so the numbers to read are
 * the auxiliary counters: {@code offered} per second on the receive side and {@code delivered} on the engine.
 */
public class InboxBenchmark extends HotPathBenchmark {
    private static final int BYTES_PER_PATH = 8 << 20;

    /** A path that only exists to receive the inbox's handler. */
    static final class BenchPath implements PacketPath {
        private final int maxDatagramLength;

        BenchPath(final int maxDatagramLength) {
            this.maxDatagramLength = maxDatagramLength;
        }

        @Override
        public String name() {
            return "bench";
        }

        @Override
        public int maxDatagramLength() {
            return maxDatagramLength;
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) {
            return true;
        }

        @Override
        public void receiver(final PacketHandler handler) {
            // the benchmark calls the port returned by attach directly
        }

        @Override
        public void close() {
        }
    }

    /** The inbox and the attached path, shared by the two threads of a group. */
    @State(Scope.Group)
    public static class Shared {
        /** Datagram size: a direct UDP datagram, or a full relay datagram (the path's maximum too). */
        @Param({"1452", "65535"})
        public int datagramLength;

        Inbox inbox;
        BenchPath path;
        Inbox.PathPort port;
        StreamCounters counters;

        @Setup
        public void setUp() {
            counters = new StreamCounters();
            inbox = new Inbox(counters, new Signal(), BYTES_PER_PATH);
            path = new BenchPath(datagramLength);
            port = inbox.attach(path);
        }
    }

    /** The datagram the receive thread delivers (its bytes change on every call). */
    @State(Scope.Thread)
    public static class Datagram {
        byte[] bytes;
        int sequence;

        @Setup
        public void setUp(final Shared shared) {
            bytes = new byte[shared.datagramLength];
            new SplittableRandom(13).nextBytes(bytes);
            bytes[0] = PacketType.DATA;
        }

        void next() {
            sequence++;
            bytes[1 + (sequence & 0x3FF)] = (byte)sequence;
        }
    }

    /** Datagrams handed over (receive thread) or taken and released (engine), per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counts {
        public long offered;
        public long delivered;

        @Setup(Level.Iteration)
        public void clear() {
            offered = 0;
            delivered = 0;
        }
    }

    /** Receive path and engine on one thread: onPacket, poll, check, release. */
    @Benchmark
    @Group("handOffOneThread") // a group of one thread, so it may share the Scope.Group state
    @GroupThreads(1)
    public byte handOffOneThread(final Shared shared, final Datagram d) {
        d.next();
        shared.port.onPacket(shared.path, d.bytes, 0, shared.datagramLength);
        final Inbox.Slot slot = shared.inbox.poll();
        if (slot == null || slot.length != shared.datagramLength) {
            throw new IllegalStateException("datagram lost in a one-thread hand-off");
        }
        final byte b = slot.data[slot.offset + 1 + (d.sequence & 0x3FF)];
        shared.inbox.release(slot);
        return b;
    }

    /** Receive thread: one datagram into the inbox (dropped and counted when the pool or queue is full). */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public void receive(final Shared shared, final Datagram d, final Counts counts) {
        d.next();
        shared.port.onPacket(shared.path, d.bytes, 0, shared.datagramLength);
        counts.offered++;
    }

    /** Engine thread: take one datagram if there is one, read it, release its slot. */
    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    public void engine(final Shared shared, final Counts counts, final Blackhole bh) {
        final Inbox.Slot slot = shared.inbox.poll();
        if (slot == null) {
            return;
        }
        bh.consume(slot.data[slot.length - 1]);
        shared.inbox.release(slot);
        counts.delivered++;
    }
}
