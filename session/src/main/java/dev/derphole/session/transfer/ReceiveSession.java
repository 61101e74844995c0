package dev.derphole.session.transfer;

import java.io.IOException;
import java.io.OutputStream;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.lanes.BulkReceiver;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.rendezvous.Decision;
import dev.derphole.session.token.SessionToken;

/**
 * {@code receive CODE}: connects to the relay the offer token names, claims the session, then writes the issuer's
 * stream into a sink. The reverse of {@link PipeSession}: the claimer receives, the issuer ({@link OfferSession})
 * sends.
 * <p>
 * Owned by the command's main thread; {@link #abort(String)} may be called from any thread.
 */
public final class ReceiveSession implements AutoCloseable {
    private final TransferSetup setup;
    private final SessionEvents events;
    private final SessionToken token;
    private final DerpMap publicMap;
    private JoinedSession joined;
    private volatile boolean finished;
    private volatile BulkReceiver receiver;
    private volatile String abortReason;
    private EarlyRelay earlyRelay;

    /**
     * @param publicMap the public DERP map, for tokens that name a public relay node
     */
    public ReceiveSession(final TransferSetup setup, final SessionEvents events, final SessionToken token,
        final DerpMap publicMap) {
        this.setup = setup;
        this.events = events;
        this.token = token;
        this.publicMap = publicMap;
    }

    /**
     * A relay connection started before this session (at process start, from the same code): {@link #receive}
     * takes it instead of connecting when it is to the code's relay. Call before {@link #receive}.
     */
    public ReceiveSession earlyRelay(final EarlyRelay early) {
        earlyRelay = early;
        return this;
    }

    /**
     * Claims the session and writes the offered stream into {@code sink}; returns when every byte is there.
     *
     * @return bytes received
     * @throws TransferException when the claim is refused or unanswered, or the transfer fails
     */
    public long receive(final OutputStream sink) throws IOException, TransferException, InterruptedException {
        // The receive window (tens of MiB) and ciphers are made while the relay connection is, and bound to the
        // issuer's path before the claim goes out: the issuer starts sending as soon as it accepts.
        final Prepared<BulkReceiver> prepared = Prepared.start(() -> {
            final BulkReceiver built = new BulkReceiver(setup.stream(), StreamKeying.listenerToClaimer(token));
            CodecWarmup.startInBackground();
            return built;
        });
        joined = new JoinedSession(setup, token, publicMap, earlyRelay);
        final Decision decision = joined.claim(relayPath -> {
            final BulkReceiver r = prepared.get();
            r.bindPath(relayPath);
            receiver = r;
        });
        events.status("claimed");
        if (abortReason != null) {
            throw new TransferException(abortReason);
        }
        final BulkReceiver r = receiver;
        joined.link().peerGoneHandler(r::peerLeft);
        events.status("connected-relay");
        joined.direct().start(token, joined.link().ownKey(), token.derpPublicKey(), decision.candidates(),
            setup.policy(), CandidateExchange.over(joined.link(), token.derpPublicKey()),
            StreamPaths.receiving(r, joined.relayPath(), events, () -> finished));
        return StreamRun.toEnd(() -> r.receive(sink), () -> finished = true, events, r::stats, joined.direct(),
            () -> joined.goneHint("sender"));
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
        if (joined != null) {
            joined.close();
        }
    }
}
