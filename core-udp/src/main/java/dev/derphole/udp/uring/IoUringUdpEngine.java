package dev.derphole.udp.uring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.UdpCounter;

/**
 * {@link DatagramEngine} over io_uring, driven through Panama FFM with raw syscalls: IORING_OP_SENDMSG and
 * IORING_OP_RECVMSG submissions over preallocated {@code msghdr}s that point into the caller's
 * {@link PacketBatch}, with UDP GSO ({@code UDP_SEGMENT} cmsg) on send and UDP GRO on receive (super-packets
 * split by the {@code UDP_GRO} cmsg's segment size). No payload is copied.
 * <p>
 * Each side has its own ring, so the two sides never share submission state:
 * <ul>
 * <li><b>Send:</b> one SENDMSG per message (a datagram or a GSO run), submitted together; the call returns
 * when all have completed, so the batch is free again. A stuck send is cancelled after the engine closes.</li>
 * <li><b>Receive:</b> a linked chain of RECVMSGs with {@code MSG_DONTWAIT}, which complete during the
 * submit (data, or EAGAIN that cancels the rest of the chain, as {@code recvmmsg} stops), so no request ever
 * outlives the call and the kernel never writes into a batch the caller owns again. The chain length adapts
 * like slow start (4 .. 256 messages) to what the last round found.
 * With nothing queued, the call waits in {@code io_uring_enter} on a one-shot POLL_ADD of the socket (kept
 * armed across calls) and a POLL_ADD of the engine's wake-up eventfd, with the timeout as an EXT_ARG.</li>
 * </ul>
 * <b>Threads.</b> One thread owns the send side, one the receive side (may be the same thread).
 * {@link #close()} may come from any thread; the rings, fds and native memory are freed when the last side
 * leaves its call.
 */
public final class IoUringUdpEngine extends NativeSocketEngine {
    /** Messages per send submission. */
    private static final int SEND_MESSAGES_PER_CALL = 64;
    /** Messages per receive submission; the batch's size limits it further. */
    private static final int RECEIVE_MESSAGES_PER_CALL = 256;
    /** Smallest receive round, in messages: what an idle socket is asked for. */
    private static final int MIN_RECEIVE_ROUND = 4;
    /** Whether a receive round's RECVMSGs form one linked chain (see {@link #receiveBatch}). */
    private static final boolean LINK_RECEIVES = !Boolean.getBoolean("derphole.udp.uring.unlinkedReceives");
    /** SQEs of the send ring: a full round of messages plus a cancel. */
    private static final int SEND_RING_ENTRIES = 128;
    /** SQEs of the receive ring: a full round of messages plus the polls and a cancel. */
    private static final int RECEIVE_RING_ENTRIES = 512;
    /** How long a send waits for completions before checking whether the engine closed, in ns. */
    private static final long WAIT_SLICE_NS = 100_000_000L;

    // user_data: the tag in the top byte, the message index below
    private static final long TAG_SHIFT = 56;
    private static final long TAG_IO = 0;
    private static final long TAG_SOCKET_POLL = 1L << TAG_SHIFT;
    private static final long TAG_WAKE_POLL = 2L << TAG_SHIFT;
    private static final long TAG_CANCEL = 3L << TAG_SHIFT;
    private static final long INDEX_MASK = (1L << TAG_SHIFT) - 1;

    private final Arena arena;
    private final ResourceGuard guard;
    private final IoUringRing sendRing;
    private final IoUringRing receiveRing;
    private final MsgHdrArray sendMessages;
    private final MsgHdrArray receiveMessages;
    private final int[] sendResults = new int[SEND_MESSAGES_PER_CALL];
    private final int[] receiveResults = new int[RECEIVE_MESSAGES_PER_CALL];
    private final int[] fallbackStart = new int[SEND_MESSAGES_PER_CALL];
    private final int[] fallbackEnd = new int[SEND_MESSAGES_PER_CALL];
    private final MemorySegment closeState;
    private final MemorySegment wakeScratch;
    private int receiveRound = MIN_RECEIVE_ROUND;
    private boolean socketPollArmed;
    private boolean wakePollArmed;

