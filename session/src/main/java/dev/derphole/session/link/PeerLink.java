package dev.derphole.session.link;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.client.DerpEvent;
import dev.derphole.derp.client.PacketListener;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.rendezvous.ClaimDriver;

/**
 * A session's DERP connection. Stream packets from the bound peer go straight from the client's reader thread
 * to its {@link RelayPath} (a {@link PacketListener}: no copy into a new array, no queue, no thread hop; the
 * bulk of a transfer takes this way). Everything else goes through the client's receive queue to one
 * dispatcher thread that sorts packets by their first byte ({@link PacketKinds}): rendezvous packets go to a
 * bounded queue the session polls; control packets from the bound peer go to the control handler; anything
 * else is counted and dropped. Peer-gone and relay-connection events are kept for the session to report.
 * <p>
 * The dispatcher thread is the only caller of the client's receive; sends may come from any thread.
 */
public final class PeerLink implements AutoCloseable {
    /** Rendezvous packets waiting for the session; more than this are dropped (claims are retried anyway). */
    private static final int RENDEZVOUS_QUEUE = 64;
    private static final Duration POLL = Duration.ofMillis(200);

    private final DerpClient client;
    private final BlockingQueue<ClaimDriver.Received> rendezvous = new ArrayBlockingQueue<>(RENDEZVOUS_QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread dispatcher;
    private volatile RelayPath path;
    private volatile Consumer<byte[]> controlHandler;
    private volatile Runnable peerGoneHandler = () -> {
    };
    private volatile NodeKey gonePeer;
    private volatile String relayProblem;
    private volatile boolean closed;

    public PeerLink(final DerpClient client) {
        this.client = client;
        this.dispatcher = Thread.ofPlatform().daemon().name("derphole-relay-dispatch").unstarted(this::dispatch);
    }

    /** Starts reading events. */
    public PeerLink start() {
        client.packetListener(this::onRelayedPacket);
        dispatcher.start();
        return this;
    }

    public DerpClient client() {
        return client;
    }

    public NodeKey ownKey() {
        return client.publicKey();
    }

    /** Binds the relay path to {@code peer}; its stream packets flow there from now on. */
    public RelayPath pathTo(final NodeKey peer) {
        final RelayPath p = new RelayPath(client, peer);
        path = p;
        return p;
    }

    /**
     * Installs the handler for session control packets ({@link PacketKinds#isControl}) from the bound peer, called
     * on the dispatcher thread; control packets from anyone else, or before a peer is bound, are dropped.
     */
    public void controlHandler(final Consumer<byte[]> handler) {
        this.controlHandler = handler;
    }

    /** Called on the dispatcher thread each time the relay says the bound peer has left it. */
    public void peerGoneHandler(final Runnable handler) {
        this.peerGoneHandler = handler;
    }

    /** Sends one control packet (rendezvous reply or claim). */
    public void send(final NodeKey destination, final byte[] packet) throws IOException {
        try {
            client.send(destination, packet, 0, packet.length);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while sending to the relay");
        }
    }

    /** The next rendezvous packet, or null after {@code timeoutNs}. */
    public ClaimDriver.Received pollRendezvous(final long timeoutNs) throws InterruptedException {
        return rendezvous.poll(timeoutNs, TimeUnit.NANOSECONDS);
    }

    /** The bound peer's key when the relay said it left, else null. */
    public NodeKey gonePeer() {
        return gonePeer;
    }

    /** Last relay connection problem while it is down, or null when connected. */
    public String relayProblem() {
        return relayProblem;
    }

    /** Packets that nobody wanted (wrong first byte, wrong source, rendezvous overflow). */
    public long dropped() {
        return dropped.get();
    }

    /**
     * How long close() waits for queued packets (a final ABORT or CLOSE) to reach the relay. An ABORT can sit
     * behind the writer's batch in hand (≤ 128 packets of ≤ 64 KiB) on a loaded machine; Ctrl-C's hook waits 5 s.
     */
    private static final Duration CLOSE_FLUSH = Duration.ofMillis(2_000);

    @Override
    public void close() {
        try {
            client.flush(CLOSE_FLUSH);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        final RelayPath p = path;
        if (p != null) {
            p.close();
        }
        client.close();
        try {
            dispatcher.join(2_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dispatch() {
        while (!closed) {
            final DerpEvent event;
            try {
                event = client.receive(POLL);
            } catch (final InterruptedException e) {
                return;
            }
            if (event == null) {
                if (client.isClosed()) {
                    return;
                }
                continue;
            }
            switch (event) {
                case DerpEvent.Packet packet -> route(packet);
                case DerpEvent.PeerGone gone -> {
                    final RelayPath p = path;
                    if (p != null && gone.peer().equals(p.peer())) {
                        gonePeer = gone.peer();
                        peerGoneHandler.run();
                    }
                }
                case DerpEvent.Disconnected d -> relayProblem = d.cause();
                case DerpEvent.Reconnected r -> relayProblem = null;
                default -> {
                    // PeerPresent, Health, Restarting: the client handles what needs handling.
                }
            }
        }
    }

    /** Reader thread: takes stream packets from the bound peer; declines the rest (the dispatcher sorts them). */
    private boolean onRelayedPacket(final NodeKey source, final byte[] data, final int offset, final int length) {
        final RelayPath p = path;
        if (p == null || length == 0 || !PacketKinds.isStream(data[offset] & 0xff) || !source.equals(p.peer())) {
            return false;
        }
        gonePeer = null;
        p.deliver(data, offset, length);
        return true;
    }

    private void route(final DerpEvent.Packet packet) {
        final byte[] data = packet.data();
        if (data.length == 0) {
            dropped.incrementAndGet();
            return;
        }
        final int first = data[0] & 0xff;
        if (PacketKinds.isStream(first)) {
            final RelayPath p = path;
            if (p != null && packet.source().equals(p.peer())) {
                gonePeer = null;
                p.deliver(data, 0, data.length);
                return;
            }
        } else if (PacketKinds.isControl(first)) {
            final RelayPath p = path;
            final Consumer<byte[]> handler = controlHandler;
            if (p != null && handler != null && packet.source().equals(p.peer())) {
                handler.accept(data);
                return;
            }
        } else if (PacketKinds.isRendezvous(first)) {
            if (rendezvous.offer(new ClaimDriver.Received(packet.source(), data))) {
                return;
            }
        }
        dropped.incrementAndGet();
    }
}
