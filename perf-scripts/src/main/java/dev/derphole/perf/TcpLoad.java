package dev.derphole.perf;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline's traffic: N pairs of plain TCP connections through a forwarder. Each sender writes packets of one
 * size, each behind a 4-byte length (like DERP's 5-byte frame header) and carrying a sequence number, through a
 * {@link #STREAM_BUFFER_BYTES} buffer (DERP's writers batch frames the same way); each receiver reads them back and
 * counts them. TCP loses nothing, so loss must stay 0.
 * <p>
 * Use: {@link #open} the receivers' listening sockets, start the forwarder towards {@link #sinkPorts()}, then
 * {@link #start} the pairs through the forwarder's ports. Threads: one platform sender and one platform receiver
 * thread per pair. Owned by the benchmark's main thread.
 */
final class TcpLoad implements Load {
    /** Stream buffer on each side: DERP's frame writer and reader buffers are of this order (64 KiB, 32–64 KiB). */
    static final int STREAM_BUFFER_BYTES = 64 << 10;

    /** How long to keep trying to reach a forwarder that is still starting, and to wait for its connection. */
    static final long CONNECT_TIMEOUT_MS = 10_000;

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final List<ServerSocket> sinks = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<AtomicLong> sent = new ArrayList<>();
    private final List<SequenceTracker> received = new ArrayList<>();
    private volatile boolean stop;

    private TcpLoad() {
    }

    /** Binds one receiving socket per pair on 127.0.0.1, free ports. */
    static TcpLoad open(final int pairs) throws IOException {
        final TcpLoad load = new TcpLoad();
        try {
            for (int i = 0; i < pairs; i++) {
                final ServerSocket s = new ServerSocket();
                load.sinks.add(s);
                s.bind(new InetSocketAddress(LOOPBACK, 0), pairs);
                s.setSoTimeout((int)CONNECT_TIMEOUT_MS);
            }
            return load;
        } catch (final IOException e) {
            load.close();
            throw e;
        }
    }

    /** The receivers' ports, one per pair: where the forwarder must connect to. */
    List<Integer> sinkPorts() {
        final List<Integer> ports = new ArrayList<>();
        for (final ServerSocket s : sinks) {
            ports.add(s.getLocalPort());
        }
        return ports;
    }

    /** Connects pair i's sender to {@code entryPorts[i]}, accepts what the forwarder forwards, starts traffic. */
    void start(final List<Integer> entryPorts, final int size) throws IOException, InterruptedException {
        // Connect every pair before any traffic flows, as the DERP load does.
        final List<Socket> outs = new ArrayList<>();
        final List<Socket> ins = new ArrayList<>();
        for (int i = 0; i < sinks.size(); i++) {
            final Socket out = connect(entryPorts.get(i));
            sockets.add(out);
            outs.add(out);
            final Socket in = sinks.get(i).accept();
            sockets.add(in);
            ins.add(in);
        }
        for (int i = 0; i < sinks.size(); i++) {
            final Socket out = outs.get(i);
            final Socket in = ins.get(i);
            final AtomicLong count = new AtomicLong();
            final SequenceTracker tracker = new SequenceTracker();
            sent.add(count);
            received.add(tracker);
            threads.add(Thread.ofPlatform().daemon().name("tcp-rx-" + i).start(() -> receive(in, tracker)));
            threads.add(Thread.ofPlatform().daemon().name("tcp-tx-" + i).start(() -> send(out, size, count)));
        }
    }

    private static Socket connect(final int port) throws IOException, InterruptedException {
        final long deadlineNs = System.nanoTime() + CONNECT_TIMEOUT_MS * 1_000_000L;
        while (true) {
            try {
                return new Socket(LOOPBACK, port);
            } catch (final ConnectException e) {
                // The forwarder is not listening yet.
                if (System.nanoTime() - deadlineNs > 0) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    private void send(final Socket socket, final int size, final AtomicLong count) {
        final byte[] packet = new byte[size];
        long seq = 0;
        try {
            final DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), STREAM_BUFFER_BYTES));
            while (!stop) {
                SequenceTracker.putSeq(packet, seq);
                out.writeInt(size);
                out.write(packet, 0, size);
                seq++;
                count.lazySet(seq);
            }
            out.flush();
        } catch (final IOException e) {
            // Closed under us at the end of the run.
        }
    }

    private void receive(final Socket socket, final SequenceTracker tracker) {
        final byte[] packet = new byte[BenchOptions.MAX_SIZE];
        try {
            final DataInputStream in =
                new DataInputStream(new BufferedInputStream(socket.getInputStream(), STREAM_BUFFER_BYTES));
            while (!stop) {
                final int length = in.readInt();
                if (length < Long.BYTES || length > packet.length) {
                    return; // cannot happen with our sender; stop rather than misread the stream
                }
                in.readFully(packet, 0, length);
                tracker.onPacket(SequenceTracker.seqAt(packet, 0), length);
            }
        } catch (final IOException e) {
            // Closed at the end of the run.
        }
    }

    @Override
    public Totals totals() {
        Totals t = Totals.ZERO;
        for (int i = 0; i < received.size(); i++) {
            final SequenceTracker r = received.get(i);
            t = t.plus(new Totals(sent.get(i).get(), r.delivered(), r.bytes(), r.lost(), r.late()));
        }
        return t;
    }

    @Override
    public void close() {
        stop = true;
        for (final Socket s : sockets) {
            closeQuietly(s);
        }
        for (final ServerSocket s : sinks) {
            closeQuietly(s);
        }
        for (final Thread t : threads) {
            try {
                t.join(DerpLoad.JOIN_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeQuietly(final AutoCloseable c) {
        try {
            c.close();
        } catch (final Exception e) {
            // Best effort at the end of a run.
        }
    }
}
