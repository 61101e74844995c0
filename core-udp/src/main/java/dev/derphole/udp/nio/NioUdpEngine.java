package dev.derphole.udp.nio;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.EngineCounters;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.SockAddr;
import dev.derphole.udp.UdpCounter;

/**
 * {@link DatagramEngine} over a non-blocking NIO {@link DatagramChannel}: the last resort that runs on every
 * JVM. One system call per datagram each way, no GSO (a GSO request sends each slot on its own, which the
 * receiver cannot tell apart) and no GRO. Payloads are read and written in place through
 * {@link PacketBatch#slotBuffer(int)} views, so nothing is copied on the Java side.
 * <p>
 * Receives wait in a {@link Selector} of their own; a send that finds the socket buffer full waits up to
 * {@link #SEND_WAIT_MS} in another selector, then counts the datagram as a short send.
 * <p>
 * <b>Threads.</b> One thread owns the send side, one the receive side (may be the same thread); the JDK
 * channel allows one concurrent sender and receiver. {@link #close()} may come from any thread.
 */
public final class NioUdpEngine implements DatagramEngine {
    /** Longest a send waits for socket buffer room before giving up on a datagram, in ms. */
    private static final long SEND_WAIT_MS = 10;

    private final DatagramEngineConfig config;
    private final DatagramChannel channel;
    private final Selector receiveSelector;
    private final Selector sendSelector;
    private final InetSocketAddress localAddress;
    private final boolean connected;
    private final EngineCounters counters = new EngineCounters();
    private final long[] cachedDestination = new long[SockAddr.BYTES / 8];
    private final java.lang.foreign.MemorySegment cachedDestinationCell =
        java.lang.foreign.MemorySegment.ofArray(cachedDestination);
    private InetSocketAddress cachedDestinationAddress;
    private SocketAddress cachedSource;
    private volatile boolean closed;

    private NioUdpEngine(final DatagramEngineConfig config, final DatagramChannel channel) throws IOException {
        this.config = config;
        this.channel = channel;
        this.localAddress = (InetSocketAddress)channel.getLocalAddress();
        this.connected = channel.isConnected();
        this.receiveSelector = Selector.open();
        this.sendSelector = Selector.open();
        channel.register(receiveSelector, SelectionKey.OP_READ);
        channel.register(sendSelector, SelectionKey.OP_WRITE);
    }

    /** Always null: NIO runs everywhere. */
    public static Throwable unavailabilityCause() {
        return null;
    }

    /** Always true. */
    public static boolean isAvailable() {
        return true;
    }

