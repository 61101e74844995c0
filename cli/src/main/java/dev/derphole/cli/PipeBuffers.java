package dev.derphole.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

import dev.derphole.udp.uring.SharedCallShape;

/**
 * Grows the kernel buffer of a pipe on stdin or stdout (Linux {@code fcntl(F_SETPIPE_SZ)}). A default pipe holds
 * 64 KiB: a 1 MiB payload write to a consumer that reads 8-16 KiB at a time then sleeps and wakes once per read
 * (measured: ~85,000 context switches per GiB on the receiver writing into {@code openssl dgst}); a 1 MiB pipe
 * lets the writer run ahead and the consumer drain in larger pieces. Anything that is not a pipe, a kernel that
 * refuses, or another OS leaves the descriptor as it was: this is an optimisation only and never fails.
 * <p>
 * Stateless; thread-safe.
 */
final class PipeBuffers {
    /** Pipe size asked for, in bytes: the default ceiling for unprivileged users ({@code fs.pipe-max-size}). */
    static final int TARGET_BYTES = 1 << 20;
    /** {@code F_SETPIPE_SZ} from {@code linux/fcntl.h}. */
    private static final int F_SETPIPE_SZ = 1031;
    /** {@code F_GETPIPE_SZ} from {@code linux/fcntl.h}. */
    private static final int F_GETPIPE_SZ = 1032;
    /** {@code FIONREAD} from {@code asm-generic/ioctls.h}: bytes queued in a pipe (either end). */
    private static final long FIONREAD = 0x541B;

    private static final MethodHandle FCNTL = bind("fcntl");
    private static final MethodHandle IOCTL = FCNTL == null ? null : bind("ioctl");

    private PipeBuffers() {
    }

    /**
     * Grows the pipe on {@code fd} to {@link #TARGET_BYTES} unless it is larger already.
     *
     * @return the pipe's size afterwards in bytes, or -1 when {@code fd} is not a pipe or nothing could be done
     */
    static int grow(final int fd) {
        if (FCNTL == null) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = SharedCallShape.newCallState(arena);
            final int size = (int)SharedCallShape.call(FCNTL, state, fd, F_GETPIPE_SZ, 0, 0, 0, 0, 0);
            if (size < 0 || size >= TARGET_BYTES) {
                return size;
            }
            final int grown = (int)SharedCallShape.call(FCNTL, state, fd, F_SETPIPE_SZ, TARGET_BYTES, 0, 0, 0, 0);
            return grown < 0 ? size : grown;
        } catch (final RuntimeException e) {
            return -1; // FFM refused (no native access): keep the default pipe
        }
    }

    /**
     * Bytes written to the pipe on {@code fd} that its reader has not read yet.
     *
     * @param cell  a 4-byte native cell for the answer, owned by the calling thread
     * @param state a call state ({@link SharedCallShape#newCallState}) owned by the calling thread
     * @return the byte count, or -1 when {@code fd} is not a pipe or the call failed
     */
    static int queued(final int fd, final MemorySegment cell, final MemorySegment state) {
        if (IOCTL == null) {
            return -1;
        }
        try {
            final int result = (int)SharedCallShape.call(IOCTL, state, fd, FIONREAD, cell.address(), 0, 0, 0, 0);
            return result < 0 ? -1 : cell.get(ValueLayout.JAVA_INT, 0);
        } catch (final RuntimeException e) {
            return -1;
        }
    }

    /**
     * {@code name} from libc with the process's shared call shape (one FFM stub for every native call: see
     * {@link SharedCallShape}), or null off Linux or when it cannot be bound.
     */
    private static MethodHandle bind(final String name) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return null;
        }
        try {
            return SharedCallShape.bind(name);
        } catch (final RuntimeException | LinkageError e) {
            return null;
        }
    }
}
