package dev.derphole.udp.uring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.UdpCounter;

/**
 * {@link DatagramEngine} over {@code sendmmsg(2)}/{@code recvmmsg(2)} called through Panama FFM: one system
 * call per batch each way, UDP GSO on send ({@code UDP_SEGMENT} cmsg per message) and UDP GRO on receive
 * (super-packets split by the {@code UDP_GRO} cmsg's segment size), all without copying payloads. It is the
 * predecessor of (and fallback for) {@link IoUringUdpEngine}, and needs no io_uring.
 * <p>
 * A receive with nothing queued waits in {@code poll(2)} on the socket and the engine's wake-up eventfd.
 * <p>
 * <b>Threads.</b> One thread owns the send side, one the receive side (may be the same thread); each side
 * has its own message array and errno state. {@link #close()} may come from any thread: it wakes a
 * blocked receive, and the fds and native memory are freed when the last side leaves its call.
 */
public final class MmsgUdpEngine extends NativeSocketEngine {
    /** Messages (datagrams, or GSO super-packets) per {@code sendmmsg}. */
    private static final int SEND_MESSAGES_PER_CALL = 64;
    /** Messages per {@code recvmmsg}; the batch's size limits it further. */
    private static final int RECEIVE_MESSAGES_PER_CALL = 256;
    /** {@code sizeof(struct pollfd)}. */
    private static final int POLLFD_BYTES = 8;

    private final Arena arena;
    private final ResourceGuard guard;
    private final MsgHdrArray sendMessages;
    private final MsgHdrArray receiveMessages;
    private final MemorySegment sendState;
    private final MemorySegment receiveState;
    private final MemorySegment closeState;
    private final MemorySegment wakeScratch;
    private final MemorySegment pollFds;

    private MmsgUdpEngine(final DatagramEngineConfig config, final NativeUdpSocket socket) {
        super(config, socket);
        this.arena = Arena.ofShared();
        this.sendMessages = new MsgHdrArray(arena, SEND_MESSAGES_PER_CALL, DatagramEngineConfig.MAX_GSO_SEGMENTS);
        this.receiveMessages = new MsgHdrArray(arena, RECEIVE_MESSAGES_PER_CALL, 1, socket.receiveTimestamps);
        this.sendState = LinuxCalls.newCallState(arena);
        this.receiveState = LinuxCalls.newCallState(arena);
        this.closeState = LinuxCalls.newCallState(arena);
        this.wakeScratch = arena.allocate(8, 8);
        this.pollFds = arena.allocate(2 * POLLFD_BYTES, 8);
        pollFds.set(ValueLayout.JAVA_INT, 0, socket.fd);
        LinuxCalls.putShort(pollFds, 4, Linux.POLLIN);
        pollFds.set(ValueLayout.JAVA_INT, POLLFD_BYTES, socket.wakeFd);
        LinuxCalls.putShort(pollFds, POLLFD_BYTES + 4, Linux.POLLIN);
        this.guard = new ResourceGuard(
            () -> socket.wake(closeState, wakeScratch),
            () -> {
                socket.closeFds(closeState);
                arena.close();
            });
    }

    /** Why this engine cannot run here, or null when it can. */
    public static Throwable unavailabilityCause() {
        return LinuxCalls.UNAVAILABILITY_CAUSE;
    }

