package dev.derphole.session.transfer;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.lanes.BulkReceiver;
import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.link.PeerLink;
import dev.derphole.session.link.RelayPath;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.relay.RelayConnector;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.ClaimDriver;
import dev.derphole.session.rendezvous.Extensions;
import dev.derphole.session.rendezvous.RendezvousListener;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.SessionToken;

/**
 * {@code listen}: connects to the home relay, issues a token, waits for the one claimer, then receives its
 * stream into a sink. Later claims keep being answered ({@code session already claimed}) on a background
 * thread for as long as the session lives.
 * <p>
 * Owned by the command's main thread; {@link #abort(String)} may be called from any thread.
 */
public final class ListenSession implements AutoCloseable {
    /** Longest the token waits for the listener's warm-up and receiver build ({@link #settle}), in ms. */
    static final long SETTLE_MS = 2_000;
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(200);

    private final TransferSetup setup;
    private final SessionEvents events;
    private PeerLink link;
    private SessionToken token;
    private RendezvousListener rendezvous;
    /** Set once the stream is complete: later path changes are not worth a status line. */
    private volatile boolean finished;
    private volatile BulkReceiver receiver;
    private volatile String abortReason;
    private Thread lateClaims;
    private DirectAttempt direct;
    private RelayPath relayPath;
    private List<String> claimCandidates = List.of();
    /** Built while we connect (the token waits for it: {@link #settle}); bound to the claimer's path later. */
    private Prepared<BulkReceiver> preparedReceiver;

    public ListenSession(final TransferSetup setup, final SessionEvents events) {
        this.setup = setup;
        this.events = events;
    }

    /**
     * Connects to the relay and issues the session's token.
     *
     * @throws RelayUnreachableException when no relay can be reached
     */
    public SessionToken open() throws RelayUnreachableException {
        final Thread warmup = CodecWarmup.startInBackground(); // while we connect
        direct = DirectAttempt.open(setup); // the socket opens while we connect
        final Curve25519KeyPair derpKeys = Curve25519KeyPair.generate();
        final RelayConnector.Connected relay = new RelayConnector(setup.resolver(), setup.ssl())
            .connectHome(setup.map(), setup.publicMap(), setup.mapDescription(), derpKeys);
        link = new PeerLink(relay.client()).start();
        link.controlHandler(direct::onControl);
        direct.discover(DirectAttempt.stunNodes(relay.node(), setup.map()), setup.resolver());
        token = SessionToken.issue(EnumSet.of(Capability.STDIO), relay.bootstrap(), link.ownKey(),
            IdentityKeyPair.generate().publicKeyRaw(), setup.clock());
        rendezvous = new RendezvousListener(token, link.ownKey(), setup.clock(), setup.policy());
        rendezvous.offer(direct.candidates(), Extensions.NONE);
        final SessionToken issued = token;
        preparedReceiver = Prepared.start(
            () -> new BulkReceiver(setup.stream(), StreamKeying.claimerToListener(issued)));
        settle(warmup);
        return token;
    }

    /**
     * The token means "ready": the crypto warm-up and the receiver's build (a receive window of tens of MiB to zero,
     * ciphers: together ~0.1-0.2 CPU-s on a cold JVM) end before it is shown, at most {@link #SETTLE_MS} later. A
     * sender started the moment the token appears (a script, or both ends on one small machine) then does not share
     * the CPU with them during its own start-up, which is CPU-bound; on its own machine the listener only waits.
     */
    private void settle(final Thread warmup) {
        final long deadline = System.nanoTime() + SETTLE_MS * 1_000_000L;
        try {
            warmup.join(Duration.ofMillis(SETTLE_MS));
            preparedReceiver.await(Math.max(0, deadline - System.nanoTime()));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: the token is shown (or not) as before
        }
    }

    /** The receiver's build has ended (tests: {@link #open} waits for it). */
    boolean receiverReady() {
        return preparedReceiver != null && preparedReceiver.isDone();
    }

