package dev.derphole.udp.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.UdpCounter;

/**
 * Loopback throughput of the datagram engines: one sender thread blasting fixed-size datagrams through one
 * engine, one receiver thread draining another, for each engine and mode ({@code plain}, {@code gso16},
 * {@code gso32}: GSO runs of 16/32 segments on send with GRO on receive). Each run: warm-up, then a
 * measured window; the median run (by received MB/s) of each cell is reported, as a Markdown table.
 * <p>
 * Not a test (never run by surefire). Run it with {@code bin/bench-udp} (see docs/benchmarks-udp.md).
 * Arguments ({@code --name value}): engines (uring,mmsg,epoll,nio), modes (plain,gso16,gso32), size (1452),
 * warmup seconds (1), seconds (5), runs (3), rcvbuf (receiver SO_RCVBUF request, 4194304).
 */
public final class UdpBench {
    /** Slots per send call without GSO. */
    private static final int PLAIN_SEND_SLOTS = 64;
    /** GSO runs per send call. */
    private static final int GSO_RUNS_PER_SEND = 4;
    /** Slots of the receive batch without GRO. */
    private static final int PLAIN_RECEIVE_SLOTS = 256;
    /** How long a receive waits before checking for the end of the run, in ns. */
    private static final long RECEIVE_WAIT_NS = 10_000_000L;

    private UdpBench() {
    }

    /** One measured run. */
    record Run(double rxMegabytesPerSec, double rxPacketsPerSec, double txPacketsPerSec, double lossPercent,
        long badLengths) {
    }

