package dev.derphole.udp.uring;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The libc functions the FFM engines call, as Panama downcall handles looked up once. Every call captures
 * {@code errno} into a caller-supplied state segment ({@link #newCallState}) so nothing allocates per call;
 * each thread uses its own state segment.
 * <p>
 * <b>One call shape for all</b> ({@link SharedCallShape}): every function is bound with the descriptor of the
 * variadic {@code long syscall(long, ...)} with seven {@code long}s: ints widened, pointers passed as their
 * address, the result narrowed again where the C function returns an {@code int}. The JDK builds and caches one
 * native stub and one specialised Java adapter per descriptor, and building one costs 3-12 ms of cold code, so
 * fifteen signatures cost ~90 ms of CPU at every start (measured with the AOT cache; 130-170 ms without), on the
 * way to the first UDP packet; one costs ~20 ms. This is sound on the two ABIs the engine allows (x86-64 System V
 * and AArch64 Linux): integer and pointer arguments go in the same registers in the same order whatever their C
 * type, the first six (x86-64) or eight (AArch64) in registers, a callee ignores the ones it does not declare
 * (x86-64 passes the seventh on the stack, which the caller owns), it reads only the low 32 bits of an
 * {@code int} argument, and the variadic convention differs from the plain one only by the vector-register
 * count in {@code al} (x86-64), which a non-variadic callee ignores. The raw io_uring syscalls go through
 * {@code syscall(2)} itself.
 * <p>
 * Pointers go in as addresses, so the FFM runtime no longer keeps their segments alive during a call: every
 * segment passed here belongs to an arena that outlives the engine's calls (the engines close it last).
 * Only native segments may be passed (as before: heap segments were never accepted).
 * <p>
 * Allocation: the JDK slices the capture segment on each call ({@code SharedUtils.checkCaptureSegment}, one
 * 40-byte object) which C2 usually scalar-replaces; nothing else is allocated per call.
 * <p>
 * Stateless; thread-safe. Loading this class fails off Linux (see {@link #UNAVAILABILITY_CAUSE}).
 */
@SuppressWarnings("restricted")
final class LinuxCalls {
    /** Why the native calls cannot be used here, or null when they can. */
    static final Throwable UNAVAILABILITY_CAUSE;

    private static final StructLayout CALL_STATE = SharedCallShape.callStateLayout();
    private static final VarHandle ERRNO =
        CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;

    private static final MethodHandle SOCKET;
    private static final MethodHandle BIND;
    private static final MethodHandle CONNECT;
    private static final MethodHandle GETSOCKNAME;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle GETSOCKOPT;
    private static final MethodHandle CLOSE;
    private static final MethodHandle SENDMMSG;
    private static final MethodHandle RECVMMSG;
    private static final MethodHandle POLL;
    private static final MethodHandle EVENTFD;
    private static final MethodHandle WRITE;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle CLOCK_GETTIME;
    private static final MethodHandle SYSCALL6;

    static {
        MethodHandle socket = null;
        MethodHandle bind = null;
        MethodHandle connect = null;
        MethodHandle getsockname = null;
        MethodHandle setsockopt = null;
        MethodHandle getsockopt = null;
        MethodHandle close = null;
        MethodHandle sendmmsg = null;
        MethodHandle recvmmsg = null;
        MethodHandle poll = null;
        MethodHandle eventfd = null;
        MethodHandle write = null;
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle clockGettime = null;
        MethodHandle syscall6 = null;
        Throwable cause = null;
        try {
            final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.startsWith("linux")) {
                throw new UnsupportedOperationException("not Linux: " + os);
            }
            // The struct layouts below (msghdr, mmsghdr, io_uring_params) are those of LP64 Linux, and the shared
            // call shape relies on these two calling conventions.
            if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
                throw new UnsupportedOperationException("unsupported architecture: " + arch);
            }
            socket = SharedCallShape.bind("socket");
            bind = SharedCallShape.bind("bind");
            connect = SharedCallShape.bind("connect");
            getsockname = SharedCallShape.bind("getsockname");
            setsockopt = SharedCallShape.bind("setsockopt");
            getsockopt = SharedCallShape.bind("getsockopt");
            close = SharedCallShape.bind("close");
            sendmmsg = SharedCallShape.bind("sendmmsg");
            recvmmsg = SharedCallShape.bind("recvmmsg");
            poll = SharedCallShape.bind("poll");
            eventfd = SharedCallShape.bind("eventfd");
            write = SharedCallShape.bind("write");
            mmap = SharedCallShape.bind("mmap");
            munmap = SharedCallShape.bind("munmap");
            clockGettime = SharedCallShape.bind("clock_gettime");
            syscall6 = SharedCallShape.bind("syscall");
        } catch (final Throwable t) {
            cause = t;
        }
        SOCKET = socket;
        BIND = bind;
        CONNECT = connect;
        GETSOCKNAME = getsockname;
        SETSOCKOPT = setsockopt;
        GETSOCKOPT = getsockopt;
        CLOSE = close;
        SENDMMSG = sendmmsg;
        RECVMMSG = recvmmsg;
        POLL = poll;
        EVENTFD = eventfd;
        WRITE = write;
        MMAP = mmap;
        MUNMAP = munmap;
        CLOCK_GETTIME = clockGettime;
        SYSCALL6 = syscall6;
        UNAVAILABILITY_CAUSE = cause;
    }

    private LinuxCalls() {
    }

    private static long call(final MethodHandle handle, final MemorySegment state, final long a, final long b,
        final long c, final long d, final long e, final long f, final long g) {
        return SharedCallShape.call(handle, state, a, b, c, d, e, f, g);
    }

    /** Distinct call shapes among the bound functions (1: one native stub for all; see the class comment). */
    static long callShapes() {
        return java.util.stream.Stream.of(SOCKET, BIND, CONNECT, GETSOCKNAME, SETSOCKOPT, GETSOCKOPT, CLOSE, SENDMMSG,
            RECVMMSG, POLL, EVENTFD, WRITE, MMAP, MUNMAP, CLOCK_GETTIME, SYSCALL6)
            .map(MethodHandle::type).distinct().count();
    }

    /** A segment to capture errno into; one per thread (allocate from an arena that outlives its use). */
    static MemorySegment newCallState(final java.lang.foreign.Arena arena) {
        return SharedCallShape.newCallState(arena);
    }

    /** The errno captured by the last call that used {@code state}. */
    static int errno(final MemorySegment state) {
        return (int)ERRNO.get(state, 0L);
    }

    /** {@code "EAGAIN (Resource temporarily unavailable)"}-style text for messages. */
    static String describe(final int errno) {
        return Linux.errnoName(errno);
    }

    static int socket(final MemorySegment state, final int domain, final int type, final int protocol) {
        return (int)call(SOCKET, state, domain, type, protocol, 0, 0, 0, 0);
    }

    static int bind(final MemorySegment state, final int fd, final MemorySegment address, final int length) {
        return (int)call(BIND, state, fd, address.address(), length, 0, 0, 0, 0);
    }

    static int connect(final MemorySegment state, final int fd, final MemorySegment address, final int length) {
        return (int)call(CONNECT, state, fd, address.address(), length, 0, 0, 0, 0);
    }

    static int getsockname(final MemorySegment state, final int fd, final MemorySegment address,
        final MemorySegment len) {
        return (int)call(GETSOCKNAME, state, fd, address.address(), len.address(), 0, 0, 0, 0);
    }

    static int setsockopt(
        final MemorySegment state, final int fd, final int level, final int name, final MemorySegment value,
            final int len) {
        return (int)call(SETSOCKOPT, state, fd, level, name, value.address(), len, 0, 0);
    }

    static int getsockopt(
        final MemorySegment state, final int fd, final int level, final int name, final MemorySegment value,
        final MemorySegment len) {
        return (int)call(GETSOCKOPT, state, fd, level, name, value.address(), len.address(), 0, 0);
    }

    static int close(final MemorySegment state, final int fd) {
        return (int)call(CLOSE, state, fd, 0, 0, 0, 0, 0, 0);
    }

    static int sendmmsg(final MemorySegment state, final int fd, final MemorySegment msgs, final int count,
        final int flags) {
        return (int)call(SENDMMSG, state, fd, msgs.address(), count, flags, 0, 0, 0);
    }

    static int recvmmsg(final MemorySegment state, final int fd, final MemorySegment msgs, final int count,
        final int flags) {
        return (int)call(RECVMMSG, state, fd, msgs.address(), count, flags, 0, 0, 0); // no timeout
    }

    static int poll(final MemorySegment state, final MemorySegment fds, final long count, final int timeoutMs) {
        return (int)call(POLL, state, fds.address(), count, timeoutMs, 0, 0, 0, 0);
    }

    static int eventfd(final MemorySegment state, final int initial, final int flags) {
        return (int)call(EVENTFD, state, initial, flags, 0, 0, 0, 0, 0);
    }

    static long write(final MemorySegment state, final int fd, final MemorySegment buffer, final long count) {
        return call(WRITE, state, fd, buffer.address(), count, 0, 0, 0, 0);
    }

    /** {@code mmap(NULL, ...)}: the mapping (zero length; reinterpret it), or address -1 with errno in state. */
    static MemorySegment mmap(
        final MemorySegment state, final long length, final int prot, final int flags, final int fd,
            final long offset) {
        return MemorySegment.ofAddress(call(MMAP, state, 0, length, prot, flags, fd, offset, 0));
    }

    static int munmap(final MemorySegment state, final MemorySegment address, final long length) {
        return (int)call(MUNMAP, state, address.address(), length, 0, 0, 0, 0, 0);
    }

    /** {@code clock_gettime(clock, timespec)}: 0, or -1 with errno in {@code state}. */
    static int clockGettime(final MemorySegment state, final int clock, final MemorySegment timespec) {
        return (int)call(CLOCK_GETTIME, state, clock, timespec.address(), 0, 0, 0, 0, 0);
    }

    /** {@code syscall(number, a..f)}: returns the result, or -1 with errno in {@code state}. */
    static long syscall(
        final MemorySegment state, final long number, final long a, final long b, final long c, final long d,
        final long e, final long f) {
        return call(SYSCALL6, state, number, a, b, c, d, e, f);
    }

    /** Writes a C {@code short} (for pollfd fields). */
    static void putShort(final MemorySegment segment, final long offset, final short value) {
        segment.set(C_SHORT, offset, value);
    }
}
