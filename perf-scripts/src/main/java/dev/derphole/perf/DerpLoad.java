package dev.derphole.perf;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.client.DerpClientConfig;
import dev.derphole.derp.client.DerpEvent;
import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.proto.NodeKey;

/**
 * N pairs of {@link DerpClient}s on one relay: each sender pushes sequence-numbered packets of one size to its
 * receiver as fast as the client's send queue lets it (it blocks while the queue is full: backpressure), each
 * receiver counts what arrives. Clients use their default settings, as the product does.
 * <p>
 * Threads: one platform sender and one platform receiver thread per pair, plus each client's own reader and
 * writer. Owned by the benchmark's main thread; {@link #totals()} may be called from it at any time.
 */
final class DerpLoad implements Load {
    /** How long a receiver waits for a packet before checking whether to stop. */
    static final Duration POLL = Duration.ofMillis(100);

    /** How long closing waits for each load thread. */
    static final long JOIN_MS = 5_000;

    private final List<DerpClient> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<AtomicLong> sent = new ArrayList<>();
    private final List<SequenceTracker> received = new ArrayList<>();
    private volatile boolean stop;

    private DerpLoad() {
    }

    /** Connects 2 × {@code pairs} clients to {@code target} and starts the traffic. */
    static DerpLoad start(final DerpTarget target, final int pairs, final int size)
        throws IOException, InterruptedException {
        final DerpLoad load = new DerpLoad();
        try {
            // Connect everyone before any traffic flows: a relay busy forwarding must not be what a handshake
            // waits for (that is a separate question), and every pair then runs for the same time.
            final List<DerpClient> senders = new ArrayList<>();
            final List<DerpClient> receivers = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                senders.add(load.connect(target));
                receivers.add(load.connect(target));
            }
            for (int i = 0; i < pairs; i++) {
                final DerpClient sender = senders.get(i);
                final DerpClient receiver = receivers.get(i);
                final AtomicLong count = new AtomicLong();
                final SequenceTracker tracker = new SequenceTracker();
                load.sent.add(count);
                load.received.add(tracker);
                load.threads.add(Thread.ofPlatform().daemon().name("derp-rx-" + i)
                    .start(() -> load.receive(receiver, tracker)));
                load.threads.add(Thread.ofPlatform().daemon().name("derp-tx-" + i)
                    .start(() -> load.send(sender, receiver.publicKey(), size, count)));
            }
            return load;
        } catch (final IOException | RuntimeException e) {
            load.close();
            throw e;
        }
    }

    private DerpClient connect(final DerpTarget target) throws IOException {
        final DerpClient c = new DerpClient(DerpClientConfig.builder(target).build());
        clients.add(c);
        c.connect();
        return c;
    }

    private void send(final DerpClient client, final NodeKey to, final int size, final AtomicLong count) {
        final byte[] packet = new byte[size];
        long seq = 0;
        try {
            while (!stop) {
                SequenceTracker.putSeq(packet, seq);
                client.send(to, packet, 0, size);
                seq++;
                count.lazySet(seq);
            }
        } catch (final IOException | InterruptedException e) {
            // Closed while blocked on a full queue: the run is over.
        }
    }

    private void receive(final DerpClient client, final SequenceTracker tracker) {
        try {
            while (!stop) {
                final DerpEvent event = client.receive(POLL);
                if (event instanceof DerpEvent.Packet p) {
                    final byte[] data = p.data();
                    tracker.onPacket(SequenceTracker.seqAt(data, 0), data.length);
                }
            }
        } catch (final InterruptedException e) {
            // Closing.
        }
    }

    @Override
    public Totals totals() {
        Totals t = Totals.ZERO;
        for (int i = 0; i < sent.size(); i++) {
            final SequenceTracker r = received.get(i);
            t = t.plus(new Totals(sent.get(i).get(), r.delivered(), r.bytes(), r.lost(), r.late()));
        }
        return t;
    }

    @Override
    public void close() {
        stop = true;
        for (final DerpClient c : clients) {
            c.close();
        }
        for (final Thread t : threads) {
            try {
                t.join(JOIN_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
