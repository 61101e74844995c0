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

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.proto.NodeKey;
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

    private static Opened withReflexive(final Opened opened, final DerpNode node,
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
            final InetSocketAddress mapped = opened.endpoint()
                .stun(new InetSocketAddress(server, node.effectiveStunPort()), STUN_TIMEOUT_MS);
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
        final ProbeCodec codec = new ProbeCodec(token.keys().keyBytes(KeyPurpose.PATH_PROBE, 32), token.sessionId(),
            own, peer);
        prober = new PathProber(endpoint, codec, peers, listener).start();
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
            + " datagram=" + (p == null ? 0 : p.datagramBytes());
    }

    @Override
    public void close() {
        closed = true;
        final PathProber p = prober;
        if (p != null) {
            p.close();
        }
        final UdpEndpoint endpoint = opening.getNow(Opened.NONE).endpoint();
        if (endpoint != null) {
            endpoint.close();
        }
    }
}