    public static void main(final String[] args) throws Exception {
        String engines = "uring,mmsg,epoll,nio";
        String modes = "plain,gso16,gso32";
        int size = 1452;
        double warmup = 1;
        double seconds = 5;
        int runs = 3;
        int rcvbuf = DatagramEngineConfig.DEFAULT_SOCKET_BUFFER_BYTES;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--engines" -> engines = args[i + 1];
                case "--modes" -> modes = args[i + 1];
                case "--size" -> size = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Double.parseDouble(args[i + 1]);
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--rcvbuf" -> rcvbuf = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.printf(Locale.ROOT,
            "# UdpBench: %d-byte datagrams, %.1f s warm-up + %.1f s measured, median of %d, SO_RCVBUF %d%n",
            size, warmup, seconds, runs, rcvbuf);
        System.out.println("| engine | mode | rx MB/s | rx kpps | tx kpps | loss % | runs (rx MB/s) |");
        System.out.println("|---|---|---:|---:|---:|---:|---|");
        for (final String engineName : engines.split(",")) {
            final EngineKind kind = EngineKind.parse(engineName);
            for (final String mode : modes.split(",")) {
                final int segments = mode.equals("plain") ? 0 : Integer.parseInt(mode.substring(3));
                if (segments > 0 && kind == EngineKind.NIO) {
                    System.out.printf("| %s | %s | n/a | | | | no GSO/GRO in NIO |%n", kind.label(), mode);
                    continue;
                }
                final List<Run> results = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    results.add(run(kind, size, segments, warmup, seconds, rcvbuf));
                }
                final List<Run> sorted = new ArrayList<>(results);
                sorted.sort((a, b) -> Double.compare(a.rxMegabytesPerSec(), b.rxMegabytesPerSec()));
                final Run median = sorted.get(sorted.size() / 2);
                final StringBuilder all = new StringBuilder();
                for (final Run each : results) {
                    all.append(all.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f",
                        each.rxMegabytesPerSec()));
                }
                final long bad = results.stream().mapToLong(Run::badLengths).sum();
                System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f | %.0f | %.2f | %s%s |%n", kind.label(), mode,
                    median.rxMegabytesPerSec(), median.rxPacketsPerSec() / 1e3, median.txPacketsPerSec() / 1e3,
                    median.lossPercent(), all, bad > 0 ? " (" + bad + " wrong-length datagrams!)" : "");
            }
        }
    }

    private static Run run(final EngineKind kind, final int size, final int segments, final double warmup,
        final double seconds, final int rcvbuf) throws Exception {
        final InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        final boolean gso = segments > 0;
        final DatagramEngineConfig receiverConfig = DatagramEngineConfig.builder(loopback)
            .gro(gso).receiveBatchSlots(PLAIN_RECEIVE_SLOTS).maxDatagramBytes(Math.max(size, 1500))
            .socketReceiveBufferBytes(rcvbuf).build();
        final DatagramEngineConfig senderConfig = DatagramEngineConfig.builder(loopback)
            .gsoMaxSegments(gso ? segments : 1).maxDatagramBytes(Math.max(size, 1500)).build();
        try (DatagramEngine receiver = DatagramEngines.open(kind, receiverConfig);
             DatagramEngine sender = DatagramEngines.open(kind, senderConfig);
             PacketBatch in = receiver.newReceiveBatch();
             PacketBatch out = new PacketBatch(gso ? segments * GSO_RUNS_PER_SEND : PLAIN_SEND_SLOTS, size)) {
            final byte[] payload = new byte[size];
            Arrays.fill(payload, (byte)0x5a);
            while (out.add(payload, 0, size, receiver.localAddress()) >= 0) {
                // Fill every slot once; the payload never changes.
            }
            final AtomicLong received = new AtomicLong();
            final AtomicLong receivedBytes = new AtomicLong();
            final AtomicLong badLengths = new AtomicLong();
            final AtomicLong sent = new AtomicLong();
            final boolean[] stop = new boolean[1];
            final Object stopLock = new Object();
            final Thread rx = Thread.ofPlatform().name("bench-rx").start(() -> {
                long count = 0;
                long bytes = 0;
                try {
                    while (!stopped(stop, stopLock)) {
                        final int n = receiver.receiveBatch(in, RECEIVE_WAIT_NS);
                        for (int i = 0; i < n; i++) {
                            final int length = in.length(i);
                            bytes += length;
                            if (length != size) {
                                badLengths.incrementAndGet();
                            }
                        }
                        count += n;
                        received.lazySet(count);
                        receivedBytes.lazySet(bytes);
                    }
                } catch (final IOException e) {
                    // closed at the end of the run
                }
            });
            final Thread tx = Thread.ofPlatform().name("bench-tx").start(() -> {
                long count = 0;
                try {
                    while (!stopped(stop, stopLock)) {
                        count += sender.sendBatch(out, gso ? size : 0);
                        sent.lazySet(count);
                    }
                } catch (final IOException e) {
                    // closed at the end of the run
                }
            });
            Thread.sleep((long)(warmup * 1000));
            final long rx0 = received.get();
            final long rxBytes0 = receivedBytes.get();
            final long tx0 = sent.get();
            final long t0 = System.nanoTime();
            Thread.sleep((long)(seconds * 1000));
            final long rx1 = received.get();
            final long rxBytes1 = receivedBytes.get();
            final long tx1 = sent.get();
            final double elapsed = (System.nanoTime() - t0) / 1e9;
            synchronized (stopLock) {
                stop[0] = true;
            }
            tx.join(5_000);
            rx.join(5_000);
            final double txPackets = tx1 - tx0;
            final double rxPackets = rx1 - rx0;
            final double loss = txPackets <= 0 ? 0 : Math.max(0, 100.0 * (1 - rxPackets / txPackets));
            if (sender.counters().get(UdpCounter.SEND_ERRORS) > 0) {
                System.err.println("send errors: " + sender.counters());
            }
            return new Run((rxBytes1 - rxBytes0) / elapsed / 1e6, rxPackets / elapsed, txPackets / elapsed, loss,
                badLengths.get());
        }
    }

    private static boolean stopped(final boolean[] stop, final Object lock) {
        synchronized (lock) {
            return stop[0];
        }
    }
}