    private IoUringUdpEngine(final DatagramEngineConfig config, final NativeUdpSocket socket, final Arena arena)
        throws IOException {
        super(config, socket);
        this.arena = arena;
        this.sendMessages = new MsgHdrArray(arena, SEND_MESSAGES_PER_CALL, DatagramEngineConfig.MAX_GSO_SEGMENTS);
        this.receiveMessages = new MsgHdrArray(arena, RECEIVE_MESSAGES_PER_CALL, 1, socket.receiveTimestamps);
        this.closeState = LinuxCalls.newCallState(arena);
        this.wakeScratch = arena.allocate(8, 8);
        this.sendRing = IoUringRing.create(arena, LinuxCalls.newCallState(arena), SEND_RING_ENTRIES);
        IoUringRing receive = null;
        try {
            receive = IoUringRing.create(arena, LinuxCalls.newCallState(arena), RECEIVE_RING_ENTRIES);
        } finally {
            if (receive == null) {
                sendRing.close();
            }
        }
        this.receiveRing = receive;
        this.guard = new ResourceGuard(
            () -> socket.wake(closeState, wakeScratch),
            () -> {
                receiveRing.close();
                sendRing.close();
                socket.closeFds(closeState);
                arena.close();
            });
    }

    /** Why this engine cannot run here (no FFM access, io_uring disabled or too old), or null when it can. */
    public static Throwable unavailabilityCause() {
        return Probe.CAUSE;
    }

