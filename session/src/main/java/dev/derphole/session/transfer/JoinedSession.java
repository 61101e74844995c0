package dev.derphole.session.transfer;

import java.io.IOException;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.session.link.PeerLink;
import dev.derphole.session.link.RelayPath;
import dev.derphole.session.relay.RelayConnector;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.ClaimDriver;
import dev.derphole.session.rendezvous.Decision;
import dev.derphole.session.rendezvous.Extensions;
import dev.derphole.session.rendezvous.RendezvousClaimer;
import dev.derphole.session.rendezvous.RendezvousException;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;

/**
 * The joining side of a one-shot session ({@code pipe}, {@code receive}): its token's relay, its claim and the
 * issuer's decision. Which way the data then flows is the caller's.
 * <p>
 * Owned by the command's main thread.
 */
final class JoinedSession implements AutoCloseable {
    /** Readies the data path to the issuer while the claim is being made, before it is sent. */
    @FunctionalInterface
    interface BeforeClaim {
        void ready(RelayPath relayPath) throws InterruptedException;
    }

    private final TransferSetup setup;
    private final SessionToken token;
    private final DerpMap publicMap;
    private final EarlyRelay earlyRelay;
    private PeerLink link;
    private DirectAttempt direct;
    private RelayPath relayPath;

    /**
     * @param publicMap  the public DERP map, for tokens that name a public relay node
     * @param earlyRelay a relay connection started before this session, or null
     */
    JoinedSession(final TransferSetup setup, final SessionToken token, final DerpMap publicMap,
        final EarlyRelay earlyRelay) {
        this.setup = setup;
        this.token = token;
        this.publicMap = publicMap;
        this.earlyRelay = earlyRelay;
    }

    /** The joining side's connection to its token's relay, with a fresh DERP key (also {@link EarlyRelay}'s). */
    static RelayConnector.Connected connect(final TransferSetup setup, final RelayBootstrap relay,
        final DerpMap publicMap) throws RelayUnreachableException {
        return new RelayConnector(setup.resolver(), setup.ssl()).connectBootstrap(relay, publicMap,
            Curve25519KeyPair.generate());
    }

    /**
     * Connects to the token's relay and claims the session.
     *
     * @return the issuer's accepting decision (its candidates)
     * @throws RelayUnreachableException when the token's relay cannot be reached
     * @throws TransferException         when the claim is refused or unanswered
     */
    Decision claim(final BeforeClaim beforeClaim) throws IOException, TransferException, InterruptedException {
        direct = DirectAttempt.open(setup); // the socket opens while we connect
        discoverEarly();
        // A fresh Ed25519 key for the claim: ~40 ms on a cold JVM, now beside the relay connection.
        final Prepared<byte[]> identity = Prepared.start(() -> IdentityKeyPair.generate().publicKeyRaw());
        final RelayConnector.Connected early = earlyRelay != null ? earlyRelay.take(token.relay()) : null;
        final RelayConnector.Connected relay = early != null ? early : connect(setup, token.relay(), publicMap);
        link = new PeerLink(relay.client()).start();
        link.controlHandler(direct::onControl);
        final RendezvousClaimer claimer = new RendezvousClaimer(token, link.ownKey(), identity.get(),
            direct.claimCandidates(), Extensions.NONE, setup.clock(), setup.policy());
        relayPath = link.pathTo(token.derpPublicKey());
        beforeClaim.ready(relayPath);
        try {
            return new ClaimDriver(claimer, link::send, link::pollRendezvous).run();
        } catch (final RendezvousException e) {
            throw new TransferException(e.getMessage(), e);
        }
    }

    /**
     * Starts STUN on the socket as soon as it is open, with the token's relay node: the claim waits for the first
     * answer, which then no longer waits for the relay connection as well (10-15 ms of a cold start). A token whose
     * node cannot be named here fails in the connection (the same lookup), with its message.
     */
    private void discoverEarly() {
        try {
            direct.discover(DirectAttempt.stunNodes(RelayConnector.nodeOf(token.relay(), publicMap), setup.map()),
                setup.resolver());
        } catch (final RelayUnreachableException e) {
            // reported by the connection
        }
    }

    PeerLink link() {
        return link;
    }

    DirectAttempt direct() {
        return direct;
    }

    RelayPath relayPath() {
        return relayPath;
    }

    /** " (the PEER left the relay)" when the relay said the issuer left, else "". */
    String goneHint(final String peer) {
        return link.gonePeer() != null ? " (the " + peer + " left the relay)" : "";
    }

    @Override
    public void close() {
        if (direct != null) {
            direct.close();
        }
        if (link != null) {
            link.close();
        }
    }
}
