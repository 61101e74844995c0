package dev.derphole.session.transfer;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.link.PeerLink;
import dev.derphole.session.link.RelayPath;
import dev.derphole.session.relay.RelayConnector;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.Claim;
import dev.derphole.session.rendezvous.ClaimDriver;
import dev.derphole.session.rendezvous.Extensions;
import dev.derphole.session.rendezvous.RendezvousListener;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.SessionToken;

/**
 * The issuing side of a one-shot session ({@code listen}, {@code send}): its home relay, its token, the one claim
 * it accepts, and the answers to every later claim ({@code session already claimed}, on a background thread for as
 * long as the session lives). Which way the data then flows is the caller's.
 * <p>
 * Owned by the command's main thread.
 */
final class IssuedSession implements AutoCloseable {
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(200);

    /** The accepted claim: who claimed, the relay path to it, its direct-path candidates. */
    record Accepted(NodeKey claimer, RelayPath relayPath, List<String> candidates) {
    }

    /** Readies the data path for an accepted claim, before the claimer hears of it. */
    @FunctionalInterface
    interface OnAccepted {
        void ready(Accepted claim) throws InterruptedException;
    }

    private final TransferSetup setup;
    private PeerLink link;
    private SessionToken token;
    private RendezvousListener rendezvous;
    private DirectAttempt direct;
    private Thread lateClaims;

    IssuedSession(final TransferSetup setup) {
        this.setup = setup;
    }

    /**
     * Opens the direct socket, connects to the home relay and issues a token for {@code capabilities}; the offer
     * carries this side's candidates (after at most the first STUN answer and port-mapping attempt).
     *
     * @throws RelayUnreachableException when no relay can be reached
     */
    SessionToken open(final Set<Capability> capabilities) throws RelayUnreachableException {
        direct = DirectAttempt.open(setup); // the socket opens while we connect
        final Curve25519KeyPair derpKeys = Curve25519KeyPair.generate();
        final RelayConnector.Connected relay = new RelayConnector(setup.resolver(), setup.ssl())
            .connectHome(setup.map(), setup.publicMap(), setup.mapDescription(), derpKeys);
        link = new PeerLink(relay.client()).start();
        link.controlHandler(direct::onControl);
        direct.discover(DirectAttempt.stunNodes(relay.node(), setup.map()), setup.resolver());
        token = SessionToken.issue(capabilities, relay.bootstrap(), link.ownKey(),
            IdentityKeyPair.generate().publicKeyRaw(), setup.clock());
        rendezvous = new RendezvousListener(token, link.ownKey(), setup.clock(), setup.policy());
        rendezvous.offer(direct.candidates(), Extensions.NONE);
        return token;
    }

    /**
     * Waits for the claim. {@code beforeReply} gets it before the claimer hears the decision: the data path must
     * exist before the claimer learns it may start (or expect) sending. Later claims are answered from then on.
     *
     * @param abortReason non-null once the session was aborted
     * @throws TransferException when aborted, or when the token expires unclaimed
     */
    Accepted awaitClaim(final Supplier<String> abortReason, final OnAccepted beforeReply)
        throws TransferException, InterruptedException {
        while (true) {
            final String aborted = abortReason.get();
            if (aborted != null) {
                throw new TransferException(aborted);
            }
            if (token.isExpired(Instant.now(setup.clock()))) {
                throw new TransferException("token expired before anyone claimed the session; run "
                    + Capability.describe(token.capabilityBits()).replace("`", "") + " again");
            }
            final ClaimDriver.Received packet = link.pollRendezvous(POLL_NS);
            if (packet == null) {
                continue;
            }
            final RendezvousListener.Outcome outcome = onPacket(packet);
            final Optional<Claim> accepted = outcome.accepted();
            Accepted claim = null;
            if (accepted.isPresent()) {
                final NodeKey claimer = accepted.get().claimerDerpKey();
                claim = new Accepted(claimer, link.pathTo(claimer), accepted.get().candidates());
                beforeReply.ready(claim);
            }
            reply(outcome);
            if (claim != null) {
                lateClaims = Thread.ofVirtual().name("derphole-late-claims").start(this::answerLateClaims);
                return claim;
            }
        }
    }

    PeerLink link() {
        return link;
    }

    SessionToken token() {
        return token;
    }

    DirectAttempt direct() {
        return direct;
    }

    /** " (the PEER left the relay)" when the relay said {@code claimer} left, else "". */
    String goneHint(final NodeKey claimer, final String peer) {
        return link.gonePeer() != null && link.gonePeer().equals(claimer) ? " (the " + peer + " left the relay)" : "";
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