    /** Whether this engine can run here. */
    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Opens a socket and its two rings as {@code config} says. */
    public static IoUringUdpEngine open(final DatagramEngineConfig config) throws IOException {
        final Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException("uring engine unavailable: " + cause, cause);
        }
        final NativeUdpSocket socket = NativeUdpSocket.open(config);
        final Arena arena = Arena.ofShared();
        try {
            return new IoUringUdpEngine(config, socket, arena);
        } catch (final IOException | RuntimeException e) {
            socket.closeFds(LinuxCalls.newCallState(arena));
            arena.close();
            throw e;
        }
    }

    @Override
    public EngineKind kind() {
        return EngineKind.URING;
    }

    @Override
    public int sendBatch(final PacketBatch batch, final int gsoSegmentBytes) throws IOException {
        if (!guard.acquire()) {
            throw new ClosedChannelException();
        }
        try {
            final int gso = gsoSegmentBytes > 0 && supportsGso() ? gsoSegmentBytes : 0;
            return sendRange(batch, 0, batch.count(), gso);
        } finally {
            guard.release();
        }
    }

    private int sendRange(final PacketBatch batch, final int from, final int to, final int gso) throws IOException {
        int sent = 0;
        long bytes = 0;
        int slot = from;
        while (slot < to) {
            final int messages = sendMessages.prepareSend(batch, slot, to, gso, config.gsoMaxSegments());
            slot = sendMessages.nextSlot();
            for (int m = 0; m < messages; m++) {
                sendRing.queueMsg(Linux.IORING_OP_SENDMSG, 0, socket.fd, sendMessages.headerAddress(m), 0, TAG_IO | m);
                sendResults[m] = Integer.MIN_VALUE;
            }
            awaitSends(messages);
            counters.increment(UdpCounter.SEND_CALLS);

            int fallbacks = 0;
            for (int m = 0; m < messages; m++) {
                final int result = sendResults[m];
                final int segments = sendMessages.slotCount(m);
                if (result >= 0) {
                    sent += segments;
                    bytes += sendMessages.payloadBytes(m);
                    if (segments > 1) {
                        counters.increment(UdpCounter.GSO_MESSAGES);
                    }
                } else if (result == -Linux.EIO && segments > 1) {
                    // No checksum offload on this route: GSO cannot work here; resend these slots plainly.
                    fallbackStart[fallbacks] = sendMessages.firstSlot(m);
                    fallbackEnd[fallbacks] = sendMessages.firstSlot(m) + segments;
                    fallbacks++;
                } else {
                    final boolean noRoom = result == -Linux.EAGAIN || result == -Linux.ENOBUFS
                        || result == -Linux.ECANCELED;
                    counters.add(noRoom ? UdpCounter.SHORT_SENDS : UdpCounter.SEND_ERRORS, segments);
                }
            }
            if (fallbacks > 0) {
                gsoDisabled = true;
                counters.increment(UdpCounter.GSO_FALLBACKS);
                // The fallback ranges are copied out first: sendRange reuses the message arrays.
                final int[] starts = Arrays.copyOf(fallbackStart, fallbacks);
                final int[] ends = Arrays.copyOf(fallbackEnd, fallbacks);
                for (int f = 0; f < fallbacks; f++) {
                    sent += sendRange(batch, starts[f], ends[f], 0);
                }
            }
        }
        counters.add(UdpCounter.DATAGRAMS_SENT, sent);
        counters.add(UdpCounter.BYTES_SENT, bytes);
        return sent;
    }

    /** Submits the queued sends and waits for all {@code messages} completions; cancels them if the engine closes. */
    private void awaitSends(final int messages) throws IOException {
        int outstanding = messages;
        boolean cancelled = false;
        while (outstanding > 0) {
            final int result = sendRing.enter(outstanding, WAIT_SLICE_NS);
            if (result < 0 && result != -Linux.EINTR && result != -Linux.ETIME && result != -Linux.EBUSY) {
                throw new IOException("io_uring_enter (send) failed: " + LinuxCalls.describe(-result));
            }
            final int ready = sendRing.ready();
            for (int i = 0; i < ready; i++) {
                final long userData = sendRing.userData(i);
                if ((userData & ~INDEX_MASK) == TAG_IO) {
                    sendResults[(int)(userData & INDEX_MASK)] = sendRing.result(i);
                    outstanding--;
                }
            }
            sendRing.consume(ready);
            if (outstanding > 0 && !cancelled && guard.isClosed()) {
                // The batch memory must not be touched after we return: cancel and keep waiting for the CQEs.
                sendRing.queueCancelAll(TAG_CANCEL);
                cancelled = true;
            }
        }
    }

    @Override
    public int receiveBatch(final PacketBatch batch, final long timeoutNanos) throws IOException {
        if (!guard.acquire()) {
            throw new ClosedChannelException();
        }
        try {
            batch.clear();
            if (!wakePollArmed) {
                receiveRing.queuePoll(socket.wakeFd, Linux.POLLIN, TAG_WAKE_POLL);
                wakePollArmed = true;
            }
            final boolean gro = socket.groEnabled;
            final long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            while (true) {
                final int messages =
                    receiveMessages.prepareReceive(batch, gro, Math.min(receiveRound, receiveRing.freeSqes() - 2));
                for (int m = 0; m < messages; m++) {
                    // Linked like recvmmsg: the first EAGAIN cancels the rest of the chain cheaply.
                    final int link = LINK_RECEIVES && m < messages - 1 ? Linux.IOSQE_IO_LINK : 0;
                    receiveRing.queueMsg(Linux.IORING_OP_RECVMSG, link, socket.fd, receiveMessages.headerAddress(m),
                        Linux.MSG_DONTWAIT, TAG_IO | m);
                    receiveResults[m] = Integer.MIN_VALUE;
                }
                awaitReceives(messages);
                counters.increment(UdpCounter.RECEIVE_CALLS);

                int datagrams = 0;
                int filled = 0;
                for (int m = 0; m < messages; m++) {
                    final int result = receiveResults[m];
                    if (result >= 0) {
                        datagrams += receiveMessages.completeReceive(batch, m, result, gro, counters);
                        filled++;
                    } else if (result != -Linux.EAGAIN && result != -Linux.ECANCELED) {
                        if (!Errors.isTransientReceiveError(-result)) {
                            throw new IOException("io_uring recvmsg failed: " + LinuxCalls.describe(-result));
                        }
                        counters.increment(UdpCounter.RECEIVE_ERRORS);
                    }
                }
                // Like slow start: a full round doubles the next one, a partial round shrinks it to twice what
                // came, so an idle socket costs a handful of SQEs instead of a long chain of cancellations.
                receiveRound = filled == messages
                    ? Math.min(RECEIVE_MESSAGES_PER_CALL, Math.max(MIN_RECEIVE_ROUND, messages * 2))
                    : Math.max(MIN_RECEIVE_ROUND, filled * 2);
                if (datagrams > 0) {
                    counters.add(UdpCounter.DATAGRAMS_RECEIVED, datagrams);
                    counters.add(UdpCounter.BYTES_RECEIVED, receiveMessages.takeReceivedBytes());
                    return datagrams;
                }
                if (guard.isClosed()) {
                    throw new ClosedChannelException();
                }
                final long remaining = deadline - System.nanoTime();
                if (timeoutNanos <= 0 || remaining <= 0) {
                    return 0;
                }
                if (!socketPollArmed) {
                    receiveRing.queuePoll(socket.fd, Linux.POLLIN, TAG_SOCKET_POLL);
                    socketPollArmed = true;
                }
                final int result = receiveRing.enter(1, remaining);
                if (result < 0 && result != -Linux.EINTR && result != -Linux.ETIME && result != -Linux.EBUSY) {
                    throw new IOException("io_uring_enter (wait) failed: " + LinuxCalls.describe(-result));
                }
                reapReceives();
                if (guard.isClosed()) {
                    throw new ClosedChannelException();
                }
            }
        } finally {
            guard.release();
        }
    }

    /**
     * Submits the queued receives and waits until all {@code messages} have completed. With
     * {@code MSG_DONTWAIT} they complete during the submit; should the kernel ever park one instead, it is
     * cancelled after {@link #WAIT_SLICE_NS} so the call cannot outlive its timeout by much.
     */
    private void awaitReceives(final int messages) throws IOException {
        int outstanding = messages;
        boolean cancelled = false;
        while (true) {
            final int result = receiveRing.enter(outstanding, WAIT_SLICE_NS);
            if (result < 0 && result != -Linux.EINTR && result != -Linux.ETIME && result != -Linux.EBUSY) {
                throw new IOException("io_uring_enter (receive) failed: " + LinuxCalls.describe(-result));
            }
            outstanding -= reapReceives();
            if (outstanding <= 0) {
                return;
            }
            if (!cancelled && result == -Linux.ETIME) {
                receiveRing.queueCancelAll(TAG_CANCEL);
                cancelled = true;
            }
        }
    }

    /** Reads every ready completion of the receive ring; returns how many were RECVMSG completions. */
    private int reapReceives() {
        final int ready = receiveRing.ready();
        int io = 0;
        for (int i = 0; i < ready; i++) {
            final long userData = receiveRing.userData(i);
            final long tag = userData & ~INDEX_MASK;
            if (tag == TAG_IO) {
                receiveResults[(int)(userData & INDEX_MASK)] = receiveRing.result(i);
                io++;
            } else if (tag == TAG_SOCKET_POLL) {
                socketPollArmed = false;
            } else if (tag == TAG_WAKE_POLL) {
                wakePollArmed = false;
            }
        }
        receiveRing.consume(ready);
        return io;
    }

    @Override
    public boolean isOpen() {
        return !guard.isClosed();
    }

    @Override
    public void close() {
        guard.close();
    }

    @Override
    public String toString() {
        return "IoUringUdpEngine[" + socket.localAddress + (socket.groEnabled ? ", gro" : "") + "]";
    }

    /** Checks once per JVM that io_uring works here and has the opcodes this engine submits. */
    private static final class Probe {
        static final Throwable CAUSE = probe();

        private static Throwable probe() {
            if (LinuxCalls.UNAVAILABILITY_CAUSE != null) {
                return LinuxCalls.UNAVAILABILITY_CAUSE;
            }
            try (Arena arena = Arena.ofConfined()) {
                final IoUringRing ring = IoUringRing.create(arena, LinuxCalls.newCallState(arena), 8);
                try {
                    final String missing = ring.missingOpcodes(arena, Linux.IORING_OP_SENDMSG, Linux.IORING_OP_RECVMSG,
                        Linux.IORING_OP_POLL_ADD, Linux.IORING_OP_ASYNC_CANCEL);
                    return missing == null ? null : new UnsupportedOperationException(missing);
                } finally {
                    ring.close();
                }
            } catch (final IOException | RuntimeException e) {
                return e;
            }
        }
    }
}
