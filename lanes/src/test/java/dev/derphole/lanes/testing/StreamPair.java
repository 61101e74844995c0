package dev.derphole.lanes.testing;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.derphole.lanes.BulkReceiver;
import dev.derphole.lanes.BulkSender;
import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamKeys;
import dev.derphole.lanes.StreamListener;
import dev.derphole.udp.PacketPath;

/** A sender and a receiver over given paths, each running on its own thread; results as futures. */
public final class StreamPair {
    public final BulkSender sender;
    public final BulkReceiver receiver;
    public final CompletableFuture<Long> sent = new CompletableFuture<>();
    public final CompletableFuture<Long> received = new CompletableFuture<>();
    private volatile Thread senderThread;
    private volatile Thread receiverThread;

    public StreamPair(
        final StreamConfig config, final StreamKeys keys, final PacketPath senderPath, final PacketPath receiverPath) {
        this(config, keys, senderPath, receiverPath, StreamListener.NONE, StreamListener.NONE);
    }

    public StreamPair(
        final StreamConfig config, final StreamKeys keys, final PacketPath senderPath, final PacketPath receiverPath,
        final StreamListener senderListener, final StreamListener receiverListener) {
        sender = new BulkSender(config, keys, senderPath, senderListener);
        receiver = new BulkReceiver(config, keys, receiverPath, receiverListener);
    }

    /** Random keys from a seed (distinct per direction). */
    public static StreamKeys keys(final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] a = new byte[32];
        final byte[] b = new byte[32];
        random.nextBytes(a);
        random.nextBytes(b);
        return StreamKeys.of(a, random.nextInt(), b, random.nextInt());
    }

    /** Starts both sides. */
    public StreamPair start(final InputStream source, final OutputStream sink) {
        final Thread r = new Thread(() -> complete(received, () -> receiver.receive(sink)), "test-receiver");
        final Thread s = new Thread(() -> complete(sent, () -> sender.send(source)), "test-sender");
        r.setDaemon(true);
        s.setDaemon(true);
        r.start();
        s.start();
        senderThread = s;
        receiverThread = r;
        return this;
    }

    /** The thread running the sender's engine. */
    public Thread senderThread() {
        return senderThread;
    }

    /** The thread running the receiver's engine. */
    public Thread receiverThread() {
        return receiverThread;
    }

    /** Waits for both sides; returns the sender's count or throws the first failure. */
    public long await(final long timeout, final TimeUnit unit) throws Exception {
        final long sentBytes = get(sent, timeout, unit);
        final long receivedBytes = get(received, timeout, unit);
        if (sentBytes != receivedBytes) {
            throw new AssertionError("sent " + sentBytes + " but received " + receivedBytes);
        }
        return sentBytes;
    }

    /** The exception a side failed with, waiting for it. */
    public static StreamException failure(final CompletableFuture<Long> side, final long timeout, final TimeUnit unit)
        throws InterruptedException, TimeoutException {
        try {
            final long v = side.get(timeout, unit);
            throw new AssertionError("expected failure but completed with " + v);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof StreamException se) {
                return se;
            }
            throw new AssertionError("unexpected failure", e.getCause());
        }
    }

    private static long get(final CompletableFuture<Long> f, final long timeout, final TimeUnit unit) throws Exception {
        try {
            return f.get(timeout, unit);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private interface Body {
        long run() throws StreamException;
    }

    private static void complete(final CompletableFuture<Long> f, final Body body) {
        try {
            f.complete(body.run());
        } catch (final Throwable t) {
            f.completeExceptionally(t);
        }
    }

    @Override
    public String toString() {
        return "sender " + sender.stats() + "\nreceiver " + receiver.stats();
    }
}
