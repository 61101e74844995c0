package dev.derphole.session.transfer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.link.PeerLink;
import dev.derphole.session.path.CandidateUpdateCodec;
import dev.derphole.session.path.PathProber;
import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * Call-me-maybe: candidate updates over the relay once the session runs. When this side learns a candidate late
 * (a slow STUN answer, a port mapping) it sends its whole list, asking for the peer's list back, so both sides
 * probe each other's newest addresses at the same moment; the update is sent again after
 * {@link #RESEND_DELAYS_MS} because the relay drops packets when its queue to a slow reader overflows. An update
 * from the peer replaces the addresses the prober knocks on and starts another probing phase.
 * <p>
 * Thread-safe: {@link #announce} from discovery threads, {@link #onPacket} from the relay dispatcher thread.
 */
final class CandidateExchange implements AutoCloseable {
    /** When an announcement is repeated, in ms after the first send. */
    static final long[] RESEND_DELAYS_MS = {1_000, 3_000};
    /** Answers (our list sent because the peer asked) at most this often, in ms. */
    static final long ANSWER_SPACING_MS = 250;

    /** Sends one control packet to the peer over the relay; failures count as a lost packet. */
    @FunctionalInterface
    interface Channel {
        void send(byte[] packet);
    }

    /** Control packets to {@code peer} over the relay; a failed send is a lost packet (updates are repeated). */
    static Channel over(final PeerLink link, final NodeKey peer) {
        return packet -> {
            try {
                link.send(peer, packet);
            } catch (final IOException e) {
                // Lost like any relayed packet.
            }
        };
    }

    private final CandidateUpdateCodec codec;
    private final Channel channel;
    private final CandidatePolicy policy;
    private final PathProber prober;
    private final Supplier<List<String>> own;
    private final ScheduledExecutorService timer;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private long lastAnswerNs;
    private volatile boolean closed;

    CandidateExchange(final CandidateUpdateCodec codec, final Channel channel, final CandidatePolicy policy,
        final PathProber prober, final Supplier<List<String>> own) {
        this.codec = codec;
        this.channel = channel;
        this.policy = policy;
        this.prober = prober;
        this.own = own;
        this.timer = Executors.newSingleThreadScheduledExecutor(r ->
            Thread.ofPlatform().daemon().name("derphole-candidates").unstarted(r));
    }

    /** Our list changed: tell the peer now and again a little later, asking for its list back. */
    void announce() {
        if (closed) {
            return;
        }
        try {
            timer.execute(this::sendOwnAskingBack);
            for (final long delay : RESEND_DELAYS_MS) {
                timer.schedule(this::sendOwnAskingBack, delay, TimeUnit.MILLISECONDS);
            }
        } catch (final RejectedExecutionException e) {
            // Closed meanwhile (the session is ending): nothing to announce any more.
        }
    }

    private void sendOwnAskingBack() {
        send(true);
    }

    private void send(final boolean answerWanted) {
        if (closed) {
            return;
        }
        channel.send(codec.seal(own.get(), answerWanted));
        sent.incrementAndGet();
    }

    /** A control packet from the peer (relay dispatcher thread). */
    void onPacket(final byte[] packet) {
        final CandidateUpdateCodec.Update update = codec.open(packet, 0, packet.length);
        if (update == null || policy.checkList(update.candidates()).isPresent()) {
            refused.incrementAndGet();
            return;
        }
        received.incrementAndGet();
        final List<InetSocketAddress> addresses = new ArrayList<>(update.candidates().size());
        for (final String c : update.candidates()) {
            addresses.add(policy.toSocketAddress(c));
        }
        prober.updatePeers(addresses);
        if (update.answerWanted() && answerDue() && !closed) {
            try {
                timer.execute(() -> send(false));
            } catch (final RejectedExecutionException e) {
                // Closed meanwhile: no answer.
            }
        }
    }

    private synchronized boolean answerDue() {
        final long now = System.nanoTime();
        if (lastAnswerNs != 0 && now - lastAnswerNs < TimeUnit.MILLISECONDS.toNanos(ANSWER_SPACING_MS)) {
            return false;
        }
        lastAnswerNs = now;
        return true;
    }

    /** {@code updates=sent/received/refused}, for the verbose summary. */
    String counters() {
        return sent.get() + "/" + received.get() + "/" + refused.get();
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
    }
}
