package dev.derphole.udp.epoll;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.EngineCounters;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.GsoRuns;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.SockAddr;
import dev.derphole.udp.UdpCounter;

/**
 * {@link DatagramEngine} over Netty's epoll transport (JNI), the proven fallback: {@code sendmmsg} with GSO
 * ({@link SegmentedDatagramPacket}) on send; on receive {@code recvmmsg} without GRO, or with {@code UDP_GRO}
 * one {@code recvmsg} per super-packet, which Netty splits by the segment size from the cmsg (see
 * {@link #GRO_MESSAGES_PER_READ}).
 * <p>
 * <b>Threads.</b> The socket belongs to a one-thread Netty event loop ({@code derphole-udp-epoll-N}).
 * The caller's send thread hands each round of messages to the loop as one task and waits until the last
 * write completes, so the messages can point at the batch memory without copying (retained slices of one
 * wrapper buffer; a GSO run is a composite of its slots). Received datagrams are copied by the loop into a
 * {@link ReceiveQueue} (dropped and counted when full), and the receive thread copies them from there into
 * its batch. So this engine copies every received datagram twice and allocates Netty message objects per
 * datagram; the FFM engines do neither. One thread owns the send side, one the receive side;
 * {@link #close()} may come from any thread.
 */
public final class EpollUdpEngine implements DatagramEngine {
    /** Messages per hand-over to the event loop. */
    private static final int MESSAGES_PER_ROUND = 64;
    /** Datagrams (or GRO super-packets) per {@code recvmmsg}. */
    private static final int MESSAGES_PER_READ = 32;
    /**
     * GRO super-packets per read: 1, so Netty uses {@code recvmsg}, which reads the {@code UDP_GRO} cmsg and
     * splits the super-packet by its segment size. Netty 4.2.18's {@code recvmmsg} path drops that cmsg and
     * delivers unsplit super-packets (measured: a 5 x 1200 B GSO burst arrived as one 6000 B datagram).
     * One read still returns up to 64 KiB of datagrams.
     */
    private static final int GRO_MESSAGES_PER_READ = 1;
    /** Largest GRO super-packet Netty must make room for, in bytes. */
    private static final int GRO_DATAGRAM_BYTES = 65536;
    /** How long a waiting sender sleeps between checks that the engine is still open, in ns. */
    private static final long SEND_WAIT_SLICE_NS = 100_000_000L;
    /** How long close waits for the event loop to stop, in ms. */
    private static final long SHUTDOWN_WAIT_MS = 2_000;

    private final DatagramEngineConfig config;
    private final EventLoopGroup group;
    private final EpollDatagramChannel channel;
    private final EventLoop eventLoop;
    private InetSocketAddress localAddress;
    private InetSocketAddress connectedPeer;
    private boolean groEnabled;
    private final EngineCounters counters = new EngineCounters();
    private final ReceiveQueue queue;
    private final long[] receivedBytes = new long[1];

    // send side (caller's send thread), plus the hand-over task run on the event loop
    private final Object[] roundMessages = new Object[MESSAGES_PER_ROUND];
    private final ChannelPromise[] roundPromises = new ChannelPromise[MESSAGES_PER_ROUND];
    private final int[] roundSegments = new int[MESSAGES_PER_ROUND];
    private final int[] roundBytes = new int[MESSAGES_PER_ROUND];
    private final WriteRound writeRound = new WriteRound();
    private final long[] cachedDestination = new long[SockAddr.BYTES / 8];
    private final MemorySegment cachedDestinationCell = MemorySegment.ofArray(cachedDestination);
    private InetSocketAddress cachedDestinationAddress;
    private PacketBatch wrappedBatch;
    private ByteBuf wrapper;
    private volatile boolean closed;

