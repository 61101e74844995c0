package dev.derphole.session.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.lanes.BulkSender;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.path.DirectPath;
import dev.derphole.session.path.ProbeCodec;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.Decision;
import dev.derphole.session.token.SessionToken;

/**
 * {@code pipe}: connects to the relay the token names, claims the session, then streams a source to the
 * listener and returns once the listener has every byte.
 * <p>
 * Owned by the command's main thread; {@link #abort(String)} may be called from any thread.
 */
public final class PipeSession implements AutoCloseable {
    /** Spacing of the payload-rate samples that pick the lane count for {@code --parallel auto}, in ms. */
    private static final long RATE_SAMPLE_MS = 500;

    private final TransferSetup setup;
    private final SessionEvents events;
    private final SessionToken token;
    private final DerpMap publicMap;
    private JoinedSession joined;
    private volatile BulkSender sender;
    private volatile String abortReason;
    private int parallel = 1;
    private final AtomicBoolean lanesStarted = new AtomicBoolean();
    private boolean lanesByRate;
    private volatile boolean finished;
    private EarlyRelay earlyRelay;

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
     * A relay connection started before this session (at process start, from the same token): {@link #send} takes it
     * instead of connecting when it is to the token's relay. Call before {@link #send}.
     */
    public PipeSession earlyRelay(final EarlyRelay early) {
        earlyRelay = early;
        return this;
    }

    /**
     * Direct UDP lanes to send on (1..16): lane 0 is the direct path; the others are opened and validated once it is
     * up, each its own socket and sender thread. Call before {@link #send}. Default 1.
     */
    public PipeSession parallel(final int lanes) {
        return parallel(lanes, false);
    }

    /**
     * Like {@link #parallel(int)}; with {@code byRate}, {@code lanes} is only the most to use: the extra lanes are
     * opened once the direct path's measured rate calls for them (more than 350 Mbit/s: {@link LaneCount}).
     */
    public PipeSession parallel(final int lanes, final boolean byRate) {
        if (lanes < 1 || lanes > ProbeCodec.MAX_LANE + 1) {
            throw new IllegalArgumentException("lanes must be 1.." + (ProbeCodec.MAX_LANE + 1) + ": " + lanes);
        }
        parallel = lanes;
        lanesByRate = byRate;
        return this;
    }

    /**
     * Claims the session and sends {@code source} to its end.
     *
     * @return bytes sent (all acknowledged as delivered)
     * @throws RelayUnreachableException when the token's relay cannot be reached
     * @throws TransferException         when the claim is refused or unanswered, or the transfer fails
     */
    public long send(final InputStream source) throws IOException, TransferException, InterruptedException {
        joined = new JoinedSession(setup, token, publicMap, earlyRelay);
        // The stream engine (ring, keys, ciphers: ~50-70 ms on a cold JVM) is built while the claim travels, then the
        // crypto warm-up starts (~0.1 CPU-s and C2 compiles): not before, because until the claim is out start-up
        // is CPU-bound on a small machine and the claim waited for it, and not beside the engine, which the
        // session waits for once the listener answers. It still ends long before the first relayed megabytes are
        // sealed, and the first direct datagrams find its methods compiled by C1.
        final AtomicReference<Prepared<BulkSender>> engine = new AtomicReference<>();
        final Decision decision = joined.claim(relayPath -> engine.set(Prepared.start(() -> {
            final BulkSender built = new BulkSender(setup.stream(), StreamKeying.claimerToListener(token), relayPath);
            CodecWarmup.startInBackground();
            return built;
        })));
        events.status("claimed");
        if (abortReason != null) {
            throw new TransferException(abortReason);
        }
        // Probing starts before the stream engine is collected (still being built on a loaded machine: ~10 ms in
        // the WAN lab), so the first probe is not held back by it; a promotion waits until the engine is there and
        // connected-relay was said, so the status lines keep their order.
        final CountDownLatch onRelay = new CountDownLatch(1);
        final DirectAttempt direct = joined.direct();
        direct.start(token, joined.link().ownKey(), token.derpPublicKey(), decision.candidates(), setup.policy(),
            CandidateExchange.over(joined.link(), token.derpPublicKey()),
            StreamPaths.sending(() -> sender, onRelay, joined.relayPath(), events, () -> finished, path -> {
                if (parallel > 1 && lanesStarted.compareAndSet(false, true)) {
                    final BulkSender s = sender;
                    Thread.ofPlatform().daemon().name("derphole-lanes").start(() -> openLanes(s, path,
                        lanesByRate ? lanesForRate(s) : parallel));
                }
            }));
        try {
            final BulkSender s = engine.get().get();
            sender = s;
            joined.link().peerGoneHandler(s::peerLeft);
            events.status("connected-relay");
        } finally {
            onRelay.countDown();
        }
        final BulkSender s = sender;
        try {
            return StreamRun.toEnd(() -> s.send(source), () -> finished = true, events, s::stats, direct,
                () -> joined.goneHint("listener"));
        } finally {
            if (parallel > 1) {
                final StringBuilder perLane = new StringBuilder("lane-packets");
                for (int lane = 0; lane < parallel; lane++) {
                    perLane.append(lane == 0 ? '=' : '/').append(sender.lanePackets(lane));
                }
                events.status(perLane.toString());
            }
        }
    }

    /**
     * Watches the payload rate every {@link #RATE_SAMPLE_MS} until it calls for more than one lane (then that many,
     * at most {@link #parallel}) or the stream ends (then 1).
     */
    private int lanesForRate(final BulkSender s) {
        long before = s.stats().payloadBytesSent();
        while (!finished) {
            try {
                Thread.sleep(RATE_SAMPLE_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            final long now = s.stats().payloadBytesSent();
            final int lanes = LaneCount.forRate((now - before) * 1_000.0 / RATE_SAMPLE_MS, parallel);
            if (lanes > 1) {
                return lanes;
            }
            before = now;
        }
        return 1;
    }

    /** Opens the extra lanes (blocks about 1.5 s) and hands them to the sender; a dead lane is withdrawn later. */
    private void openLanes(final BulkSender s, final DirectPath path, final int lanesWanted) {
        if (lanesWanted < 2 || finished) {
            return;
        }
        try {
            final List<DirectPath> lanes = joined.direct().openLanes(path, lanesWanted - 1,
                alive -> s.useLanes(path, List.copyOf(alive)));
            s.useLanes(path, List.copyOf(lanes));
            events.status("lanes " + (1 + lanes.size()) + "/" + lanesWanted);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
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
        if (joined != null) {
            joined.close();
        }
    }
}
