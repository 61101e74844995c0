package dev.derphole.lanes.engine;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.udp.PacketPath;

/**
 * The commands other threads give a stream engine (sender or receiver): switch to a path, accept packets from
 * another path, abort, the peer left the relay. Each installs what it must at once (the path's handler), records
 * the command and wakes the engine thread, which applies it at the start of its next cycle
 * ({@link #takePendingPath()}, {@link #abortReason()}, {@link #applyPeerLeft}).
 * <p>
 * Thread-safe: commands from any thread; the take/read side belongs to the engine thread.
 */
public final class EngineCommands {
    private static final long NOT_LEFT = Long.MIN_VALUE;

    private final StreamConfig config;
    private final Inbox inbox;
    private final Signal signal;
    private final AtomicReference<PacketPath> pendingPath = new AtomicReference<>();
    /** When the peer left ({@link #peerLeft()}), not yet applied by the engine; {@link #NOT_LEFT} for none. */
    private final AtomicLong peerLeftAtNs = new AtomicLong(NOT_LEFT);
    private volatile String abortReason;
    /** When the latest {@link #switchPath} began and when its path was handed over (diagnostics). */
    private volatile long switchCalledNs;
    private volatile long switchPostedNs;

    public EngineCommands(final StreamConfig config, final Inbox inbox, final Signal signal) {
        this.config = config;
        this.inbox = inbox;
        this.signal = signal;
    }

    /** Engine from now on uses {@code path}; its handler is installed at once. */
    public void switchPath(final PacketPath path) {
        switchCalledNs = System.nanoTime();
        attachPath(path);
        switchPostedNs = System.nanoTime();
        pendingPath.set(path);
        signal.signal();
    }

    /** Packets from {@code path} are accepted as well; its handler is installed at once. */
    public void attachPath(final PacketPath path) {
        Control.datagramLength(path, config); // refuses a path too small for the stream
        inbox.attach(path);
    }

    /** Fails the stream, telling the peer {@code reason}. */
    public void abort(final String reason) {
        abortReason = reason == null ? "aborted" : reason;
        signal.signal();
    }

    /** The session heard that the peer left (the relay's PeerGone); see {@link PeerLeftWatch}. */
    public void peerLeft() {
        peerLeftAtNs.set(System.nanoTime());
        signal.signal();
    }

    /** Engine thread: tells {@code watch} about a {@link #peerLeft()} since the last call. */
    public void applyPeerLeft(final PeerLeftWatch watch) {
        final long atNs = peerLeftAtNs.getAndSet(NOT_LEFT);
        if (atNs != NOT_LEFT) {
            watch.onLeft(atNs);
        }
    }

    /** Engine thread: whether a {@link #switchPath} waits to be taken (a volatile read). */
    public boolean hasPendingPath() {
        return pendingPath.get() != null;
    }

    /** Engine thread: the path of the latest {@link #switchPath}, once, or null. */
    public PacketPath takePendingPath() {
        return pendingPath.getAndSet(null);
    }

    /** When the latest {@link #switchPath} was called (diagnostics). */
    public long switchCalledNs() {
        return switchCalledNs;
    }

    /** When the latest {@link #switchPath} had installed the path's handler and handed it over (diagnostics). */
    public long switchPostedNs() {
        return switchPostedNs;
    }

    /** Engine thread: why to abort, or null. */
    public String abortReason() {
        return abortReason;
    }
}