    private EpollUdpEngine(final DatagramEngineConfig config, final EventLoopGroup group,
        final EpollDatagramChannel channel,
        final ReceiveQueue queue) {
        this.config = config;
        this.group = group;
        this.channel = channel;
        this.eventLoop = channel.eventLoop();
        this.queue = queue;
    }

    /** Why Netty's epoll transport cannot run here, or null when it can. */
    public static Throwable unavailabilityCause() {
        try {
            return Epoll.unavailabilityCause();
        } catch (final LinkageError e) {
            return e;
        }
    }

    /** Whether this engine can run here. */
    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Opens a channel on its own event loop as {@code config} says. */
    public static EpollUdpEngine open(final DatagramEngineConfig config) throws IOException {
        final Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException("epoll engine unavailable: " + cause, cause);
        }
        final InetSocketAddress bind = config.bindAddress();
        final SocketProtocolFamily family =
            bind.getAddress() instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        final ReceiveQueue queue = new ReceiveQueue(config.epollQueueSlots(), config.maxDatagramBytes());
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("derphole-udp-epoll", true), EpollIoHandler.newFactory());
        try {
            // Without GRO each datagram gets maxDatagramBytes + 1, so an oversized one shows as truncated.
            final int datagramBytes = config.gro() ? GRO_DATAGRAM_BYTES : config.maxDatagramBytes() + 1;
            final int perRead = config.gro() ? GRO_MESSAGES_PER_READ : MESSAGES_PER_READ;
            final EpollUdpEngine[] engine = new EpollUdpEngine[1];
            final Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channelFactory(() -> new EpollDatagramChannel(family))
                .option(ChannelOption.SO_RCVBUF, config.socketReceiveBufferBytes())
                .option(ChannelOption.SO_SNDBUF, config.socketSendBufferBytes())
                .option(EpollChannelOption.UDP_GRO, config.gro())
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBytes)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(datagramBytes * perRead))
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(final ChannelHandlerContext ctx, final Object msg) {
                        engine[0].onRead(msg);
                    }

                    @Override
                    public void channelReadComplete(final ChannelHandlerContext ctx) {
                        engine[0].queue.publish();
                    }

                    @Override
                    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause) {
                        // ICMP errors on a connected socket (PortUnreachableException) and the like.
                        engine[0].counters.increment(UdpCounter.RECEIVE_ERRORS);
                    }
                });
            final ChannelFuture registered = bootstrap.register().awaitUninterruptibly();
            if (!registered.isSuccess()) {
                throw new IOException("epoll channel registration failed: " + registered.cause(), registered.cause());
            }
            final EpollDatagramChannel channel = (EpollDatagramChannel)registered.channel();
            // The handler needs the engine before the socket is bound and datagrams can arrive.
            engine[0] = new EpollUdpEngine(config, group, channel, queue);
            final ChannelFuture bound = channel.bind(bind).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                throw new IOException("bind " + bind + " failed: " + bound.cause(), bound.cause());
            }
            if (config.connectAddress() != null) {
                final ChannelFuture connectedFuture = channel.connect(config.connectAddress()).awaitUninterruptibly();
                if (!connectedFuture.isSuccess()) {
                    throw new IOException("connect " + config.connectAddress() + " failed: " + connectedFuture.cause(),
                        connectedFuture.cause());
                }
            }
            engine[0].finishOpen();
            return engine[0];
        } catch (final IOException | RuntimeException e) {
            group.shutdownGracefully(0, SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /** Reads what binding and connecting settled: the real local port, connectedness, GRO. */
    private void finishOpen() {
        localAddress = channel.localAddress();
        connectedPeer = channel.isConnected() ? channel.remoteAddress() : null;
        groEnabled = config.gro() && channel.config().getOption(EpollChannelOption.UDP_GRO);
    }

    @Override
    public EngineKind kind() {
        return EngineKind.EPOLL;
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
        return EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    @Override
    public boolean groEnabled() {
        return groEnabled;
    }

    @Override
    public EngineCounters counters() {
        return counters;
    }

    // ---- receive: event loop side ----

    private void onRead(final Object msg) {
        try {
            if (!(msg instanceof DatagramPacket packet)) {
                return;
            }
            final ByteBuf content = packet.content();
            final InetSocketAddress sender = packet.sender();
            final int length = content.readableBytes();
            final int segment = packet instanceof SegmentedDatagramPacket segmented
                ? segmented.segmentSize() : 0;
            if (segment > 0 && segment < length) {
                // In case Netty hands over an unsplit GRO super-packet: split it like the kernel built it.
                for (int offset = 0; offset < length; offset += segment) {
                    enqueue(content, content.readerIndex() + offset, Math.min(segment, length - offset), sender);
                }
            } else {
                enqueue(content, content.readerIndex(), length, sender);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void enqueue(final ByteBuf content, final int index, final int length, final InetSocketAddress sender) {
        if (length > queue.slotCapacity()) {
            counters.increment(UdpCounter.TRUNCATED);
        } else if (!queue.offer(content, index, length, sender)) {
            counters.increment(UdpCounter.RECEIVE_QUEUE_DROPS);
        }
    }

    // ---- receive: caller side ----

    @Override
    public int receiveBatch(final PacketBatch batch, final long timeoutNanos) throws IOException {
        checkOpen();
        if (batch.slotCapacity() < queue.slotCapacity()) {
            throw new IllegalArgumentException("batch slots (" + batch.slotCapacity()
                + " B) smaller than maxDatagramBytes (" + queue.slotCapacity() + " B)");
        }
        batch.clear();
        final long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        while (queue.available() == 0) {
            checkOpen();
            final long remaining = deadline - System.nanoTime();
            if (timeoutNanos <= 0 || remaining <= 0) {
                return 0;
            }
            queue.await(remaining);
        }
        receivedBytes[0] = 0;
        final int received = queue.drainTo(batch, receivedBytes);
        counters.increment(UdpCounter.RECEIVE_CALLS);
        counters.add(UdpCounter.DATAGRAMS_RECEIVED, received);
        counters.add(UdpCounter.BYTES_RECEIVED, receivedBytes[0]);
        return received;
    }

    // ---- send ----

    @Override
    public int sendBatch(final PacketBatch batch, final int gsoSegmentBytes) throws IOException {
        checkOpen();
        final int count = batch.count();
        if (count == 0) {
            return 0;
        }
        final int gso = gsoSegmentBytes > 0 && supportsGso() ? gsoSegmentBytes : 0;
        final ByteBuf whole = wrapperFor(batch);
        int sent = 0;
        int messages = 0;
        int slot = 0;
        while (slot < count) {
            final int segments = GsoRuns.runLength(batch, slot, count, gso, config.gsoMaxSegments());
            final InetSocketAddress slotDestination = destination(batch, slot);
            // Netty's segmented packets need a recipient even on a connected socket: use the peer.
            final InetSocketAddress destination = slotDestination != null ? slotDestination : connectedPeer;
            if (destination == null) {
                counters.add(UdpCounter.SEND_ERRORS, segments);
                slot += segments;
                continue;
            }
            int bytes = 0;
            final ByteBuf content;
            if (segments == 1) {
                content = whole.retainedSlice((int)batch.offset(slot), batch.length(slot));
                bytes = batch.length(slot);
            } else {
                final CompositeByteBuf run = Unpooled.compositeBuffer(segments);
                for (int s = slot; s < slot + segments; s++) {
                    run.addComponent(true, whole.retainedSlice((int)batch.offset(s), batch.length(s)));
                    bytes += batch.length(s);
                }
                content = run;
            }
            roundMessages[messages] = segments > 1
                ? new SegmentedDatagramPacket(content, gso, destination)
                : new DatagramPacket(content, destination);
            roundSegments[messages] = segments;
            roundBytes[messages] = bytes;
            messages++;
            slot += segments;
            if (messages == MESSAGES_PER_ROUND) {
                sent += writeRound(messages);
                messages = 0;
            }
        }
        if (messages > 0) {
            sent += writeRound(messages);
        }
        return sent;
    }

    /** Hands {@code messages} to the event loop, waits for the last write, and counts the outcome. */
    private int writeRound(final int messages) throws IOException {
        for (int i = 0; i < messages; i++) {
            roundPromises[i] = channel.newPromise();
        }
        writeRound.start(messages, Thread.currentThread());
        try {
            eventLoop.execute(writeRound);
        } catch (final RejectedExecutionException e) {
            for (int i = 0; i < messages; i++) {
                ReferenceCountUtil.release(roundMessages[i]);
                roundMessages[i] = null;
            }
            final ClosedChannelException closedException = new ClosedChannelException();
            closedException.initCause(e);
            throw closedException;
        }
        while (!writeRound.done) {
            if (closed && group.isTerminated()) {
                break;
            }
            LockSupport.parkNanos(writeRound, SEND_WAIT_SLICE_NS);
        }
        int sent = 0;
        long bytes = 0;
        for (int i = 0; i < messages; i++) {
            final ChannelPromise promise = roundPromises[i];
            if (promise.isSuccess()) {
                sent += roundSegments[i];
                bytes += roundBytes[i];
                if (roundSegments[i] > 1) {
                    counters.increment(UdpCounter.GSO_MESSAGES);
                }
            } else {
                counters.add(promise.isDone() ? UdpCounter.SEND_ERRORS : UdpCounter.SHORT_SENDS, roundSegments[i]);
            }
            roundPromises[i] = null;
            roundMessages[i] = null;
        }
        counters.increment(UdpCounter.SEND_CALLS);
        counters.add(UdpCounter.DATAGRAMS_SENT, sent);
        counters.add(UdpCounter.BYTES_SENT, bytes);
        if (!writeRound.done) {
            throw new ClosedChannelException();
        }
        return sent;
    }

    /** One buffer over the whole batch memory, kept while the same batch is sent again. */
    private ByteBuf wrapperFor(final PacketBatch batch) {
        if (batch != wrappedBatch) {
            if (wrapper != null) {
                wrapper.release();
            }
            wrapper = Unpooled.wrappedBuffer(batch.data().asByteBuffer());
            wrappedBatch = batch;
        }
        return wrapper;
    }

    /** The slot's destination, decoded once per distinct address; null for the connected peer. */
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

    private void checkOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
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
        queue.wakeConsumer();
        channel.close().awaitUninterruptibly(SHUTDOWN_WAIT_MS);
        group.shutdownGracefully(0, SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS).awaitUninterruptibly(SHUTDOWN_WAIT_MS);
        writeRound.wakeSender();
    }

    @Override
    public String toString() {
        return "EpollUdpEngine[" + localAddress + (groEnabled ? ", gro" : "") + "]";
    }

    /**
     * The task that writes one round of messages on the event loop and signals the waiting sender when
     * the last write completes (Netty completes a channel's writes in order).
     */
    private final class WriteRound implements Runnable, ChannelFutureListener {
        private int messages;
        private Thread sender;
        private volatile boolean done;

        void start(final int messageCount, final Thread senderThread) {
            this.messages = messageCount;
            this.sender = senderThread;
            this.done = false;
        }

        @Override
        public void run() {
            final Channel ch = channel;
            for (int i = 0; i < messages; i++) {
                ch.write(roundMessages[i], roundPromises[i]);
            }
            ch.flush();
            roundPromises[messages - 1].addListener(this);
        }

        @Override
        public void operationComplete(final ChannelFuture future) {
            done = true;
            LockSupport.unpark(sender);
        }

        void wakeSender() {
            final Thread waiting = sender;
            if (waiting != null) {
                LockSupport.unpark(waiting);
            }
        }
    }
}
