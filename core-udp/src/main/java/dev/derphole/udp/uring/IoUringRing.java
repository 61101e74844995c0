package dev.derphole.udp.uring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance driven through raw syscalls ({@code io_uring_setup}/{@code _enter}/{@code _register})
 * and its memory-mapped submission and completion rings, as Panama {@link MemorySegment}s.
 * <p>
 * Layouts follow {@code include/uapi/linux/io_uring.h}: {@code io_uring_params} (120 bytes: sq_entries,
 * cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3], then {@code io_sqring_offsets}
 * at 40 and {@code io_cqring_offsets} at 80), 64-byte SQEs and 16-byte CQEs. The SQ index array is filled
 * with the identity once, so SQE {@code i} is always array slot {@code i}. The SQ tail and CQ head are
 * published with release stores and the CQ tail read with an acquire load, the ordering liburing uses.
 * <p>
 * Owned by one thread (the engine side using it); not thread-safe. Closed through the engine's guard.
 */
final class IoUringRing {
    /** {@code sizeof(struct io_uring_params)}. */
    private static final int PARAMS_BYTES = 120;
    private static final int SQE_BYTES = 64;
    private static final int CQE_BYTES = 16;
    /** {@code sizeof(struct io_uring_getevents_arg)}: sigmask u64, sigmask_sz u32, min_wait_usec u32, ts u64. */
    private static final int GETEVENTS_ARG_BYTES = 24;
    /** {@code sizeof(struct io_uring_probe)} header and one {@code io_uring_probe_op}. */
    private static final int PROBE_HEADER_BYTES = 16;
    private static final int PROBE_OP_BYTES = 8;
    private static final int PROBE_OPS = 256;

    // io_uring_params
    private static final long P_SQ_ENTRIES = 0;
    private static final long P_CQ_ENTRIES = 4;
    private static final long P_FLAGS = 8;
    private static final long P_FEATURES = 20;
    private static final long P_SQ_OFF = 40;
    private static final long P_CQ_OFF = 80;
    // io_sqring_offsets (relative to P_SQ_OFF)
    private static final long SQ_HEAD = 0;
    private static final long SQ_TAIL = 4;
    private static final long SQ_RING_MASK = 8;
    private static final long SQ_ARRAY = 24;
    // io_cqring_offsets (relative to P_CQ_OFF)
    private static final long CQ_HEAD = 0;
    private static final long CQ_TAIL = 4;
    private static final long CQ_RING_MASK = 8;
    private static final long CQ_CQES = 20;

    // SQE fields
    private static final long SQE_OPCODE = 0;
    private static final long SQE_FLAGS = 1;
    private static final long SQE_FD = 4;
    private static final long SQE_ADDR = 16;
    private static final long SQE_LEN = 24;
    private static final long SQE_OP_FLAGS = 28;
    private static final long SQE_USER_DATA = 32;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final VarHandle INT_HANDLE = ValueLayout.JAVA_INT.varHandle();

    private final int fd;
    private final MemorySegment rings;
    private final long ringsBytes;
    private final MemorySegment sqes;
    private final long sqesBytes;
    private final MemorySegment state;
    private final MemorySegment enterArg;
    private final MemorySegment timespec;
    private final long sqHeadOffset;
    private final long sqTailOffset;
    private final long cqHeadOffset;
    private final long cqTailOffset;
    private final long cqesOffset;
    private final int sqMask;
    private final int sqEntries;
    private final int cqMask;
    private int sqTail;
    private int cqHead;

    private IoUringRing(
        final int fd, final MemorySegment rings, final long ringsBytes, final MemorySegment sqes, final long sqesBytes,
        final MemorySegment params, final MemorySegment state, final Arena arena) {
        this.fd = fd;
        this.rings = rings;
        this.ringsBytes = ringsBytes;
        this.sqes = sqes;
        this.sqesBytes = sqesBytes;
        this.state = state;
        this.enterArg = arena.allocate(GETEVENTS_ARG_BYTES, 8);
        this.timespec = arena.allocate(16, 8);
        this.sqHeadOffset = params.get(INT, P_SQ_OFF + SQ_HEAD);
        this.sqTailOffset = params.get(INT, P_SQ_OFF + SQ_TAIL);
        this.cqHeadOffset = params.get(INT, P_CQ_OFF + CQ_HEAD);
        this.cqTailOffset = params.get(INT, P_CQ_OFF + CQ_TAIL);
        this.cqesOffset = params.get(INT, P_CQ_OFF + CQ_CQES);
        this.sqMask = rings.get(INT, params.get(INT, P_SQ_OFF + SQ_RING_MASK));
        this.sqEntries = params.get(INT, P_SQ_ENTRIES);
        this.cqMask = rings.get(INT, params.get(INT, P_CQ_OFF + CQ_RING_MASK));
        final long array = params.get(INT, P_SQ_OFF + SQ_ARRAY);
        for (int i = 0; i < sqEntries; i++) {
            rings.set(INT, array + 4L * i, i);
        }
        this.sqTail = (int)INT_HANDLE.getAcquire(rings, sqTailOffset);
        this.cqHead = (int)INT_HANDLE.getAcquire(rings, cqHeadOffset);
    }

