package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Payload writes into a pipe: byte-exact through a slow and a stalling reader; plain streams pass through. */
@Timeout(60)
@SuppressWarnings("restricted")
class PipeOutputTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final int PAYLOAD_BYTES = 6 << 20;

    @Test
    void shouldDeliverEveryByteInOrderThroughAPipeWhoseReaderIsSlowAndStalls() throws Throwable {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        final int[] fds = pipe();
        final byte[] payload = randomBytes(91, PAYLOAD_BYTES);
        try {
            final int size = PipeBuffers.grow(fds[1]);
            assertThat(size).isEqualTo(PipeBuffers.TARGET_BYTES);
            // Streams over the pipe through /proc (descriptors of their own); PipeOutput asks the original write
            // end how full the pipe is, which is the same pipe.
            try (InputStream in = new FileInputStream(Path.of("/proc/self/fd/" + fds[0]).toFile())) {
                final CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readSlowly(in));
                try (OutputStream raw = new FileOutputStream(Path.of("/proc/self/fd/" + fds[1]).toFile());
                    PipeOutput out = new PipeOutput(raw, fds[1], size)) {
                    final SplittableRandom random = new SplittableRandom(92);
                    int offset = 0;
                    while (offset < payload.length) {
                        final int n = Math.min(payload.length - offset, 1 + random.nextInt(1 << 20));
                        out.write(payload, offset, n);
                        offset += n;
                    }
                    out.flush();
                }
                closeFd(fds[1]); // the last write end: the reader sees the end of the stream
                fds[1] = -1;
                assertThat(read.get(50, TimeUnit.SECONDS)).isEqualTo(payload);
            }
        } finally {
            closeFd(fds[0]);
            if (fds[1] >= 0) {
                closeFd(fds[1]);
            }
        }
    }

    @Test
    void shouldPassWritesStraightThroughWhenNotAPipe() throws IOException {
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        final byte[] payload = randomBytes(93, 100_000);
        try (PipeOutput out = new PipeOutput(sink, 1, -1)) {
            out.write(payload, 0, 60_000);
            out.write(payload[60_000]);
            out.write(payload, 60_001, payload.length - 60_001);
        }
        assertThat(sink.toByteArray()).isEqualTo(payload);
    }

    /** Reads in 8 KiB pieces, pausing now and then, once for 300 ms (a stalled reader). */
    private static byte[] readSlowly(final InputStream in) {
        final ByteArrayOutputStream received = new ByteArrayOutputStream(PAYLOAD_BYTES);
        final byte[] buffer = new byte[8192];
        try {
            int reads = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received.write(buffer, 0, n);
                if (++reads % 64 == 0) {
                    Thread.sleep(reads == 256 ? 300 : 2);
                }
            }
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return received.toByteArray();
    }

    private static int[] pipe() throws Throwable {
        final MethodHandle pipe = handle("pipe", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            assertThat((int)pipe.invokeExact(fds)).isZero();
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        }
    }

    private static void closeFd(final int fd) throws Throwable {
        final MethodHandle close = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        assertThat((int)close.invokeExact(fd)).isZero();
    }

    private static byte[] randomBytes(final long seed, final int length) {
        final byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private static MethodHandle handle(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
