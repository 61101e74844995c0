package dev.derphole.session.transfer;

import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumSet;

import dev.derphole.lanes.BulkReceiver;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;

/**
 * {@code listen} (and {@code ssh invite}): connects to the home relay, issues a token, waits for the one
 * claimer, then receives its stream into a sink. Later claims keep being answered ({@code session already
 * claimed}) on a background thread for as long as the session lives.
 * <p>
 * Owned by the command's main thread; {@link #abort(String)} may be called from any thread.
 */
public final class ListenSession implements AutoCloseable {
    /** Longest the token waits for the listener's warm-up and receiver build ({@link #settle}), in ms. */
    static final long SETTLE_MS = 2_000;

    private final TransferSetup setup;
    private final SessionEvents events;
    private final IssuedSession issued;
    /** Set once the stream is complete: later path changes are not worth a status line. */
    private volatile boolean finished;
    private volatile BulkReceiver receiver;
    private volatile String abortReason;
    /** Built while we connect (the token waits for it: {@link #settle}); bound to the claimer's path later. */
    private Prepared<BulkReceiver> preparedReceiver;

    private final Capability capability;

    public ListenSession(final TransferSetup setup, final SessionEvents events) {
        this(setup, events, Capability.STDIO);
    }

    /**
     * @param capability what the token grants its claimer: {@link Capability#STDIO} ({@code listen}) or
     *                   {@link Capability#ATTACH} ({@code ssh invite}, whose claimer sends one public key)
     */
    public ListenSession(final TransferSetup setup, final SessionEvents events, final Capability capability) {
        this.setup = setup;
        this.events = events;
        this.capability = capability;
        this.issued = new IssuedSession(setup);
    }

    /**
     * Connects to the relay and issues the session's token.
     *
     * @throws RelayUnreachableException when no relay can be reached
     */
    public SessionToken open() throws RelayUnreachableException {
        final Thread warmup = CodecWarmup.startInBackground(); // while we connect
        final SessionToken token = issued.open(EnumSet.of(capability));
        preparedReceiver = Prepared.start(
            () -> new BulkReceiver(setup.stream(), StreamKeying.claimerToListener(token)));
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
        final IssuedSession.Accepted claim = issued.awaitClaim(() -> abortReason, accepted -> {
            final BulkReceiver r = preparedReceiver.get();
            r.bindPath(accepted.relayPath());
            receiver = r;
            issued.link().peerGoneHandler(r::peerLeft);
        });
        events.status("claimed");
        events.status("connected-relay");
        final BulkReceiver r = receiver;
        issued.direct().start(issued.token(), issued.link().ownKey(), claim.claimer(), claim.candidates(),
            setup.policy(), CandidateExchange.over(issued.link(), claim.claimer()),
            StreamPaths.receiving(r, claim.relayPath(), events, () -> finished));
        return StreamRun.toEnd(() -> r.receive(sink), () -> finished = true, events, r::stats, issued.direct(),
            () -> issued.goneHint(claim.claimer(), "sender"));
    }

    /** Aborts: the peer is told (authenticated) and {@link #receive} fails. */
    public void abort(final String reason) {
        abortReason = reason;
        final BulkReceiver r = receiver;
        if (r != null) {
            r.abort(reason);
        }
    }

    @Override
    public void close() {
        issued.close();
    }
}