    /**
     * Sets up a ring of {@code entries} SQEs (the CQ gets twice as many).
     *
     * @param state errno capture segment of the owning thread
     */
    @SuppressWarnings("restricted")
    static IoUringRing create(final Arena arena, final MemorySegment state, final int entries) throws IOException {
        final MemorySegment params = arena.allocate(PARAMS_BYTES, 8);
        int fd = setup(state, params, entries, Linux.IORING_SETUP_SUBMIT_ALL | Linux.IORING_SETUP_COOP_TASKRUN);
        if (fd < 0 && LinuxCalls.errno(state) == Linux.EINVAL) {
            // Older kernels reject the optional flags; plain rings work the same, a little slower.
            fd = setup(state, params, entries, 0);
        }
        if (fd < 0) {
            throw new IOException("io_uring_setup failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
        }
        try {
            final int features = params.get(INT, P_FEATURES);
            final int required = Linux.IORING_FEAT_SINGLE_MMAP | Linux.IORING_FEAT_NODROP | Linux.IORING_FEAT_EXT_ARG;
            if ((features & required) != required) {
                throw new IOException("io_uring lacks SINGLE_MMAP/NODROP/EXT_ARG (Linux 5.11+): features=0x"
                    + Integer.toHexString(features));
            }
            final long sqRingBytes = params.get(INT, P_SQ_OFF + SQ_ARRAY) + 4L * params.get(INT, P_SQ_ENTRIES);
            final long cqRingBytes = params.get(INT, P_CQ_OFF + CQ_CQES) + (long)CQE_BYTES * params.get(INT,
                P_CQ_ENTRIES);
            final long ringsBytes = Math.max(sqRingBytes, cqRingBytes);
            final int protection = Linux.PROT_READ | Linux.PROT_WRITE;
            final int flags = Linux.MAP_SHARED | Linux.MAP_POPULATE;
            final MemorySegment rings = LinuxCalls.mmap(state, ringsBytes, protection, flags, fd,
                Linux.IORING_OFF_SQ_RING);
            if (rings.address() == -1L) {
                throw new IOException("mmap of io_uring rings failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
            }
            final long sqesBytes = (long)SQE_BYTES * params.get(INT, P_SQ_ENTRIES);
            final MemorySegment sqes = LinuxCalls.mmap(state, sqesBytes, protection, flags, fd, Linux.IORING_OFF_SQES);
            if (sqes.address() == -1L) {
                LinuxCalls.munmap(state, rings, ringsBytes);
                throw new IOException("mmap of io_uring SQEs failed: " + LinuxCalls.describe(LinuxCalls.errno(state)));
            }
            return new IoUringRing(
                fd, rings.reinterpret(ringsBytes), ringsBytes, sqes.reinterpret(sqesBytes), sqesBytes, params, state,
                    arena);
        } catch (final IOException | RuntimeException e) {
            LinuxCalls.close(state, fd);
            throw e;
        }
    }

    private static int setup(final MemorySegment state, final MemorySegment params, final int entries,
        final int flags) {
        params.fill((byte)0);
        params.set(INT, P_FLAGS, flags);
        return (int)LinuxCalls.syscall(state, Linux.SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
    }

    /**
     * Whether the kernel supports every opcode in {@code opcodes} ({@code IORING_REGISTER_PROBE}).
     *
     * @return null when all are supported, else a description of what is missing
     */
    String missingOpcodes(final Arena arena, final int... opcodes) {
        final MemorySegment probe = arena.allocate(PROBE_HEADER_BYTES + (long)PROBE_OP_BYTES * PROBE_OPS, 8);
        final long result = LinuxCalls.syscall(
            state, Linux.SYS_IO_URING_REGISTER, fd, Linux.IORING_REGISTER_PROBE, probe.address(), PROBE_OPS, 0, 0);
        if (result < 0) {
            return "IORING_REGISTER_PROBE failed: " + LinuxCalls.describe(LinuxCalls.errno(state));
        }
        final int lastOp = probe.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        for (final int opcode : opcodes) {
            final long op = PROBE_HEADER_BYTES + (long)PROBE_OP_BYTES * opcode;
            final int opFlags = probe.get(ValueLayout.JAVA_SHORT, op + 2);
            if (opcode > lastOp || (opFlags & Linux.IO_URING_OP_SUPPORTED) == 0) {
                return "io_uring opcode " + opcode + " not supported";
            }
        }
        return null;
    }

    /** Free SQE slots (not yet consumed by the kernel). */
    int freeSqes() {
        return sqEntries - (sqTail - (int)INT_HANDLE.getAcquire(rings, sqHeadOffset));
    }

    /**
     * Queues a SENDMSG or RECVMSG of the {@code msghdr} at {@code msghdrAddress} on {@code socketFd}, with
     * SQE flags such as {@link Linux#IOSQE_IO_LINK}. The caller checked {@link #freeSqes()}.
     */
    void queueMsg(
        final int opcode, final int sqeFlags, final int socketFd, final long msghdrAddress, final int msgFlags,
        final long userData) {
        final long sqe = nextSqe();
        sqes.set(ValueLayout.JAVA_BYTE, sqe + SQE_OPCODE, (byte)opcode);
        sqes.set(ValueLayout.JAVA_BYTE, sqe + SQE_FLAGS, (byte)sqeFlags);
        sqes.set(INT, sqe + SQE_FD, socketFd);
        sqes.set(LONG, sqe + SQE_ADDR, msghdrAddress);
        sqes.set(INT, sqe + SQE_LEN, 1);
        sqes.set(INT, sqe + SQE_OP_FLAGS, msgFlags);
        sqes.set(LONG, sqe + SQE_USER_DATA, userData);
    }

    /** Queues a one-shot POLL_ADD for {@code events} on {@code pollFd}. */
    void queuePoll(final int pollFd, final int events, final long userData) {
        final long sqe = nextSqe();
        sqes.set(ValueLayout.JAVA_BYTE, sqe + SQE_OPCODE, (byte)Linux.IORING_OP_POLL_ADD);
        sqes.set(INT, sqe + SQE_FD, pollFd);
        sqes.set(INT, sqe + SQE_OP_FLAGS, events);
        sqes.set(LONG, sqe + SQE_USER_DATA, userData);
    }

    /** Queues an ASYNC_CANCEL of every request in flight (Linux 5.19+ {@code IORING_ASYNC_CANCEL_ANY}). */
    void queueCancelAll(final long userData) {
        final long sqe = nextSqe();
        sqes.set(ValueLayout.JAVA_BYTE, sqe + SQE_OPCODE, (byte)Linux.IORING_OP_ASYNC_CANCEL);
        sqes.set(INT, sqe + SQE_FD, -1);
        sqes.set(INT, sqe + SQE_OP_FLAGS, Linux.IORING_ASYNC_CANCEL_ANY);
        sqes.set(LONG, sqe + SQE_USER_DATA, userData);
    }

    private long nextSqe() {
        final long sqe = (long)(sqTail & sqMask) * SQE_BYTES;
        for (long i = 0; i < SQE_BYTES; i += 8) {
            sqes.set(LONG, sqe + i, 0L);
        }
        sqTail++;
        return sqe;
    }

    /**
     * Publishes queued SQEs and, when {@code minComplete > 0}, waits until that many completions are
     * ready or {@code timeoutNanos} passes (0 = no time limit).
     *
     * @return the syscall's result: SQEs consumed, or {@code -errno} (EINTR, ETIME and EBUSY are normal)
     */
    int enter(final int minComplete, final long timeoutNanos) {
        INT_HANDLE.setRelease(rings, sqTailOffset, sqTail);
        final int toSubmit = sqTail - (int)INT_HANDLE.getAcquire(rings, sqHeadOffset);
        int flags = minComplete > 0 ? Linux.IORING_ENTER_GETEVENTS : 0;
        long arg = 0;
        long argSize = 0;
        if (minComplete > 0 && timeoutNanos > 0) {
            timespec.set(LONG, 0, timeoutNanos / 1_000_000_000L);
            timespec.set(LONG, 8, timeoutNanos % 1_000_000_000L);
            enterArg.set(LONG, 0, 0L);
            enterArg.set(INT, 8, 0);
            enterArg.set(INT, 12, 0);
            enterArg.set(LONG, 16, timespec.address());
            flags |= Linux.IORING_ENTER_EXT_ARG;
            arg = enterArg.address();
            argSize = GETEVENTS_ARG_BYTES;
        }
        final long result = LinuxCalls.syscall(
            state, Linux.SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags, arg, argSize);
        return result < 0 ? -LinuxCalls.errno(state) : (int)result;
    }

    /** Completions ready to be read. */
    int ready() {
        return (int)INT_HANDLE.getAcquire(rings, cqTailOffset) - cqHead;
    }

    /** {@code user_data} of the {@code index}-th ready completion. */
    long userData(final int index) {
        return rings.get(LONG, cqesOffset + (long)((cqHead + index) & cqMask) * CQE_BYTES);
    }

    /** {@code res} of the {@code index}-th ready completion. */
    int result(final int index) {
        return rings.get(INT, cqesOffset + (long)((cqHead + index) & cqMask) * CQE_BYTES + 8);
    }

    /** Marks {@code count} completions as consumed. */
    void consume(final int count) {
        cqHead += count;
        INT_HANDLE.setRelease(rings, cqHeadOffset, cqHead);
    }

    /** Unmaps the rings and closes the ring fd (cancelling anything still in flight). */
    void close() {
        LinuxCalls.munmap(state, sqes, sqesBytes);
        LinuxCalls.munmap(state, rings, ringsBytes);
        LinuxCalls.close(state, fd);
    }
}
