package dev.derphole.session.transfer;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.path.CandidateUpdateCodec;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.LaneOpener;
import dev.derphole.session.path.LaneResponder;
import dev.derphole.session.path.LocalCandidates;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.path.ProbeCodec;
import dev.derphole.session.path.UdpEndpoint;
import dev.derphole.session.portmap.Mapping;
import dev.derphole.session.portmap.PortMapper;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.SessionToken;

/**
 * One session's attempt at a direct path: the UDP socket opened before the rendezvous (so its candidates go
 * into the claim or decision: the interfaces' addresses, the address the relay's STUN server sees for the
 * socket, and a port mapping from the home router when it grants one: NAT-PMP, PCP or UPnP, held for the session
 * and deleted at its end), then the prober once the peer's candidates are known, and call-me-maybe for whatever
 * either side learns later ({@link CandidateExchange}). A second STUN server (another node of the map) tells
 * whether the NAT keeps one mapping for every destination; when it does not (a "symmetric" NAT) the reflexive
 * address is useless to the peer and is withdrawn. With direct paths off ({@code --force-relay}) or no usable
 * socket there is nothing: no socket, no candidates, never direct.
 * <p>
 * Owned by the session's main thread; discovery runs on its own thread, {@link #onControl} on the relay
 * dispatcher thread, {@link #close} from any thread.
 */
final class DirectAttempt implements AutoCloseable {
    /** How long {@link #candidates()} waits for the socket before the session goes on with the relay alone. */
    private static final long OPEN_WAIT_MS = 3_000;
    /** How long a STUN query may take, in ms (three requests); later answers go to the peer as an update. */
    private static final long STUN_TIMEOUT_MS = 1_000;
    /**
     * How long the claim or the listener's offer waits for the first STUN answer (and the offer for the port
     * mapping), in ms; what comes later follows as an update.
     */
    private static final long CLAIM_DISCOVERY_WAIT_MS = 100;
    /** STUN servers asked: the home node, and one more to see whether the mapping varies by destination. */
    private static final int STUN_SERVERS = 2;

    private final CompletableFuture<Opened> opening;
    private final OwnCandidates own;
    private final CompletableFuture<Void> firstStun = new CompletableFuture<>();
    /** Done once the port mapper was started (or will not be): no probe may leave before (see openSocket). */
    private final CompletableFuture<Void> mappingStarted = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile PathProber prober;
    private volatile CandidateExchange exchange;
    private volatile List<String> offered = List.of();
    private volatile PortMapper portMapper;
    private volatile ProbeCodec codec;
    private volatile CandidatePolicy policy;
    private volatile LaneResponder laneResponder;
    private volatile LaneOpener laneOpener;
    /** The home relay's STUN server (IPv4), once resolved; the extra lanes ask it too. */
    private volatile InetSocketAddress stunServer;

    /** The socket once open. */
    private record Opened(UdpEndpoint endpoint) {
        static final Opened NONE = new Opened(null);
    }

    private DirectAttempt(final CompletableFuture<Opened> opening, final CandidatePolicy policy) {
        this.opening = opening;
        this.own = new OwnCandidates(policy);
    }

    /**
     * Starts opening the socket on a thread of its own and returns at once: the first open of a UDP engine in a
     * process builds its native call stubs (~0.2 s), which now overlaps with the relay connection.
     */
    static DirectAttempt open(final TransferSetup setup) {
        final CompletableFuture<Opened> opening = new CompletableFuture<>();
        final DirectAttempt attempt = new DirectAttempt(opening, setup.policy());
        if (!setup.direct()) {
            opening.complete(Opened.NONE);
            attempt.firstStun.complete(null);
            attempt.mappingStarted.complete(null);
            return attempt;
        }
        Thread.ofPlatform().daemon().name("derphole-udp-open").start(() -> attempt.openSocket(setup));
        return attempt;
    }

    private void openSocket(final TransferSetup setup) {
        try {
            final UdpEndpoint endpoint = UdpEndpoint.open();
            own.local(LocalCandidates.gather(endpoint.port(), setup.policy()));
            // STUN and the claim may use the socket now: neither talks to the peer. Starting the port mapper (the
            // gateway's address, a thread: 15-40 ms of a cold JVM's start-up) no longer delays them.
            opening.complete(new Opened(endpoint));
            if (setup.portMapping()) {
                // Before any probe leaves the socket (start() waits for mappingStarted): a router that maps the
                // port after the socket has talked to the peer keeps that first flow on its old (random) port.
                mapPort(endpoint.port());
            }
            if (closed) {
                close(); // closed while we were opening
            }
        } catch (final IOException | RuntimeException e) {
            // No UDP here (sandbox, no interfaces): the transfer works on the relay alone.
            opening.complete(Opened.NONE);
        } catch (final OutOfMemoryError e) {
            // The socket's buffers did not fit the direct-memory limit: the relay alone still works.
            opening.complete(Opened.NONE);
        } finally {
            mappingStarted.complete(null);
        }
    }