    /** Whether this engine can run here. */
    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Opens a socket as {@code config} says. */
    public static MmsgUdpEngine open(final DatagramEngineConfig config) throws IOException {
        final Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException("mmsg engine unavailable: " + cause, cause);
        }
        return new MmsgUdpEngine(config, NativeUdpSocket.open(config));
    }

    @Override
    public EngineKind kind() {
        return EngineKind.MMSG;
    }

    @Override
    public int sendBatch(final PacketBatch batch, final int gsoSegmentBytes) throws IOException {
        if (!guard.acquire()) {
            throw new ClosedChannelException();
        }
        try {
            final int count = batch.count();
            int gso = gsoSegmentBytes > 0 && supportsGso() ? gsoSegmentBytes : 0;
            int sent = 0;
            long bytes = 0;
            int slot = 0;
            while (slot < count) {
                final int messages = sendMessages.prepareSend(batch, slot, count, gso, config.gsoMaxSegments());
                int done = 0;
                boolean retried = false;
                int restartSlot = -1;
                while (done < messages) {
                    final int result = LinuxCalls.sendmmsg(
                        sendState, socket.fd, sendMessages.headersFrom(done), messages - done, 0);
                    counters.increment(UdpCounter.SEND_CALLS);
                    if (result > 0) {
                        for (int m = done; m < done + result; m++) {
                            final int segments = sendMessages.slotCount(m);
                            sent += segments;
                            bytes += sendMessages.payloadBytes(m);
                            if (segments > 1) {
                                counters.increment(UdpCounter.GSO_MESSAGES);
                            }
                        }
                        done += result;
                        retried = false;
                        continue;
                    }
                    final int errno = LinuxCalls.errno(sendState);
                    if (errno == Linux.EINTR) {
                        continue;
                    }
                    if (errno == Linux.EIO && gso > 0 && sendMessages.slotCount(done) > 1) {
                        // No checksum offload on this route: GSO cannot work here, send plainly from now on.
                        gsoDisabled = true;
                        gso = 0;
                        counters.increment(UdpCounter.GSO_FALLBACKS);
                        restartSlot = sendMessages.firstSlot(done);
                        break;
                    }
                    if (errno == Linux.ECONNREFUSED && !retried) {
                        // A queued ICMP error was reported instead of sending; the next attempt sends.
                        counters.increment(UdpCounter.SEND_ERRORS);
                        retried = true;
                        continue;
                    }
                    final UdpCounter reason = errno == Linux.EAGAIN || errno == Linux.ENOBUFS
                        ? UdpCounter.SHORT_SENDS : UdpCounter.SEND_ERRORS;
                    counters.add(reason, sendMessages.slotCount(done));
                    done++;
                    retried = false;
                }
                slot = restartSlot >= 0 ? restartSlot : sendMessages.nextSlot();
            }
            counters.add(UdpCounter.DATAGRAMS_SENT, sent);
            counters.add(UdpCounter.BYTES_SENT, bytes);
            return sent;
        } finally {
            guard.release();
        }
    }

    @Override
    public int receiveBatch(final PacketBatch batch, final long timeoutNanos) throws IOException {
        if (!guard.acquire()) {
            throw new ClosedChannelException();
        }
        try {
            batch.clear();
            final boolean gro = socket.groEnabled;
            final long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            while (true) {
                final int messages = receiveMessages.prepareReceive(batch, gro);
                final int result = LinuxCalls.recvmmsg(
                    receiveState, socket.fd, receiveMessages.headers(), messages, Linux.MSG_DONTWAIT);
                counters.increment(UdpCounter.RECEIVE_CALLS);
                if (result > 0) {
                    int datagrams = 0;
                    for (int m = 0; m < result; m++) {
                        datagrams += receiveMessages.completeReceive(
                            batch, m, receiveMessages.messageLength(m), gro, counters);
                    }
                    if (datagrams > 0) {
                        counters.add(UdpCounter.DATAGRAMS_RECEIVED, datagrams);
                        counters.add(UdpCounter.BYTES_RECEIVED, receiveMessages.takeReceivedBytes());
                        return datagrams;
                    }
                    continue;
                }
                final int errno = result == 0 ? Linux.EAGAIN : LinuxCalls.errno(receiveState);
                if (errno == Linux.EINTR) {
                    continue;
                }
                if (errno != Linux.EAGAIN) {
                    if (!Errors.isTransientReceiveError(errno)) {
                        throw new IOException("recvmmsg failed: " + LinuxCalls.describe(errno));
                    }
                    counters.increment(UdpCounter.RECEIVE_ERRORS);
                    continue;
                }
                if (guard.isClosed()) {
                    throw new ClosedChannelException();
                }
                final long remaining = deadline - System.nanoTime();
                if (timeoutNanos <= 0 || remaining <= 0) {
                    return 0;
                }
                LinuxCalls.poll(receiveState, pollFds, 2, Errors.pollMillis(remaining));
                if (guard.isClosed()) {
                    throw new ClosedChannelException();
                }
            }
        } finally {
            guard.release();
        }
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
        return "MmsgUdpEngine[" + socket.localAddress + (socket.groEnabled ? ", gro" : "") + "]";
    }
}
