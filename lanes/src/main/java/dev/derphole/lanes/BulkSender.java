package dev.derphole.lanes;

import java.io.InputStream;
import java.util.List;

import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.send.SendEngine;
import dev.derphole.udp.PacketPath;

/**
 * Sends one byte stream reliably to a {@link BulkReceiver} over a {@link PacketPath} (the DERP relay, direct
 * UDP), switchable mid-stream without loss or duplication. Every packet is AES-256-GCM sealed.
 * <pre>{@code
 * BulkSender sender = new BulkSender(StreamConfig.defaults(), keys, relayPath);
 * long bytes = sender.send(System.in);       // blocks until the receiver has every byte
 * // from the session, when direct comes up:  sender.switchPath(directPath);
 * // from a Ctrl-C hook:                      sender.abort("interrupted");
 * }</pre>
 * Threads: {@link #send} runs the engine on the calling thread and starts one daemon thread that reads the
 * source; {@link #switchPath}, {@link #abort} and {@link #stats} may be called from any thread.
 * One {@code BulkSender} sends one stream.
 */
public final class BulkSender {
    private final StreamCounters counters = new StreamCounters();
    private final SendEngine engine;
    private volatile boolean started;

    /** Installs the receive handler on {@code path} at once (packets that arrive early are queued). */
    public BulkSender(final StreamConfig config, final StreamKeys keys, final PacketPath path) {
        this(config, keys, path, StreamListener.NONE);
    }

    /** As above, with a listener for milestones (called on the engine thread). */
    public BulkSender(
        final StreamConfig config, final StreamKeys keys, final PacketPath path, final StreamListener listener) {
        this.engine = new SendEngine(config, keys, path, counters, listener);
    }

    /**
     * Sends {@code source} to its end; returns when the receiver has acknowledged every byte and the FIN as
     * delivered to its sink.
     *
     * @return stream length in bytes
     * @throws StreamException when either side aborts, the peer vanishes, the protocol breaks or I/O fails
     * @throws IllegalStateException when called twice
     */
    public long send(final InputStream source) throws StreamException {
        if (started) {
            throw new IllegalStateException("a BulkSender sends one stream");
        }
        started = true;
        return engine.run(source);
    }

    /** Sends everything on {@code path} from now on; data in flight on the old path is acknowledged or repaired. */
    public void switchPath(final PacketPath path) {
        engine.switchPath(path);
    }

    /** Fails the stream here and tells the receiver (a few authenticated ABORT packets); any thread. */
    public void abort(final String reason) {
        engine.abort(reason);
    }

    /**
     * The session heard that the receiver left (the relay's PeerGone): unless a packet from it arrives within a few
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

    /**
     * Sends on several lanes at once while the stream is on {@code primary}: {@code extra} are further paths to the
     * same receiver (direct UDP sockets of their own), each with its own thread, pacer and rate controller; lane 0
     * is {@code primary} itself. Replaces any earlier set (a lane left out stops); on another path the extra lanes
     * rest until the stream is back on {@code primary}. Any thread.
     */
    public void useLanes(final PacketPath primary, final List<PacketPath> extra) {
        engine.useLanes(primary, extra);
    }

    /** Lanes in use now (1 = the current path alone). */
    public int activeLanes() {
        return engine.activeLanes();
    }

    /**
     * After {@link #send} returned: packets declared lost in lane mode by the per-lane count, by time with evidence
     * from their lane, and as a lane's tail (diagnostics).
     */
    public long[] laneLossCauses() {
        return engine.laneLossCauses();
    }

    /** DATA packets handed to lane {@code index} (0..15) so far. */
    public long lanePackets(final int index) {
        return engine.lanePackets(index);
    }

    public StreamStats stats() {
        return StreamStats.of(counters);
    }
}
