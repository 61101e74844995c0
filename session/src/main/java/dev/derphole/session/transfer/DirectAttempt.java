package dev.derphole.session.transfer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.path.LocalCandidates;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.path.ProbeCodec;
import dev.derphole.session.path.UdpEndpoint;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.SessionToken;

/**
 * One session's attempt at a direct path: the UDP socket opened before the rendezvous (so its candidates go
 * into the claim or decision), then the prober once the peer's candidates are known. With direct paths off
 * ({@code --force-relay}) or no usable socket there is nothing: no socket, no candidates, never direct.
 * <p>
 * Owned by the session's main thread; {@link #close} from any thread.
 */
final class DirectAttempt implements AutoCloseable
{
    private final UdpEndpoint endpoint;
    private final List<String> candidates;
    private volatile PathProber prober;

    private DirectAttempt(final UdpEndpoint endpoint, final List<String> candidates)
    {
        this.endpoint = endpoint;
        this.candidates = candidates;
    }

    static DirectAttempt open(final TransferSetup setup)
    {
        if (!setup.direct())
        {
            return new DirectAttempt(null, List.of());
        }
        try
        {
            final UdpEndpoint endpoint = UdpEndpoint.open();
            return new DirectAttempt(endpoint, LocalCandidates.gather(endpoint.port(), setup.policy()));
        }
        catch (final IOException | RuntimeException e)
        {
            // No UDP here (sandbox, no interfaces): the transfer works on the relay alone.
            return new DirectAttempt(null, List.of());
        }
    }

    /** This side's candidates for the claim or decision (empty when direct paths are off). */
    List<String> candidates()
    {
        return candidates;
    }

    /** Starts probing the peer's candidates; does nothing without a socket or candidates. */
    void start(final SessionToken token, final NodeKey own, final NodeKey peer, final List<String> peerCandidates,
        final CandidatePolicy policy, final PathProber.Listener listener)
    {
        if (endpoint == null || peerCandidates.isEmpty())
        {
            return;
        }
        final List<InetSocketAddress> peers = new ArrayList<>(peerCandidates.size());
        for (final String candidate : peerCandidates)
        {
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
    String summary()
    {
        if (endpoint == null)
        {
            return null;
        }
        final PathProber p = prober;
        return "direct-stats engine=" + endpoint.engineLabel() + " candidates=" + candidates.size()
            + " probes-valid=" + (p == null ? 0 : p.validProbes())
            + " probes-invalid=" + (p == null ? 0 : p.invalidProbes())
            + " udp-dropped=" + endpoint.dropped()
            + " datagram=" + (p == null ? 0 : p.datagramBytes());
    }

    @Override
    public void close()
    {
        final PathProber p = prober;
        if (p != null)
        {
            p.close();
        }
        if (endpoint != null)
        {
            endpoint.close();
        }
    }
}
