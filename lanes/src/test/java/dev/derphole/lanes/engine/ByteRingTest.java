package dev.derphole.lanes.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ByteRingTest {
    @Test
    void shouldCopyAcrossTheWrap() {
        final ByteRing ring = new ByteRing(1024);
        final byte[] in = new byte[100];
        for (int i = 0; i < in.length; i++) {
            in[i] = (byte)i;
        }
        ring.copyIn(1000, in, 0, 100);
        final byte[] out = new byte[100];
        ring.copyOut(1000, out, 0, 100);
        assertThat(out).isEqualTo(in);
        assertThat(ring.readable(0)[0]).isEqualTo((byte)24);
        assertThat(ring.contiguous(1000)).isEqualTo(24);
    }

    /** A 4 MiB ring in 1 MiB chunks: allocated as written, pieces end at a chunk's end, copies cross it. */
    @Test
    void shouldAllocateChunksWhereTheProducerWritesAndCopyAcrossTheirEnds() {
        final ByteRing ring = new ByteRing(4 * ByteRing.CHUNK_BYTES);
        assertThat(ring.allocatedBytes()).isZero();
        final long nearEnd = ByteRing.CHUNK_BYTES - 10;
        assertThat(ring.contiguous(nearEnd)).isEqualTo(10);
        final byte[] in = new byte[1500];
        for (int i = 0; i < in.length; i++) {
            in[i] = (byte)(i * 7);
        }
        ring.copyIn(nearEnd, in, 0, in.length);
        assertThat(ring.allocatedBytes()).isEqualTo(2L * ByteRing.CHUNK_BYTES);
        final byte[] out = new byte[in.length];
        ring.copyOut(nearEnd, out, 0, out.length);
        assertThat(out).isEqualTo(in);
        assertThat(ring.readable(ByteRing.CHUNK_BYTES)[0]).isEqualTo(in[10]);
        // The wrap: the last chunk's end continues at the first chunk's start, which is not allocated again.
        final long wrapEnd = 2L * ring.capacity() - 5;
        ring.copyIn(wrapEnd, in, 0, 100);
        ring.copyOut(wrapEnd, out, 0, 100);
        assertThat(Arrays.copyOf(out, 100)).isEqualTo(Arrays.copyOf(in, 100));
        assertThat(ring.readable(0)[94]).isEqualTo(in[99]);
        assertThat(ring.allocatedBytes()).isEqualTo(3L * ByteRing.CHUNK_BYTES);
        // One writable chunk per position's chunk, the same array every time.
        assertThat(ring.writable(3L * ByteRing.CHUNK_BYTES + 1)).isSameAs(ring.readable(ring.capacity() - 1));
        // Nothing to copy (a FIN's payload) where no chunk was made: no chunk needed, none made.
        final ByteRing fresh = new ByteRing(4 * ByteRing.CHUNK_BYTES);
        fresh.copyOut(ByteRing.CHUNK_BYTES, out, 0, 0);
        fresh.copyIn(ByteRing.CHUNK_BYTES, in, 0, 0);
        assertThat(fresh.allocatedBytes()).isZero();
        // A ring built ahead makes the rest now, keeping what it has.
        final byte[] first = ring.readable(0);
        assertThat(ring.allocateAll().allocatedBytes()).isEqualTo(ring.capacity());
        assertThat(ring.readable(0)).isSameAs(first);
    }

    /** One producer and one consumer thread move 256 MiB through a 64 KiB ring; every byte arrives in order. */
    @Test
    void shouldHandBytesFromOneThreadToAnotherInOrder() throws Exception {
        final ByteRing ring = new ByteRing(1 << 16);
        final long total = 256L << 20;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread producer = new Thread(() -> {
            long position = 0;
            while (position < total) {
                final long free = ring.capacity() - (position - ring.consumerPosition());
                if (free == 0) {
                    Thread.onSpinWait();
                    continue;
                }
                final int n = (int)Math.min(Math.min(free, ring.contiguous(position)), Math.min(4099,
                    total - position));
                final byte[] b = ring.writable(position);
                final int index = ring.index(position);
                for (int i = 0; i < n; i++) {
                    b[index + i] = (byte)((position + i) * 31);
                }
                position += n;
                ring.publishProducer(position);
            }
            ring.finish(total);
        });
        producer.start();
        long position = 0;
        while (ring.endPosition() < 0 || position < ring.endPosition()) {
            final long available = ring.producerPosition() - position;
            if (available == 0) {
                Thread.onSpinWait();
                continue;
            }
            final int n = (int)Math.min(available, ring.contiguous(position));
            final byte[] b = ring.readable(position);
            final int index = ring.index(position);
            for (int i = 0; i < n; i++) {
                if (b[index + i] != (byte)((position + i) * 31)) {
                    failure.set(new AssertionError("wrong byte at " + (position + i)));
                }
            }
            position += n;
            ring.publishConsumer(position);
        }
        producer.join();
        assertThat(failure.get()).isNull();
        assertThat(position).isEqualTo(total);
    }
}
