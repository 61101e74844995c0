package dev.derphole.session.transfer;

import java.io.InputStream;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;

import dev.derphole.lanes.BulkSender;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;

/**
 * {@code send}: connects to the home relay, issues an offer token (the receive code), waits for the one claimer,
 * then sends a source to it and returns once it has every byte. The reverse of {@link ListenSession}: the issuer
 * sends, the claimer ({@link ReceiveSession}) receives.
 * <p>
 * Owned by the command's main thread; {@link #abort(String)} may be called from any thread.
 */
public final class OfferSession implements AutoCloseable {
    private final TransferSetup setup;
    private final SessionEvents events;
    private final IssuedSession issued;
    private volatile boolean finished;
    private volatile BulkSender sender;
    private volatile String abortReason;

    public OfferSession(final TransferSetup setup, final SessionEvents events) {
        this.setup = setup;
        this.events = events;
        this.issued = new IssuedSession(setup);
    }

    /**
     * Connects to the relay and issues the session's token.
     *
     * @throws RelayUnreachableException when no relay can be reached
     */
    public SessionToken open() throws RelayUnreachableException {
        CodecWarmup.startInBackground(); // while we connect and the code travels to the other machine
        return issued.open(EnumSet.of(Capability.OFFER));
    }

    /**
     * Waits for the claim, then sends {@code source} to the claimer.
     *
     * @return bytes sent (all acknowledged as delivered)
     * @throws TransferException for a failed transfer, an abort, or a token that expired unclaimed
     */
    public long send(final InputStream source) throws TransferException, InterruptedException {
        events.status("waiting-for-claim");
        final SessionToken token = issued.token();
        // The engine is built for the claimer's relay path before it hears the decision (~50-70 ms on a cold JVM):
        // its first relayed data then follows the decision at once.
        final IssuedSession.Accepted claim = issued.awaitClaim(() -> abortReason, accepted -> {
            final BulkSender s = new BulkSender(setup.stream(), StreamKeying.listenerToClaimer(token),
                accepted.relayPath());
            sender = s;
            issued.link().peerGoneHandler(s::peerLeft);
        });
        events.status("claimed");
        final BulkSender s = sender;
        final CountDownLatch onRelay = new CountDownLatch(1);
        issued.direct().start(token, issued.link().ownKey(), claim.claimer(), claim.candidates(), setup.policy(),
            CandidateExchange.over(issued.link(), claim.claimer()),
            StreamPaths.sending(() -> sender, onRelay, claim.relayPath(), events, () -> finished, path -> {
            }));
        events.status("connected-relay");
        onRelay.countDown();
        return StreamRun.toEnd(() -> s.send(source), () -> finished = true, events, s::stats, issued.direct(),
            () -> issued.goneHint(claim.claimer(), "receiver"));
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
        issued.close();
    }
}
