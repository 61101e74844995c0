package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Growing a pipe on a payload descriptor: pipes grow to 1 MiB, anything else is left alone. */
@Timeout(30)
@SuppressWarnings("restricted")
class PipeBuffersTest {
    private static final Linker LINKER = Linker.nativeLinker();

    @Test
    void shouldGrowAPipeToOneMebibyteAndLeaveOtherDescriptorsAlone(@TempDir final Path dir) throws Throwable {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        final MethodHandle pipe = handle("pipe", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        final MethodHandle close = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            assertThat((int)pipe.invokeExact(fds)).isZero();
            final int readEnd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            final int writeEnd = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                assertThat(PipeBuffers.grow(writeEnd)).isEqualTo(PipeBuffers.TARGET_BYTES);
                assertThat(PipeBuffers.grow(readEnd)).as("the same pipe, already grown")
                    .isEqualTo(PipeBuffers.TARGET_BYTES);
            } finally {
                final int r = (int)close.invokeExact(readEnd);
                final int w = (int)close.invokeExact(writeEnd);
                assertThat(r | w).isZero();
            }
        }
        assertThat(PipeBuffers.grow(-1)).as("no such descriptor").isEqualTo(-1);
        assertThat(growOnRegularFile(dir.resolve("payload"))).as("a regular file is not a pipe").isEqualTo(-1);
    }

    private static int growOnRegularFile(final Path file) throws IOException {
        Files.write(file, new byte[] {1, 2, 3});
        // A descriptor number we own: /proc/self/fd shows the newest one the JVM opened for this stream.
        try (var in = Files.newByteChannel(file)) {
            int found = -1;
            try (var fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
                for (final Path fd : fds) {
                    try {
                        if (Files.isSameFile(Files.readSymbolicLink(fd), file)) {
                            found = Integer.parseInt(fd.getFileName().toString());
                        }
                    } catch (final IOException e) {
                        // a descriptor that closed while we looked
                    }
                }
            }
            assertThat(found).as("the file's descriptor in /proc/self/fd").isNotNegative();
            assertThat(in.isOpen()).isTrue();
            return PipeBuffers.grow(found);
        }
    }

    private static MethodHandle handle(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
