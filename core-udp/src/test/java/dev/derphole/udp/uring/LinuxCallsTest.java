package dev.derphole.udp.uring;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared call shape: one native stub for every function, and the values that cross it (ints widened and
 * narrowed, -1 and errno, 64-bit results, pointers as addresses) arrive as the C functions mean them.
 */
@Timeout(30)
class LinuxCallsTest {
    private static final int EBADF = 9;

    @Test
    void shouldBindEveryFunctionWithOneCallShape() {
        assertThat(LinuxCalls.UNAVAILABILITY_CAUSE).isNull();
        // Fifteen shapes cost ~90 ms of cold code at every start (one stub and adapter each); one costs ~20 ms.
        assertThat(LinuxCalls.callShapes()).isEqualTo(1);
    }

    @Test
    void shouldReturnMinusOneAndErrnoFromIntAndPointerFunctions() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = LinuxCalls.newCallState(arena);
            assertThat(LinuxCalls.close(state, -1)).isEqualTo(-1);
            assertThat(LinuxCalls.errno(state)).isEqualTo(EBADF);
            // mmap returns a pointer: MAP_FAILED is (void*)-1, all 64 bits set.
            final MemorySegment failed = LinuxCalls.mmap(state, 4096, Linux.PROT_READ, Linux.MAP_SHARED, 1_000_000, 0);
            assertThat(failed.address()).isEqualTo(-1L);
            assertThat(LinuxCalls.errno(state)).isEqualTo(EBADF);
        }
    }

    @Test
    void shouldReadTheWallClockIntoATimespec() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = LinuxCalls.newCallState(arena);
            final MemorySegment timespec = arena.allocate(16, 8);
            final long beforeMs = System.currentTimeMillis();
            assertThat(LinuxCalls.clockGettime(state, Linux.CLOCK_REALTIME, timespec)).isZero();
            final long afterMs = System.currentTimeMillis();

            final long nanos = timespec.get(ValueLayout.JAVA_LONG, 8);
            assertThat(nanos).isBetween(0L, 999_999_999L);
            assertThat(ReceiveClock.epochNanos(timespec, 0) / 1_000_000).isBetween(beforeMs, afterMs);
            assertThat(LinuxCalls.clockGettime(state, -1, timespec)).isEqualTo(-1);
            assertThat(LinuxCalls.errno(state)).isEqualTo(Linux.EINVAL);
        }
    }

    @Test
    void shouldPassIntsAndPointersThrough() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = LinuxCalls.newCallState(arena);
            final int fd = LinuxCalls.eventfd(state, 0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC);
            assertThat(fd).isNotNegative();
            try {
                final MemorySegment eight = arena.allocate(ValueLayout.JAVA_LONG);
                eight.set(ValueLayout.JAVA_LONG, 0, 0x0102_0304_0506_0708L);
                assertThat(LinuxCalls.write(state, fd, eight, 8)).isEqualTo(8);
                final int socket = LinuxCalls.socket(state, 2, Linux.SOCK_DGRAM, 0); // AF_INET
                assertThat(socket).isNotNegative();
                final MemorySegment type = arena.allocate(ValueLayout.JAVA_INT);
                final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
                length.set(ValueLayout.JAVA_INT, 0, 4);
                assertThat(LinuxCalls.getsockopt(state, socket, Linux.SOL_SOCKET, 3, type, length)).isZero(); // SO_TYPE
                assertThat(type.get(ValueLayout.JAVA_INT, 0)).isEqualTo(Linux.SOCK_DGRAM);
                assertThat(LinuxCalls.close(state, socket)).isZero();
            } finally {
                LinuxCalls.close(state, fd);
            }
        }
    }
}