    /**
     * Waits for the claim, then writes the claimer's stream into {@code sink}; returns when every byte is there.
     *
     * @return bytes received
     * @throws TransferException for a failed transfer, an abort, or a token that expired unclaimed
     */
    public long receive(final OutputStream sink) throws TransferException, InterruptedException {
        events.status("waiting-for-claim");
        final NodeKey claimer = awaitClaim();
        events.status("claimed");
        lateClaims = Thread.ofVirtual().name("derphole-late-claims").start(this::answerLateClaims);
        events.status("connected-relay");
        final BulkReceiver r = receiver;
        direct.start(token, link.ownKey(), claimer, claimCandidates, setup.policy(),
            CandidateExchange.over(link, claimer), new PathProber.Listener() {
                @Override
                public void onDirect(final DirectPath path) {
                    // The sender switches; the receiver answers on the path the newest packet came from.
                    r.attachPath(path);
                    if (!finished) { // a promotion racing the end: the user already saw stream-complete
                        events.status("connected-direct");
                    }
                }

                @Override
                public void onPeerHeard(final DirectPath path) {
                    // The sender may promote this path before we do (our ACK reached it first): its first flight
                    // is taken and acknowledged at once instead of held until our own probe is answered.
                    r.attachPath(path);
                }

                @Override
                public void onFallback() {
                    r.switchPath(relayPath);
                    if (!finished) {
                        events.status("connected-relay");
                    }
                }
            });
        try {
            final long bytes = receiver.receive(sink);
            finished = true;
            events.status("stream-complete");
            return bytes;
        } catch (final StreamException e) {
            throw StreamFailures.of(e, link.gonePeer() != null && link.gonePeer().equals(claimer)
                ? " (the sender left the relay)" : "");
        } finally {
            events.status(StatsLine.of(receiver.stats()));
            final String directStats = direct.summary();
            if (directStats != null) {
                events.status(directStats);
            }
        }
    }

    /** Aborts: the peer is told (authenticated) and {@link #receive} fails. */
    public void abort(final String reason) {
        abortReason = reason;
        final BulkReceiver r = receiver;
        if (r != null) {
            r.abort(reason);
        }
    }

    private NodeKey awaitClaim() throws TransferException, InterruptedException {
        while (true) {
            if (abortReason != null) {
                throw new TransferException(abortReason);
            }
            if (token.isExpired(Instant.now(setup.clock()))) {
                throw new TransferException("token expired before anyone claimed the session; run listen again");
            }
            final ClaimDriver.Received packet = link.pollRendezvous(POLL_NS);
            if (packet == null) {
                continue;
            }
            final RendezvousListener.Outcome outcome = onPacket(packet);
            final Optional<NodeKey> claimer = outcome.accepted().map(c -> c.claimerDerpKey());
            if (claimer.isPresent()) {
                // The data path must exist before the claimer learns it may start sending.
                relayPath = link.pathTo(claimer.get());
                claimCandidates = outcome.accepted().get().candidates();
                final BulkReceiver r = preparedReceiver.get();
                r.bindPath(relayPath);
                receiver = r;
                link.peerGoneHandler(r::peerLeft);
            }
            reply(outcome);
            if (claimer.isPresent()) {
                return claimer.get();
            }
        }
    }

    private void answerLateClaims() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                final ClaimDriver.Received packet = link.pollRendezvous(POLL_NS);
                if (packet != null) {
                    reply(onPacket(packet));
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized RendezvousListener.Outcome onPacket(final ClaimDriver.Received packet) {
        return rendezvous.onPacket(packet.source(), packet.buffer(), packet.offset(), packet.length());
    }

    private void reply(final RendezvousListener.Outcome outcome) {
        outcome.reply().ifPresent(reply -> {
            try {
                link.send(reply.destination(), reply.packet());
            } catch (final IOException e) {
                // The claimer retries its claim; a lost reply costs one retry interval.
            }
        });
    }

    @Override
    public void close() {
        if (direct != null) {
            direct.close();
        }
        if (lateClaims != null) {
            lateClaims.interrupt();
        }
        if (link != null) {
            link.close();
        }
    }
}
