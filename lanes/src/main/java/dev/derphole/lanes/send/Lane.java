package dev.derphole.lanes.send;

import dev.derphole.lanes.rate.CongestionControl;
import dev.derphole.lanes.rate.CongestionDecision;
import dev.derphole.lanes.rate.CongestionSample;
import dev.derphole.lanes.rate.Pacer;
import dev.derphole.udp.PacketPath;

/**
 * One lane of the sender: a path with its own rate controller, pacer and window, so a lane that loses packets or
 * runs into a slower bottleneck slows down alone. Lane 0 is the engine's current path, sent by the engine thread
 * itself; lanes 1 and up have a {@link LaneSender} thread.
 * <p>
 * Owned by the sender engine thread; not thread-safe.
 */
final class Lane {
    final int index;
    /** The lane's path (lane 0 follows the engine's current path). */
    PacketPath path;
    final LaneSender sender;
    final CongestionSample sample = new CongestionSample();
    final CongestionDecision decision = new CongestionDecision();
    final Pacer pacer = new Pacer();
    CongestionControl congestion;
    long windowBytes;
    int maxPayload;

    Lane(final int index, final PacketPath path, final LaneSender sender, final CongestionControl congestion) {
        this.index = index;
        this.path = path;
        this.sender = sender;
        this.congestion = congestion;
    }
}
