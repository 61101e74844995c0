package dev.derphole.session.transfer;

import java.io.IOException;
import java.io.InputStream;
import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.lanes.BulkSender;
import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.link.PeerLink;
import dev.derphole.session.link.RelayPath;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.relay.RelayConnector;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.ClaimDriver;
import dev.derphole.session.rendezvous.Decision;
import dev.derphole.session.rendezvous.Extensions;
import dev.derphole.session.rendezvous.RendezvousClaimer;
import dev.derphole.session.rendezvous.RendezvousException;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.SessionToken;

/**
 * {@code pipe}: connects to the relay the token names, claims the session, then streams a source to the
 * listener and returns once the listener has every byte.
 * <p>
 * Owned by the command's main thread; {@link #abort(String)} may be called from any thread.
 */
public final class PipeSession implements AutoCloseable {
    private final TransferSetup setup;
    private final SessionEvents events;
    private final SessionToken token;
    private final DerpMap publicMap;
    private PeerLink link;
    private DirectAttempt direct;
    private volatile BulkSender sender;
    private volatile String abortReason;

    /**
     * @param publicMap the public DERP map, for tokens that name a public relay node
     */
    public PipeSession(final TransferSetup setup, final SessionEvents events, final SessionToken token,
        final DerpMap publicMap) {
        this.setup = setup;
        this.events = events;
        this.token = token;
        this.publicMap = publicMap;
    }

    /**
     * Claims the session and sends {@code source} to its end.
     *
     * @return bytes sent (all acknowledged as delivered)
     * @throws RelayUnreachableException when the token's relay cannot be reached
     * @throws TransferException         when the claim is refused or unanswered, or the transfer fails
     */
    public long send(final InputStream source) throws IOException, TransferException, InterruptedException {
        CodecWarmup.startInBackground(); // while we connect and claim
        direct = DirectAttempt.open(setup); // the socket opens while we connect
        final RelayConnector.Connected relay = new RelayConnector(setup.resolver(), setup.ssl())
            .connectBootstrap(token.relay(), publicMap, Curve25519KeyPair.generate());
        link = new PeerLink(relay.client()).start();
        link.controlHandler(direct::onControl);
        direct.discover(DirectAttempt.stunNodes(relay.node(), setup.map()), setup.resolver());
        final RendezvousClaimer claimer = new RendezvousClaimer(token, link.ownKey(),
            IdentityKeyPair.generate().publicKeyRaw(), direct.candidates(), Extensions.NONE, setup.clock(),
            setup.policy());
        final Decision decision;
        try {
            decision = new ClaimDriver(claimer, link::send, link::pollRendezvous).run();
        } catch (final RendezvousException e) {
            throw new TransferException(e.getMessage(), e);
        }
        events.status("claimed");
        if (abortReason != null) {
            throw new TransferException(abortReason);
        }
        final RelayPath relayPath = link.pathTo(token.derpPublicKey());
        final BulkSender s = new BulkSender(setup.stream(), StreamKeying.claimerToListener(token), relayPath);
        sender = s;
        events.status("connected-relay");
        direct.start(token, link.ownKey(), token.derpPublicKey(), decision.candidates(), setup.policy(),
            CandidateExchange.over(link, token.derpPublicKey()), new PathProber.Listener() {
                @Override
                public void onDirect(final DirectPath path) {
                    s.switchPath(path);
                    events.status("connected-direct");
                }

                @Override
                public void onFallback() {
                    s.switchPath(relayPath);
                    events.status("connected-relay");
                }
            });
        try {
            final long bytes = sender.send(source);
            events.status("stream-complete");
            return bytes;
        } catch (final StreamException e) {
            throw StreamFailures.of(e, link.gonePeer() != null ? " (the listener left the relay)" : "");
        } finally {
            events.status(StatsLine.of(sender.stats()));
            final String directStats = direct.summary();
            if (directStats != null) {
                events.status(directStats);
            }
        }
    }

    /** Aborts: the peer is told (authenticated) and {@link #send} fails. */
    public void abort(final String reason) {
        abortReason = reason;
        final BulkSender s = sender;
        if (s != null) {
            s.abort(reason);
        }
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
