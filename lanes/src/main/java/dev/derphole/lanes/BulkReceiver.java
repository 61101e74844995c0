package dev.derphole.lanes;

import java.io.OutputStream;

import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.receive.ReceiveEngine;
import dev.derphole.udp.PacketPath;

/**
 * Receives one byte stream from a {@link BulkSender} and writes it, in order and exactly once, to an
 * {@link OutputStream}.
 * <pre>{@code
 * BulkReceiver receiver = new BulkReceiver(StreamConfig.defaults(), keys, relayPath);
 * long bytes = receiver.receive(System.out);  // blocks until every byte is written and flushed
 * }</pre>
 * Threads: {@link #receive} runs the engine on the calling thread and starts one daemon thread that writes to
 * the sink; {@link #switchPath}, {@link #abort} and {@link #stats} may be called from any thread.
 * One {@code BulkReceiver} receives one stream.
 */
public final class BulkReceiver {
    private final StreamCounters counters = new StreamCounters();
    private final ReceiveEngine engine;
    private volatile boolean started;

    /** Installs the receive handler on {@code path} at once (packets that arrive early are queued). */
    public BulkReceiver(final StreamConfig config, final StreamKeys keys, final PacketPath path) {
        this(config, keys, path, StreamListener.NONE);
    }

    /** As above, with a listener for milestones (called on the engine thread). */
    public BulkReceiver(
        final StreamConfig config, final StreamKeys keys, final PacketPath path, final StreamListener listener) {
        this.engine = new ReceiveEngine(config, keys, path, counters, listener);
    }

    /**
     * A receiver whose first path is named later with {@link #bindPath}: its buffers (the receive window, tens of
     * MiB) and ciphers are ready before the peer is known, so answering a claim costs no allocation.
     */
    public BulkReceiver(final StreamConfig config, final StreamKeys keys) {
        this(config, keys, null, StreamListener.NONE);
    }

    /**
     * Names the first path of a receiver built without one and installs its handler; before {@link #receive}, on
     * the thread that will call it.
     *
     * @throws IllegalStateException when the receiver already has a path
     */
    public void bindPath(final PacketPath path) {
        engine.bindPath(path);
    }

    /**
     * Writes the stream to {@code sink}; returns after the last byte was written and flushed and the sender
     * closed (or the linger time passed).
     *
     * @return stream length in bytes
     * @throws StreamException when either side aborts, the peer vanishes, the protocol breaks or the sink fails
     * @throws IllegalStateException when called twice
     */
    public long receive(final OutputStream sink) throws StreamException {
        if (started) {
            throw new IllegalStateException("a BulkReceiver receives one stream");
        }
        started = true;
        return engine.run(sink);
    }

    /** Sends acknowledgements on {@code path} from now on; packets are accepted on every attached path. */
    public void switchPath(final PacketPath path) {
        engine.switchPath(path);
    }

    /** Fails the stream here and tells the sender; any thread. No effect once everything was delivered. */
    public void abort(final String reason) {
        engine.abort(reason);
    }

    /**
     * The session heard that the sender left (the relay's PeerGone): unless a packet from it arrives within a few
     * seconds ({@link dev.derphole.lanes.engine.PeerLeftWatch#GRACE_NS}, at most the peer timeout), the stream
     * fails as PEER_VANISHED instead of waiting the whole peer timeout. Any thread.
     */
    public void peerLeft() {
        engine.peerLeft();
    }

    /**
     * Accepts packets arriving on {@code path} too, without sending on it (yet): the session attaches a new
     * direct path as soon as it exists, so nothing the peer sends there is lost before {@link #switchPath}.
     */
    public void attachPath(final PacketPath path) {
        engine.attachPath(path);
    }

    public StreamStats stats() {
        return StreamStats.of(counters);
    }
}
