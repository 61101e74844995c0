package dev.derphole.lanes.engine;

import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamException.Reason;

/**
 * A shorter peer timeout once the session has learnt that the peer left the relay (its PeerGone): from then on
 * the stream fails when nothing arrives from the peer for {@link #GRACE_NS} on any path, instead of the whole peer
 * timeout, so a killed peer costs seconds. A live peer is never that quiet (both sides send at least every
 * heartbeat interval), including one whose relay connection dropped while the direct path carries the stream.
 * Packets queued before the news and read after it count as heard (the inbox does not keep arrival times), which
 * only delays the failure by that little.
 * <p>
 * Owned by the engine thread; not thread-safe.
 */
public final class PeerLeftWatch {
    /** Silence after which a peer that left fails the stream (at most the peer timeout). */
    public static final long GRACE_NS = 5_000_000_000L;

    private final long graceNs;
    private boolean armed;
    private long leftAtNs;

    public PeerLeftWatch(final long peerTimeoutNs) {
        this.graceNs = Math.min(peerTimeoutNs, GRACE_NS);
    }

    /** The peer left at {@code atNs}; the first news counts. */
    public void onLeft(final long atNs) {
        if (!armed) {
            armed = true;
            leftAtNs = atNs;
        }
    }

    /** Throws PEER_VANISHED when the peer left and has been silent for the grace. */
    public void check(final long nowNs, final long lastHeardNs) throws StreamException {
        if (armed && nowNs - deadline(lastHeardNs) >= 0) {
            throw new StreamException(Reason.PEER_VANISHED,
                "peer vanished: it left the relay and sent nothing for " + Control.seconds(graceNs) + " s");
        }
    }

    /** {@code wakeNs}, or the deadline when that is earlier. */
    public long earlier(final long wakeNs, final long lastHeardNs) {
        if (!armed) {
            return wakeNs;
        }
        final long deadlineNs = deadline(lastHeardNs);
        return deadlineNs - wakeNs < 0 ? deadlineNs : wakeNs;
    }

    private long deadline(final long lastHeardNs) {
        return (lastHeardNs - leftAtNs > 0 ? lastHeardNs : leftAtNs) + graceNs;
    }
}