    /** Asks the default gateway to map {@code port}; each new, changed or lost mapping updates our candidates. */
    private void mapPort(final int port) {
        PortMapper.Config.forDefaultGateway(port).ifPresent(config -> {
            portMapper = PortMapper.start(config, new PortMapper.Listener() {
                @Override
                public void onMapping(final Mapping mapping) {
                    portMapped(mapping.external());
                }

                @Override
                public void onMappingLost(final Mapping lost) {
                    portMapped(null);
                }
            });
        });
    }

    /** Waits (usually not at all: the claim takes a round trip) until the port mapper started; false: interrupted. */
    private boolean awaitMappingStarted() {
        try {
            mappingStarted.get(OPEN_WAIT_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (final ExecutionException | TimeoutException e) {
            return true; // a mapper that takes seconds to start is not worth more of the transfer's time
        }
    }

    /** The socket, waiting for the open; null when it failed, was slow or is closed. */
    private UdpEndpoint endpoint() {
        try {
            return opening.get(OPEN_WAIT_MS, TimeUnit.MILLISECONDS).endpoint();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (final ExecutionException | TimeoutException e) {
            return null;
        }
    }

    /**
     * The STUN servers to ask: {@code home} first, then the first other STUN-capable node of {@code map} with a
     * different STUN address (same region first), so that two answers can be compared. Only when {@code home} is
     * a node of {@code map}: a session on a private relay never sends a packet to another map's servers (the
     * joining side of such a session knows only the token's node).
     */
    static List<DerpNode> stunNodes(final DerpNode home, final DerpMap map) {
        final List<DerpNode> out = new ArrayList<>();
        if (home.stunEnabled()) {
            out.add(home);
        }
        if (!inMap(home, map)) {
            return out;
        }
        final List<DerpNode> others = new ArrayList<>();
        for (final DerpRegion region : map.regions().values()) {
            for (final DerpNode node : region.nodes()) {
                if (node.stunEnabled() && !sameStun(node, home)) {
                    if (node.regionId() == home.regionId()) {
                        others.addFirst(node);
                    } else {
                        others.add(node);
                    }
                }
            }
        }
        for (final DerpNode node : others) {
            if (out.size() < STUN_SERVERS && out.stream().noneMatch(n -> sameStun(n, node))) {
                out.add(node);
            }
        }
        return out;
    }

    private static boolean inMap(final DerpNode home, final DerpMap map) {
        return map.region(home.regionId()).map(r -> r.nodes().stream()
            .anyMatch(n -> n.hostName().equals(home.hostName()))).orElse(false);
    }

    private static boolean sameStun(final DerpNode a, final DerpNode b) {
        return a.stunHost().equals(b.stunHost()) && a.effectiveStunPort() == b.effectiveStunPort();
    }

    /**
     * Learns, in the background, the address the first STUN server sees for our socket (our side of a NAT) and,
     * with a second server, whether that address depends on the destination. {@link #candidates()} waits for the
     * first answer at most {@link #CLAIM_DISCOVERY_WAIT_MS}; what comes later goes to the peer as an update. Once per
     * attempt. Waits for the socket on its own thread, so it may be called before it is open.
     */
    void discover(final List<DerpNode> stunNodes, final DerpNode.HostResolver resolver) {
        if (stunNodes.isEmpty() || firstStun.isDone()) {
            firstStun.complete(null);
            return;
        }
        Thread.ofPlatform().daemon().name("derphole-stun").start(() -> {
            try {
                stunAll(stunNodes, resolver);
            } finally {
                firstStun.complete(null);
            }
        });
    }

    private void stunAll(final List<DerpNode> stunNodes, final DerpNode.HostResolver resolver) {
        final UdpEndpoint endpoint = endpoint();
        if (endpoint == null) {
            return;
        }
        InetSocketAddress first = null;
        for (final DerpNode node : stunNodes) {
            final InetSocketAddress mapped = stun(endpoint, node, resolver);
            if (closed) {
                return;
            }
            if (mapped == null) {
                continue;
            }
            if (first == null) {
                first = mapped;
                changed(own.reflexive(CandidatePolicy.canonical(mapped.getAddress(), mapped.getPort())));
                firstStun.complete(null);
            } else {
                changed(own.mapping(mapped.equals(first) ? OwnCandidates.Mapping.INDEPENDENT
                    : OwnCandidates.Mapping.VARIES));
                return;
            }
        }
    }

    /** Our IPv4 address as {@code node}'s STUN server sees it, or null (no answer, no IPv4, not resolvable). */
    private InetSocketAddress stun(final UdpEndpoint endpoint, final DerpNode node,
        final DerpNode.HostResolver resolver) {
        try {
            InetAddress server = null;
            for (final InetAddress address : resolver.resolve(node.stunHost())) {
                if (address instanceof Inet4Address && server == null) {
                    server = address;
                }
            }
            if (server == null) {
                return null;
            }
            final InetSocketAddress address = new InetSocketAddress(server, node.effectiveStunPort());
            if (stunServer == null) {
                stunServer = address;
            }
            final InetSocketAddress mapped = endpoint.stun(address, STUN_TIMEOUT_MS);
            return mapped != null && mapped.getAddress() instanceof Inet4Address ? mapped : null;
        } catch (final IOException | RuntimeException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The home router mapped a port for our socket ({@code ip:port}), or took it back (null). Any thread. */
    void portMapped(final InetSocketAddress external) {
        changed(own.mapped(external == null ? null
            : CandidatePolicy.canonical(external.getAddress(), external.getPort())));
    }

    private void changed(final boolean changed) {
        final CandidateExchange e = exchange;
        if (changed && e != null) {
            e.announce();
        }
    }

    /**
     * This side's candidates for the listener's offer (empty when direct paths are off): waits up to
     * {@link #CLAIM_DISCOVERY_WAIT_MS} for the first STUN answer and the port mapper's first attempt. Nobody waits
     * for a listener's first 100 ms.
     */
    List<String> candidates() {
        return candidates(true);
    }

    /**
     * This side's candidates for the claim, which is on the way to the first byte: waits for the first STUN answer
     * only. A port mapping follows as an update: on a router without NAT-PMP, PCP or UPnP the mapper's first
     * attempt takes the whole wait (measured: 100 ms of every claim in the WAN lab).
     */
    List<String> claimCandidates() {
        return candidates(false);
    }

    private List<String> candidates(final boolean waitForMapping) {
        if (endpoint() == null) {
            return List.of();
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLAIM_DISCOVERY_WAIT_MS);
        try {
            firstStun.get(CLAIM_DISCOVERY_WAIT_MS, TimeUnit.MILLISECONDS);
            if (waitForMapping) {
                mappingStarted.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                final PortMapper mapper = portMapper;
                if (mapper != null) {
                    mapper.awaitFirstAttempt(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final ExecutionException | TimeoutException e) {
            // Not yet: it follows as an update.
        }
        final List<String> list = own.list();
        offered = list;
        return list;
    }

    /**
     * Starts probing the peer's candidates and exchanging updates with it over {@code channel}; does nothing
     * without a socket.
     */
    void start(final SessionToken token, final NodeKey ownKey, final NodeKey peer, final List<String> peerCandidates,
        final CandidatePolicy policy, final CandidateExchange.Channel channel, final PathProber.Listener listener) {
        final UdpEndpoint endpoint = endpoint();
        if (endpoint == null || closed || !awaitMappingStarted()) {
            return;
        }
        final List<InetSocketAddress> peers = new ArrayList<>(peerCandidates.size());
        for (final String candidate : peerCandidates) {
            peers.add(policy.toSocketAddress(candidate));
        }
        final ProbeCodec probeCodec = new ProbeCodec(token.keys().keyBytes(KeyPurpose.PATH_PROBE, 32),
            token.sessionId(), ownKey, peer);
        codec = probeCodec;
        this.policy = policy;
        final LaneResponder responder = new LaneResponder(endpoint, probeCodec, policy).start();
        laneResponder = responder;
        final PathProber.Listener recheckOnFallback = new PathProber.Listener() {
            @Override
            public void onDirect(final DirectPath path) {
                listener.onDirect(path);
            }

            @Override
            public void onPeerHeard(final DirectPath path) {
                listener.onPeerHeard(path);
            }

            @Override
            public void onFallback() {
                // A router that rebooted forgot our mapping; its refresh would only notice in up to an hour.
                final PortMapper mapper = portMapper;
                if (mapper != null) {
                    mapper.recheckSoon();
                }
                listener.onFallback();
            }
        };
        final PathProber p = new PathProber(endpoint, probeCodec, peers, recheckOnFallback).lanes(responder).start();
        prober = p;
        final CandidateUpdateCodec updates = new CandidateUpdateCodec(
            token.keys().keyBytes(KeyPurpose.CANDIDATES, 32), token.sessionId(), ownKey, peer);
        final CandidateExchange e = new CandidateExchange(updates, channel, policy, p, own::list);
        exchange = e;
        if (closed) {
            e.close();
        } else if (!own.list().equals(offered)) {
            e.announce(); // learned between the claim and now
        }
    }

    /**
     * Opens, announces and validates {@code extra} more lanes to the peer address of {@code path} (blocks about
     * 1.5 s; see {@link LaneOpener}); returns the validated ones, possibly none. {@code onLanes} later gets the
     * lanes still alive whenever one is dropped.
     */
    List<DirectPath> openLanes(final DirectPath path, final int extra, final Consumer<List<DirectPath>> onLanes)
        throws InterruptedException {
        final UdpEndpoint endpoint = endpoint();
        final ProbeCodec probeCodec = codec;
        if (endpoint == null || probeCodec == null || closed || extra < 1) {
            return List.of();
        }
        final LaneOpener opener = new LaneOpener(endpoint, probeCodec, path.remote(), policy, stunServer);
        laneOpener = opener;
        if (closed) {
            opener.close();
            return List.of();
        }
        return opener.open(extra, path::maxDatagramLength, onLanes);
    }

    /** A session control packet from the peer (relay dispatcher thread); dropped before {@link #start}. */
    void onControl(final byte[] packet) {
        final CandidateExchange e = exchange;
        if (e != null) {
            e.onPacket(packet);
        }
    }

    /**
     * One {@code --verbose} line with the direct path's counters (valid and refused probes, datagrams nobody
     * wanted, the UDP engine, the NAT's mapping, candidate updates sent/received/refused), or null when there was
     * no socket.
     */
    String summary() {
        final UdpEndpoint endpoint = opening.getNow(Opened.NONE).endpoint();
        if (endpoint == null) {
            return null;
        }
        final PathProber p = prober;
        final CandidateExchange e = exchange;
        return "direct-stats engine=" + endpoint.engineLabel() + " candidates=" + own.list().size()
            + " nat=" + own.mapping().text()
            + " updates=" + (e == null ? "0/0/0" : e.counters())
            + " probes-valid=" + (p == null ? 0 : p.validProbes())
            + " probes-invalid=" + (p == null ? 0 : p.invalidProbes())
            + " udp-dropped=" + endpoint.dropped() + " " + endpoint.ioSummary()
            + " datagram=" + (p == null ? 0 : p.datagramBytes())
            + lanesSummary(endpoint)
            + " " + (portMapper == null ? "portmap=off" : portMapper.describe());
    }

    /**
     * {@code lanes=V/A}: lanes validated and alive (lane 0 included) of those asked for, on the sending side; on the
     * receiving side the peer's lanes whose stream packets are accepted. Then lane packets refused.
     */
    private String lanesSummary(final UdpEndpoint endpoint) {
        final LaneOpener opener = laneOpener;
        final LaneResponder responder = laneResponder;
        final long refused = (opener == null ? 0 : opener.refusedPackets())
            + (responder == null ? 0 : responder.refusedPackets());
        final String lanes = opener != null ? (1 + opener.live()) + "/" + (1 + opener.asked())
            : (1 + endpoint.acceptedLanes()) + "/" + (1 + endpoint.acceptedLanes());
        return " lanes=" + lanes + " lane-refused=" + refused;
    }

    @Override
    public void close() {
        closed = true;
        final PortMapper mapper = portMapper;
        if (mapper != null) {
            mapper.close(); // deletes the mapping on the router
        }
        final CandidateExchange e = exchange;
        if (e != null) {
            e.close();
        }
        final PathProber p = prober;
        if (p != null) {
            p.close();
        }
        final LaneOpener opener = laneOpener;
        if (opener != null) {
            opener.close();
        }
        final LaneResponder responder = laneResponder;
        if (responder != null) {
            responder.close();
        }
        final UdpEndpoint endpoint = opening.getNow(Opened.NONE).endpoint();
        if (endpoint != null) {
            endpoint.close();
        }
    }
}
