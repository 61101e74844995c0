package dev.derphole.session.path;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * The sending side's extra lanes ({@code pipe --parallel N}): once the direct path is up, opens N - 1 more UDP
 * sockets, asks the relay's STUN server for each one's mapped address, announces each socket's addresses to the
 * peer with a LANE_OFFER over the direct path (so the peer can punch its NAT for them) and sends LANE_PROBEs from
 * each socket to the peer's validated address every {@link #PROBE_INTERVAL_MS}. A lane whose LANE_ACK comes back
 * within {@link #VALIDATE_MS} becomes a {@link DirectPath} of its own socket; the others are closed (partial
 * parallelism is fine). Validated lanes are then heartbeated like the direct path: a lane without a LANE_ACK for
 * {@link #DEAD_AFTER_MS} is dropped ({@code onLanes} gets the lanes left). Each lane's datagram size follows the
 * direct path's (its path MTU was measured there; the lanes share the route).
 * <p>
 * Threads: {@link #open} on the caller's thread, then one daemon thread ({@code derphole-lane-heartbeat});
 * the lane sockets' receive threads verify the answers. {@link #close} from any thread.
 */
public final class LaneOpener implements AutoCloseable {
    /** How long a lane has to answer, in ms (upstream gave each lane 1.5 s as well). */
    public static final long VALIDATE_MS = 1_500;
    /** LANE_PROBE spacing while validating, in ms. */
    public static final long PROBE_INTERVAL_MS = 20;
    /** LANE_OFFER spacing while validating, in ms. */
    public static final long OFFER_INTERVAL_MS = 100;
    /** LANE_PROBE spacing on validated lanes, in ms, and silence after which a lane is dropped. */
    public static final long HEARTBEAT_MS = 250;
    public static final long DEAD_AFTER_MS = 2_000;
    /** How long each lane's STUN query may take, in ms (they run at the same time). */
    private static final long STUN_TIMEOUT_MS = 300;

    private final UdpEndpoint primary;
    private final ProbeCodec codec;
    private final InetSocketAddress peer;
    private final CandidatePolicy policy;
    private final InetSocketAddress stunServer;
    private final List<LaneSocket> sockets = new ArrayList<>();
    private final LanePacketCounters counters = new LanePacketCounters();
    private volatile boolean closed;
    private volatile int asked;
    private volatile int live;
    private Thread heartbeat;

    /** One extra socket and what is known about its lane. */
    private final class LaneSocket {
        final int lane;
        final UdpEndpoint endpoint;
        volatile List<InetSocketAddress> candidates = List.of();
        volatile long lastAckNs;
        volatile boolean validated;
        volatile boolean dead;
        DirectPath path;

        LaneSocket(final int lane, final UdpEndpoint endpoint) {
            this.lane = lane;
            this.endpoint = endpoint;
            endpoint.probes(this::onPacket);
        }

        private void onPacket(final InetSocketAddress source, final byte[] buffer, final int offset,
            final int length) {
            final ProbeCodec.LaneRefusal[] why = new ProbeCodec.LaneRefusal[1];
            final ProbeCodec.LaneVerified v = length > 0 && ProbeCodec.isLaneKind(buffer[offset] & 0xff)
                ? codec.verifyLane(buffer, offset, length, why) : null;
            if (v == null) {
                counters.refuse(why[0] == null ? ProbeCodec.LaneRefusal.MALFORMED : why[0]);
                return;
            }
            if (v.lane() != lane) {
                counters.refuse(ProbeCodec.LaneRefusal.BAD_LANE);
                return;
            }
            counters.valid();
            if (v.kind() == ProbeCodec.LANE_ACK && source.equals(peer)) {
                lastAckNs = System.nanoTime();
                validated = true;
            } else if (v.kind() == ProbeCodec.LANE_PROBE) {
                // The peer punching its NAT for us: answer, as the direct path answers PROBEs.
                endpoint.sendTo(source, codec.laneAck(lane, v.sequence()));
            }
        }
    }

    /**
     * @param primary    the session's main socket (lane 0), which carries the offers
     * @param codec      the session's probe codec
     * @param peer       the peer's validated direct address
     * @param policy     which of our addresses may be offered
     * @param stunServer the relay's STUN server, or null
     */
    public LaneOpener(final UdpEndpoint primary, final ProbeCodec codec, final InetSocketAddress peer,
        final CandidatePolicy policy, final InetSocketAddress stunServer) {
        this.primary = primary;
        this.codec = codec;
        this.peer = peer;
        this.policy = policy;
        this.stunServer = stunServer;
    }

    /**
     * Opens and validates {@code extra} lanes (at most {@link ProbeCodec#MAX_LANE}); blocks up to about
     * {@link #VALIDATE_MS} plus the STUN time. Then heartbeats them in the background.
     *
     * @param datagramBytes the direct path's datagram size (read again on every heartbeat)
     * @param onLanes       called (heartbeat thread) with the lanes still alive whenever one is dropped
     * @return the validated lanes, possibly none
     */
    public List<DirectPath> open(final int extra, final IntSupplier datagramBytes,
        final Consumer<List<DirectPath>> onLanes) throws InterruptedException {
        final int count = Math.min(extra, ProbeCodec.MAX_LANE);
        asked = count;
        for (int lane = 1; lane <= count && !closed; lane++) {
            try {
                sockets.add(new LaneSocket(lane, UdpEndpoint.open()));
            } catch (final IOException | RuntimeException | OutOfMemoryError e) {
                break; // fewer lanes: partial parallelism is fine
            }
        }
        gatherCandidates();
        final long startNs = System.nanoTime();
        long offeredNs = startNs - TimeUnit.MILLISECONDS.toNanos(OFFER_INTERVAL_MS);
        while (!closed && System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(VALIDATE_MS)) {
            boolean all = true;
            final boolean offer = System.nanoTime() - offeredNs >= TimeUnit.MILLISECONDS.toNanos(OFFER_INTERVAL_MS);
            for (final LaneSocket socket : sockets) {
                if (socket.validated) {
                    continue;
                }
                all = false;
                if (offer && !socket.candidates.isEmpty()) {
                    primary.sendTo(peer, codec.laneOffer(socket.lane, socket.candidates));
                }
                socket.endpoint.sendTo(peer, codec.laneProbe(socket.lane));
            }
            if (offer) {
                offeredNs = System.nanoTime();
            }
            if (all) {
                break;
            }
            Thread.sleep(PROBE_INTERVAL_MS);
        }
        final List<DirectPath> paths = new ArrayList<>();
        for (final LaneSocket socket : sockets) {
            if (socket.validated && !closed) {
                socket.path = socket.endpoint.promote(peer, datagramBytes.getAsInt());
                paths.add(socket.path);
            } else {
                socket.dead = true;
                socket.endpoint.close();
            }
        }
        live = paths.size();
        if (!paths.isEmpty() && !closed) {
            heartbeat = Thread.ofPlatform().daemon().name("derphole-lane-heartbeat")
                .start(() -> heartbeat(datagramBytes, onLanes));
        }
        return List.copyOf(paths);
    }

    /** Each lane socket's interface addresses and, when the relay has STUN, its mapped address (at once). */
    private void gatherCandidates() throws InterruptedException {
        final List<Thread> queries = new ArrayList<>();
        for (final LaneSocket socket : sockets) {
            final List<InetSocketAddress> local = new ArrayList<>();
            for (final String candidate : LocalCandidates.gather(socket.endpoint.port(), policy)) {
                if (local.size() < ProbeCodec.MAX_LANE_CANDIDATES - 1) {
                    local.add(policy.toSocketAddress(candidate));
                }
            }
            socket.candidates = List.copyOf(local);
            if (stunServer != null) {
                queries.add(Thread.ofPlatform().daemon().name("derphole-lane-stun").start(() -> {
                    try {
                        final InetSocketAddress mapped = socket.endpoint.stun(stunServer, STUN_TIMEOUT_MS);
                        if (mapped != null && mapped.getAddress().getAddress().length == 4
                            && !local.contains(mapped)) {
                            final List<InetSocketAddress> all = new ArrayList<>(local);
                            all.add(mapped);
                            socket.candidates = List.copyOf(all);
                        }
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
        }
        for (final Thread query : queries) {
            query.join(2 * STUN_TIMEOUT_MS);
        }
    }

    private void heartbeat(final IntSupplier datagramBytes, final Consumer<List<DirectPath>> onLanes) {
        try {
            final long deadNs = TimeUnit.MILLISECONDS.toNanos(DEAD_AFTER_MS);
            while (!closed) {
                boolean dropped = false;
                final List<DirectPath> alive = new ArrayList<>();
                for (final LaneSocket socket : sockets) {
                    if (socket.dead) {
                        continue;
                    }
                    if (System.nanoTime() - socket.lastAckNs > deadNs) {
                        socket.dead = true;
                        dropped = true;
                        continue;
                    }
                    socket.path.resize(datagramBytes.getAsInt());
                    socket.endpoint.sendTo(peer, codec.laneProbe(socket.lane));
                    alive.add(socket.path);
                }
                live = alive.size();
                if (dropped) {
                    onLanes.accept(List.copyOf(alive));
                }
                Thread.sleep(HEARTBEAT_MS);
            }
        } catch (final InterruptedException e) {
            // Closed.
        }
    }

    /** Extra lanes asked for. */
    public int asked() {
        return asked;
    }

    /** Extra lanes validated and still alive. */
    public int live() {
        return live;
    }

    /** Valid lane packets received on the lane sockets. */
    public long validPackets() {
        return counters.validPackets();
    }

    /** Lane packets refused on the lane sockets for {@code reason}. */
    public long refused(final ProbeCodec.LaneRefusal reason) {
        return counters.refused(reason);
    }

    /** Lane packets refused on the lane sockets, all reasons. */
    public long refusedPackets() {
        return counters.refusedPackets();
    }

    @Override
    public void close() {
        closed = true;
        final Thread t = heartbeat;
        if (t != null) {
            t.interrupt();
        }
        for (final LaneSocket socket : sockets) {
            socket.endpoint.close();
        }
    }
}
