package dev.derphole.udp.uring;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The libc functions the FFM engines call, as Panama downcall handles looked up once. Every call captures
 * {@code errno} into a caller-supplied state segment ({@link #newCallState}) so nothing allocates per call;
 * each thread uses its own state segment. The raw io_uring syscalls go through the variadic
 * {@code syscall(2)} with every argument passed as a {@code long}, so no upper register bits are left
 * undefined.
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

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

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
        MethodHandle syscall6 = null;
        Throwable cause = null;
        try {
            final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.startsWith("linux")) {
                throw new UnsupportedOperationException("not Linux: " + os);
            }
            // The struct layouts below (msghdr, mmsghdr, io_uring_params) are those of LP64 Linux.
            if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
                throw new UnsupportedOperationException("unsupported architecture: " + arch);
            }
            final SymbolLookup libc = LINKER.defaultLookup();
            socket = downcall(libc, "socket", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
            bind = downcall(libc, "bind", FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT));
            connect = downcall(libc, "connect", FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT));
            getsockname = downcall(libc, "getsockname", FunctionDescriptor.of(C_INT, C_INT, PTR, PTR));
            setsockopt = downcall(libc, "setsockopt", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR, C_INT));
            getsockopt = downcall(libc, "getsockopt", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, PTR, PTR));
            close = downcall(libc, "close", FunctionDescriptor.of(C_INT, C_INT));
            sendmmsg = downcall(libc, "sendmmsg", FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT));
            recvmmsg = downcall(libc, "recvmmsg", FunctionDescriptor.of(C_INT, C_INT, PTR, C_INT, C_INT, PTR));
            poll = downcall(libc, "poll", FunctionDescriptor.of(C_INT, PTR, C_LONG, C_INT));
            eventfd = downcall(libc, "eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));
            write = downcall(libc, "write", FunctionDescriptor.of(C_LONG, C_INT, PTR, C_LONG));
            mmap = downcall(libc, "mmap", FunctionDescriptor.of(PTR, PTR, C_LONG, C_INT, C_INT, C_INT, C_LONG));
            munmap = downcall(libc, "munmap", FunctionDescriptor.of(C_INT, PTR, C_LONG));
            syscall6 = LINKER.downcallHandle(
                libc.find("syscall").orElseThrow(() -> new UnsatisfiedLinkError("syscall")),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
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
        SYSCALL6 = syscall6;
        UNAVAILABILITY_CAUSE = cause;
    }

    private LinuxCalls() {
    }

    private static MethodHandle downcall(final SymbolLookup libc, final String name,
        final FunctionDescriptor descriptor) {
        final MemorySegment symbol = libc.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
        return LINKER.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno"));
    }

    /** A segment to capture errno into; one per thread (allocate from an arena that outlives its use). */
    static MemorySegment newCallState(final java.lang.foreign.Arena arena) {
        return arena.allocate(CALL_STATE);
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
        try {
            return (int)SOCKET.invokeExact(state, domain, type, protocol);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int bind(final MemorySegment state, final int fd, final MemorySegment address, final int length) {
        try {
            return (int)BIND.invokeExact(state, fd, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int connect(final MemorySegment state, final int fd, final MemorySegment address, final int length) {
        try {
            return (int)CONNECT.invokeExact(state, fd, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int getsockname(final MemorySegment state, final int fd, final MemorySegment address,
        final MemorySegment len) {
        try {
            return (int)GETSOCKNAME.invokeExact(state, fd, address, len);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int setsockopt(
        final MemorySegment state, final int fd, final int level, final int name, final MemorySegment value,
            final int len) {
        try {
            return (int)SETSOCKOPT.invokeExact(state, fd, level, name, value, len);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int getsockopt(
        final MemorySegment state, final int fd, final int level, final int name, final MemorySegment value,
        final MemorySegment len) {
        try {
            return (int)GETSOCKOPT.invokeExact(state, fd, level, name, value, len);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(final MemorySegment state, final int fd) {
        try {
            return (int)CLOSE.invokeExact(state, fd);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int sendmmsg(final MemorySegment state, final int fd, final MemorySegment msgs, final int count,
        final int flags) {
        try {
            return (int)SENDMMSG.invokeExact(state, fd, msgs, count, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int recvmmsg(final MemorySegment state, final int fd, final MemorySegment msgs, final int count,
        final int flags) {
        try {
            return (int)RECVMMSG.invokeExact(state, fd, msgs, count, flags, MemorySegment.NULL);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int poll(final MemorySegment state, final MemorySegment fds, final long count, final int timeoutMs) {
        try {
            return (int)POLL.invokeExact(state, fds, count, timeoutMs);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int eventfd(final MemorySegment state, final int initial, final int flags) {
        try {
            return (int)EVENTFD.invokeExact(state, initial, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long write(final MemorySegment state, final int fd, final MemorySegment buffer, final long count) {
        try {
            return (long)WRITE.invokeExact(state, fd, buffer, count);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment mmap(
        final MemorySegment state, final long length, final int prot, final int flags, final int fd,
            final long offset) {
        try {
            return (MemorySegment)MMAP.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int munmap(final MemorySegment state, final MemorySegment address, final long length) {
        try {
            return (int)MUNMAP.invokeExact(state, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code syscall(number, a..f)}: returns the result, or -1 with errno in {@code state}. */
    static long syscall(
        final MemorySegment state, final long number, final long a, final long b, final long c, final long d,
        final long e, final long f) {
        try {
            return (long)SYSCALL6.invokeExact(state, number, a, b, c, d, e, f);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    /** Writes a C {@code short} (for pollfd fields). */
    static void putShort(final MemorySegment segment, final long offset, final short value) {
        segment.set(C_SHORT, offset, value);
    }

    private static RuntimeException rethrow(final Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
