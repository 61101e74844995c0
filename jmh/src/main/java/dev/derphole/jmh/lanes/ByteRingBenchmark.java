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

import dev.derphole.lanes.engine.ByteRing;

/**
 * {@link ByteRing} between two threads, as the sender uses it (source reader produces, engine consumes) and
 * the receiver (engine produces, sink writer consumes): the producer copies a chunk in at its position and
 * publishes it, the consumer copies a published chunk out and frees it. The ring has the default stream
 * buffer size (32 MiB).
 * <p>
 * Neither side waits: a call that finds the ring full (or empty) returns at once, so JMH's primary score
 * counts attempts. The score to read is the auxiliary counter {@code chunksOut} (chunks the consumer took;
 * times the chunk size gives the bytes per second). Single-threaded {@link #copyInThenOut} gives the copy cost
 * without the other thread.
 */
public class ByteRingBenchmark extends HotPathBenchmark {
    /** Ring capacity: StreamConfig's default send buffer and receive window. */
    private static final int RING_BYTES = 32 << 20;

    /** The ring both threads of one group share. */
    @State(Scope.Group)
    public static class Shared {
        /** Bytes per copy: a 1,400 B direct-path payload, or a 64 KiB source read / sink write. */
        @Param({"1400", "65536"})
        public int chunk;

        ByteRing ring;

        @Setup
        public void setUp() {
            ring = new ByteRing(RING_BYTES);
        }
    }

    /** Producer side: its position and the bytes it copies in. */
    @State(Scope.Thread)
    public static class Producer {
        byte[] source;
        long position;

        @Setup
        public void setUp(final Shared shared) {
            source = new byte[shared.chunk];
            new SplittableRandom(11).nextBytes(source);
        }
    }

    /** Consumer side: its position and where it copies to. */
    @State(Scope.Thread)
    public static class Consumer {
        byte[] target;
        long position;

        @Setup
        public void setUp(final Shared shared) {
            target = new byte[shared.chunk];
        }
    }

    /** Chunks copied in (producer) and out (consumer); JMH reports them as rates, summed over the threads. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Moved {
        public long chunksIn;
        public long chunksOut;

        @Setup(Level.Iteration)
        public void clear() {
            chunksIn = 0;
            chunksOut = 0;
        }
    }

    /** Producer: copy a chunk in and publish it when the consumer has left room. */
    @Benchmark
    @Group("spsc")
    @GroupThreads(1)
    public boolean produce(final Shared shared, final Producer p, final Moved moved) {
        final ByteRing ring = shared.ring;
        final int n = shared.chunk;
        if (RING_BYTES - (p.position - ring.consumerPosition()) < n) {
            return false;
        }
        p.source[(int)(p.position & 0x3FF) % n] = (byte)p.position; // new bytes every time
        ring.copyIn(p.position, p.source, 0, n);
        p.position += n;
        ring.publishProducer(p.position);
        moved.chunksIn++;
        return true;
    }

    /** Consumer: copy a published chunk out and free its space. */
    @Benchmark
    @Group("spsc")
    @GroupThreads(1)
    public void consume(final Shared shared, final Consumer c, final Moved moved, final Blackhole bh) {
        final ByteRing ring = shared.ring;
        final int n = shared.chunk;
        if (ring.producerPosition() - c.position < n) {
            bh.consume(false);
            return;
        }
        ring.copyOut(c.position, c.target, 0, n);
        bh.consume(c.target[(int)(c.position & 0x3FF) % n]);
        c.position += n;
        ring.publishConsumer(c.position);
        moved.chunksOut++;
    }

    /** One thread: copy a chunk in at a moving position, publish, copy it out, free it. */
    @Benchmark
    @Group("copyInThenOut") // a group of one thread, so it may share the Scope.Group state
    @GroupThreads(1)
    public byte copyInThenOut(final Shared shared, final Producer p, final Consumer c) {
        final ByteRing ring = shared.ring;
        final int n = shared.chunk;
        p.source[(int)(p.position & 0x3FF) % n] = (byte)p.position;
        ring.copyIn(p.position, p.source, 0, n);
        p.position += n;
        ring.publishProducer(p.position);
        ring.copyOut(c.position, c.target, 0, n);
        c.position += n;
        ring.publishConsumer(c.position);
        return c.target[(int)(c.position & 0x3FF) % n];
    }
}
