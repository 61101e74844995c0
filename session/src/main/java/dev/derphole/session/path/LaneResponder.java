package dev.derphole.session.path;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * Answers the peer's lane packets on a session's main socket (the receiving side of {@code pipe --parallel}).
 * A valid LANE_PROBE is answered with a LANE_ACK to its source, and from then on stream packets from that address
 * count as the peer's lane (see {@link UdpEndpoint#acceptLane}). A valid LANE_OFFER names the addresses of one of
 * the peer's lane sockets: for {@link #PUNCH_MS} this side sends LANE_PROBEs there every {@link #PUNCH_INTERVAL_MS},
 * so a NAT in front of it lets that lane's packets in. Candidates pass the session's {@link CandidatePolicy}.
 * Refused packets are counted by {@link ProbeCodec.LaneRefusal} and dropped.
 * <p>
 * Threads: {@link #onLanePacket} on the endpoint's receive thread; one daemon thread ({@code derphole-lane-punch})
 * sends the punching probes; {@link #close} from any thread.
 */
public final class LaneResponder implements AutoCloseable {
    /** How long the lane addresses of one offer are probed, in ms (the peer gives a lane 1.5 s). */
    public static final long PUNCH_MS = 1_500;
    /** Spacing of those probes, in ms. */
    public static final long PUNCH_INTERVAL_MS = 50;

    private final UdpEndpoint endpoint;
    private final ProbeCodec codec;
    private final CandidatePolicy policy;
    private final ConcurrentHashMap<Integer, Offer> offers = new ConcurrentHashMap<>();
    private final LanePacketCounters counters = new LanePacketCounters();
    private final Thread thread;
    private volatile boolean closed;

    private record Offer(List<InetSocketAddress> candidates, long untilNs) {
    }

    public LaneResponder(final UdpEndpoint endpoint, final ProbeCodec codec, final CandidatePolicy policy) {
        this.endpoint = endpoint;
        this.codec = codec;
        this.policy = policy;
        this.thread = Thread.ofPlatform().daemon().name("derphole-lane-punch").unstarted(this::run);
    }

    public LaneResponder start() {
        thread.start();
        return this;
    }

    /** One lane packet from {@code source} (receive thread). */
    public void onLanePacket(final InetSocketAddress source, final byte[] buffer, final int offset, final int length) {
        final ProbeCodec.LaneRefusal[] why = new ProbeCodec.LaneRefusal[1];
        final ProbeCodec.LaneVerified v = codec.verifyLane(buffer, offset, length, why);
        if (v == null) {
            counters.refuse(why[0]);
            return;
        }
        counters.valid();
        switch (v.kind()) {
            case ProbeCodec.LANE_PROBE -> {
                endpoint.acceptLane(v.lane(), source);
                endpoint.sendTo(source, codec.laneAck(v.lane(), v.sequence()));
            }
            case ProbeCodec.LANE_OFFER -> {
                final List<InetSocketAddress> usable = v.candidates().stream()
                    .filter(c -> policy.check(CandidatePolicy.canonical(c.getAddress(), c.getPort()))
                        == CandidatePolicy.Verdict.OK)
                    .toList();
                if (usable.isEmpty()) {
                    counters.refuse(ProbeCodec.LaneRefusal.MALFORMED);
                    return;
                }
                // A repeated offer (the peer resends until the lane answers) does not extend the punching.
                offers.putIfAbsent(v.lane(), new Offer(usable,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PUNCH_MS)));
            }
            default -> {
                // LANE_ACK: an answer to our punching probes; nothing more to do.
            }
        }
    }

    private void run() {
        try {
            while (!closed) {
                final long nowNs = System.nanoTime();
                offers.forEach((lane, offer) -> {
                    if (nowNs - offer.untilNs() < 0) {
                        for (final InetSocketAddress candidate : offer.candidates()) {
                            endpoint.sendTo(candidate, codec.laneProbe(lane));
                        }
                    }
                });
                Thread.sleep(PUNCH_INTERVAL_MS);
            }
        } catch (final InterruptedException e) {
            // Closed.
        }
    }

    /** Valid lane packets received. */
    public long validPackets() {
        return counters.validPackets();
    }

    /** Lane packets refused for {@code reason}. */
    public long refused(final ProbeCodec.LaneRefusal reason) {
        return counters.refused(reason);
    }

    /** Lane packets refused for any reason. */
    public long refusedPackets() {
        return counters.refusedPackets();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