    /** Opens a channel as {@code config} says. */
    public static NioUdpEngine open(final DatagramEngineConfig config) throws IOException {
        final InetSocketAddress bind = config.bindAddress();
        final DatagramChannel channel = DatagramChannel.open(
            bind.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, config.socketReceiveBufferBytes());
            channel.setOption(StandardSocketOptions.SO_SNDBUF, config.socketSendBufferBytes());
            channel.bind(bind);
            if (config.connectAddress() != null) {
                channel.connect(config.connectAddress());
            }
            channel.configureBlocking(false);
            return new NioUdpEngine(config, channel);
        } catch (final IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public EngineKind kind() {
        return EngineKind.NIO;
    }

    @Override
    public DatagramEngineConfig config() {
        return config;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public boolean supportsGso() {
        return false;
    }

    @Override
    public boolean groEnabled() {
        return false;
    }

    @Override
    public EngineCounters counters() {
        return counters;
    }

    @Override
    public int sendBatch(final PacketBatch batch, final int gsoSegmentBytes) throws IOException {
        checkOpen();
        final int count = batch.count();
        int sent = 0;
        long bytes = 0;
        try {
            for (int slot = 0; slot < count; slot++) {
                final int length = batch.length(slot);
                final ByteBuffer buffer = batch.slotBuffer(slot);
                final int start = (int)(batch.offset(slot) - (long)slot * batch.stride());
                buffer.limit(start + length).position(start);
                final InetSocketAddress destination = destination(batch, slot);
                int written = trySend(buffer, destination);
                if (written == 0 && length > 0) {
                    sendSelector.selectedKeys().clear();
                    sendSelector.select(SEND_WAIT_MS);
                    written = trySend(buffer, destination);
                }
                counters.increment(UdpCounter.SEND_CALLS);
                if (written > 0 || length == 0 && written >= 0) {
                    sent++;
                    bytes += length;
                } else if (written == 0) {
                    counters.increment(UdpCounter.SHORT_SENDS);
                }
            }
        } catch (final AsynchronousCloseException | ClosedSelectorException e) {
            throw closedException(e);
        } finally {
            counters.add(UdpCounter.DATAGRAMS_SENT, sent);
            counters.add(UdpCounter.BYTES_SENT, bytes);
        }
        return sent;
    }

    /** Sends one datagram; 0 when there was no room, -1 when the kernel rejected it (counted). */
    private int trySend(final ByteBuffer buffer, final InetSocketAddress destination) throws IOException {
        final int position = buffer.position();
        try {
            if (destination == null) {
                if (!connected) {
                    counters.increment(UdpCounter.SEND_ERRORS);
                    return -1;
                }
                return channel.write(buffer);
            }
            return connected && destination.equals(channel.getRemoteAddress())
                ? channel.write(buffer) : channel.send(buffer, destination);
        } catch (final ClosedChannelException e) {
            throw e;
        } catch (final IOException | IllegalArgumentException | SecurityException e) {
            // Port unreachable from an earlier ICMP, a bad destination, a datagram over the limit...
            buffer.position(position);
            counters.increment(UdpCounter.SEND_ERRORS);
            return -1;
        }
    }

    /** The slot's destination, decoded once per distinct address (allocation only when it changes). */
    private InetSocketAddress destination(final PacketBatch batch, final int slot) {
        final long cell = PacketBatch.addressOffset(slot);
        if (SockAddr.family(batch.addresses(), cell) == 0) {
            return null;
        }
        if (cachedDestinationAddress == null || !SockAddr.matches(batch.addresses(), cell, cachedDestinationCell, 0)) {
            SockAddr.copy(batch.addresses(), cell, cachedDestinationCell, 0);
            cachedDestinationAddress = SockAddr.decode(cachedDestinationCell, 0);
        }
        return cachedDestinationAddress;
    }

    @Override
    public int receiveBatch(final PacketBatch batch, final long timeoutNanos) throws IOException {
        checkOpen();
        batch.clear();
        final long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        final int slotCapacity = batch.slotCapacity();
        long bytes = 0;
        try {
            while (true) {
                while (!batch.isFull()) {
                    final int slot = batch.count();
                    final ByteBuffer buffer = batch.slotBuffer(slot);
                    final SocketAddress source;
                    try {
                        source = channel.receive(buffer);
                    } catch (final PortUnreachableException e) {
                        counters.increment(UdpCounter.RECEIVE_ERRORS);
                        continue;
                    }
                    counters.increment(UdpCounter.RECEIVE_CALLS);
                    if (source == null) {
                        break;
                    }
                    final int length = buffer.position();
                    if (length > slotCapacity) {
                        // The slot's stride leaves one spare byte: filling it means the datagram did not fit.
                        counters.increment(UdpCounter.TRUNCATED);
                        continue;
                    }
                    batch.append((long)slot * batch.stride(), length);
                    storeSource(batch, slot, source);
                    bytes += length;
                }
                final int received = batch.count();
                if (received > 0) {
                    counters.add(UdpCounter.DATAGRAMS_RECEIVED, received);
                    counters.add(UdpCounter.BYTES_RECEIVED, bytes);
                    return received;
                }
                checkOpen();
                final long remaining = deadline - System.nanoTime();
                if (timeoutNanos <= 0 || remaining <= 0) {
                    return 0;
                }
                receiveSelector.selectedKeys().clear();
                receiveSelector.select(Math.max(1, (remaining + 999_999) / 1_000_000));
                checkOpen();
            }
        } catch (final AsynchronousCloseException | ClosedSelectorException e) {
            // close() from another thread: the channel or our selector went away under us.
            throw closedException(e);
        }
    }

    /** Writes the source into the slot's cell; the JDK returns the same object for a repeated sender. */
    private void storeSource(final PacketBatch batch, final int slot, final SocketAddress source) {
        final long cell = PacketBatch.addressOffset(slot);
        if (source == cachedSource && slot > 0) {
            SockAddr.copy(batch.addresses(), PacketBatch.addressOffset(slot - 1), batch.addresses(), cell);
        } else {
            SockAddr.encode((InetSocketAddress)source, batch.addresses(), cell);
            cachedSource = source;
        }
    }

    private void checkOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    private static ClosedChannelException closedException(final Throwable cause) {
        final ClosedChannelException closed = new ClosedChannelException();
        closed.initCause(cause);
        return closed;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        receiveSelector.wakeup();
        sendSelector.wakeup();
        try {
            channel.close();
        } catch (final IOException ignored) {
            // Closing a datagram channel has nothing to flush; there is nothing useful to do here.
        }
        try {
            receiveSelector.close();
            sendSelector.close();
        } catch (final IOException ignored) {
            // As above.
        }
    }

    @Override
    public String toString() {
        return "NioUdpEngine[" + localAddress + "]";
    }
}
