package dev.derphole.session.transfer;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.LaneOpener;
import dev.derphole.session.path.LaneResponder;
import dev.derphole.session.path.LocalCandidates;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.path.ProbeCodec;
import dev.derphole.session.path.UdpEndpoint;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.SessionToken;

/**
 * One session's attempt at a direct path: the UDP socket opened before the rendezvous (so its candidates go
 * into the claim or decision: the interfaces' addresses, and the address the relay's STUN server sees for the
 * socket), then the prober once the peer's candidates are known. With direct paths off
 * ({@code --force-relay}) or no usable socket there is nothing: no socket, no candidates, never direct.
 * <p>
 * Owned by the session's main thread; {@link #close} from any thread.
 */
final class DirectAttempt implements AutoCloseable {
    /** How long {@link #candidates()} waits for the socket before the session goes on with the relay alone. */
    private static final long OPEN_WAIT_MS = 3_000;
    /** How long the STUN query for the reflexive candidate may take, in ms (three requests). */
    private static final long STUN_TIMEOUT_MS = 300;

    private final CompletableFuture<Opened> opening;
    private volatile boolean closed;
    private volatile PathProber prober;
    private volatile CompletableFuture<Opened> discovery;
    private volatile ProbeCodec codec;
    private volatile CandidatePolicy policy;
    private volatile LaneResponder laneResponder;
    private volatile LaneOpener laneOpener;
    /** The relay's STUN server (IPv4), once resolved; the extra lanes ask it too. */
    private volatile InetSocketAddress stunServer;

    /** The socket and its candidates, once open. */
    private record Opened(UdpEndpoint endpoint, List<String> candidates) {
        static final Opened NONE = new Opened(null, List.of());
    }

    private DirectAttempt(final CompletableFuture<Opened> opening) {
        this.opening = opening;
    }

    /**
     * Starts opening the socket on a thread of its own and returns at once: the first open of a UDP engine in a
     * process builds its native call stubs (~0.2 s), which now overlaps with the relay connection.
     */
    static DirectAttempt open(final TransferSetup setup) {
        final CompletableFuture<Opened> opening = new CompletableFuture<>();
        if (!setup.direct()) {
            opening.complete(Opened.NONE);
            return new DirectAttempt(opening);
        }
        final DirectAttempt attempt = new DirectAttempt(opening);
        Thread.ofPlatform().daemon().name("derphole-udp-open").start(() -> attempt.openSocket(setup));
        return attempt;
    }

    private void openSocket(final TransferSetup setup) {
        try {
            final UdpEndpoint endpoint = UdpEndpoint.open();
            opening.complete(new Opened(endpoint, LocalCandidates.gather(endpoint.port(), setup.policy())));
            if (closed) {
                endpoint.close(); // closed while we were opening
            }
        } catch (final IOException | RuntimeException e) {
            // No UDP here (sandbox, no interfaces): the transfer works on the relay alone.
            opening.complete(Opened.NONE);
        } catch (final OutOfMemoryError e) {
            // The socket's buffers did not fit the direct-memory limit: the relay alone still works.
            opening.complete(Opened.NONE);
        }
    }

    /** The socket and its candidates, waiting for the open; nothing when it failed, was slow or is closed. */
    private Opened opened() {
        try {
            return opening.get(OPEN_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return Opened.NONE;
        } catch (final ExecutionException | TimeoutException e) {
            return Opened.NONE;
        }
    }

    /**
     * Adds the address the relay's STUN server sees for our socket (our side of a NAT) to the candidates, in the
     * background; {@link #candidates()} waits for it, at most {@link #STUN_TIMEOUT_MS}. Does nothing when the
     * node has no STUN, the socket did not open or it is not an IPv4 node.
     */
    void discover(final DerpNode node, final DerpNode.HostResolver resolver, final CandidatePolicy policy) {
        if (!node.stunEnabled()) {
            return;
        }
        final CompletableFuture<Opened> withReflexive = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("derphole-stun").start(() ->
            withReflexive.complete(withReflexive(opened(), node, resolver, policy)));
        discovery = withReflexive;
    }

    private Opened withReflexive(final Opened opened, final DerpNode node,
        final DerpNode.HostResolver resolver, final CandidatePolicy policy) {
        if (opened.endpoint() == null) {
            return opened;
        }
        try {
            InetAddress server = null;
            for (final InetAddress address : resolver.resolve(node.stunHost())) {
                if (address instanceof Inet4Address && server == null) {
                    server = address;
                }
            }
            if (server == null) {
                return opened;
            }
            stunServer = new InetSocketAddress(server, node.effectiveStunPort());
            final InetSocketAddress mapped = opened.endpoint().stun(stunServer, STUN_TIMEOUT_MS);
            if (mapped == null || !(mapped.getAddress() instanceof Inet4Address)) {
                return opened;
            }
            final String candidate = CandidatePolicy.canonical(mapped.getAddress(), mapped.getPort());
            if (opened.candidates().contains(candidate) || policy.check(candidate) != CandidatePolicy.Verdict.OK
                || opened.candidates().size() >= CandidatePolicy.MAX_CANDIDATES) {
                return opened;
            }
            final List<String> all = new ArrayList<>(opened.candidates());
            all.add(candidate);
            return new Opened(opened.endpoint(), List.copyOf(all));
        } catch (final IOException | InterruptedException | RuntimeException e) {
            // No reflexive candidate: local ones (and the relay) still work.
            return opened;
        }
    }

    /** This side's candidates for the claim or decision (empty when direct paths are off). */
    List<String> candidates() {
        final CompletableFuture<Opened> pending = discovery;
        if (pending != null) {
            try {
                return pending.get(OPEN_WAIT_MS + STUN_TIMEOUT_MS, TimeUnit.MILLISECONDS).candidates();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (final ExecutionException | TimeoutException e) {
                // Fall back to the local candidates.
            }
        }
        return opened().candidates();
    }

    /** Starts probing the peer's candidates; does nothing without a socket or candidates. */
    void start(final SessionToken token, final NodeKey own, final NodeKey peer, final List<String> peerCandidates,
        final CandidatePolicy policy, final PathProber.Listener listener) {
        final UdpEndpoint endpoint = opened().endpoint();
        if (endpoint == null || peerCandidates.isEmpty() || closed) {
            return;
        }
        final List<InetSocketAddress> peers = new ArrayList<>(peerCandidates.size());
        for (final String candidate : peerCandidates) {
            peers.add(policy.toSocketAddress(candidate));
        }
        final ProbeCodec probeCodec = new ProbeCodec(token.keys().keyBytes(KeyPurpose.PATH_PROBE, 32),
            token.sessionId(), own, peer);
        codec = probeCodec;
        this.policy = policy;
        final LaneResponder responder = new LaneResponder(endpoint, probeCodec, policy).start();
        laneResponder = responder;
        prober = new PathProber(endpoint, probeCodec, peers, listener).lanes(responder).start();
    }

    /**
     * Opens, announces and validates {@code extra} more lanes to the peer address of {@code path} (blocks about
     * 1.5 s; see {@link LaneOpener}); returns the validated ones, possibly none. {@code onLanes} later gets the
     * lanes still alive whenever one is dropped.
     */
    List<DirectPath> openLanes(final DirectPath path, final int extra, final Consumer<List<DirectPath>> onLanes)
        throws InterruptedException {
        final UdpEndpoint endpoint = opened().endpoint();
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

    /**
     * One {@code --verbose} line with the direct path's counters (valid and refused probes, datagrams nobody
     * wanted, the UDP engine), or null when there was no socket.
     */
    String summary() {
        final CompletableFuture<Opened> pending = discovery;
        final Opened opened = pending != null ? pending.getNow(opening.getNow(Opened.NONE))
            : opening.getNow(Opened.NONE);
        final UdpEndpoint endpoint = opened.endpoint();
        if (endpoint == null) {
            return null;
        }
        final PathProber p = prober;
        return "direct-stats engine=" + endpoint.engineLabel() + " candidates=" + opened.candidates().size()
            + " probes-valid=" + (p == null ? 0 : p.validProbes())
            + " probes-invalid=" + (p == null ? 0 : p.invalidProbes())
            + " udp-dropped=" + endpoint.dropped()
            + " datagram=" + (p == null ? 0 : p.datagramBytes())
            + lanesSummary(endpoint);
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
