package dev.derphole.session.rendezvous;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import dev.derphole.derp.proto.NodeKey;

/**
 * Runs one claim attempt to its end: sends the claim, resends it every {@link #RESEND_INTERVAL} until the
 * listener decides or the overall timeout passes. Blocking; the packets come from a {@link PacketSource}
 * fed by the DERP client's receive thread (rendezvous-range packets only) and go out through a
 * {@link PacketSender}. Time comes from an injected nanosecond clock, so tests run the 30 s timeout in no
 * time with a source that advances the clock instead of sleeping.
 * <p>
 * Used by one thread at a time (the command's main thread).
 */
public final class ClaimDriver {
    /** Resend interval of the claim: a lost claim or decision costs at most this much. */
    public static final Duration RESEND_INTERVAL = Duration.ofMillis(250);
    /** Default time to wait for the listener's decision. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** Sends one DERP packet. */
    @FunctionalInterface
    public interface PacketSender {
        void send(NodeKey destination, byte[] packet) throws IOException;
    }

    /** Received DERP packets in the rendezvous range. */
    @FunctionalInterface
    public interface PacketSource {
        /**
         * The next packet, waiting at most {@code timeoutNs}; null when none arrived in time.
         */
        Received poll(long timeoutNs) throws IOException, InterruptedException;
    }

    /** One received packet and its DERP source key. */
    public record Received(NodeKey source, byte[] buffer, int offset, int length) {
        public Received(final NodeKey source, final byte[] packet) {
            this(source, packet, 0, packet.length);
        }
    }

    private final RendezvousClaimer claimer;
    private final PacketSender sender;
    private final PacketSource source;
    private final LongSupplier nanoClock;
    private final Duration timeout;

    /** A driver with the default timeout on the system's nanosecond clock. */
    public ClaimDriver(final RendezvousClaimer claimer, final PacketSender sender, final PacketSource source) {
        this(claimer, sender, source, System::nanoTime, DEFAULT_TIMEOUT);
    }

    public ClaimDriver(
        final RendezvousClaimer claimer,
        final PacketSender sender,
        final PacketSource source,
        final LongSupplier nanoClock,
        final Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        this.claimer = claimer;
        this.sender = sender;
        this.source = source;
        this.nanoClock = nanoClock;
        this.timeout = timeout;
    }

    /**
     * Claims the session.
     *
     * @return the listener's acceptance
     * @throws RendezvousException on a reject (message: the listener's reason) or when no decision came in time
     * @throws IOException         when sending or receiving fails for good
     */
    public Decision run() throws RendezvousException, IOException, InterruptedException {
        final long startNs = nanoClock.getAsLong();
        final long deadlineNs = startNs + timeout.toNanos();
        final long resendNs = RESEND_INTERVAL.toNanos();
        long nextSendNs = startNs;
        while (true) {
            long nowNs = nanoClock.getAsLong();
            if (nowNs - deadlineNs >= 0) {
                throw new RendezvousException("no answer from the listener within " + describe(timeout) + ": is `"
                    + claimer.issuerCommandLine() + "` still running, and is the token current?", null);
            }
            if (nowNs - nextSendNs >= 0) {
                sender.send(claimer.listenerKey(), claimer.claimPacket());
                nextSendNs = nowNs + resendNs;
            }
            nowNs = nanoClock.getAsLong();
            final long waitNs = Math.max(0, Math.min(nextSendNs, deadlineNs) - nowNs);
            final Received packet = source.poll(waitNs);
            if (packet == null) {
                continue;
            }
            final Optional<Decision> decision =
                claimer.onPacket(packet.source(), packet.buffer(), packet.offset(), packet.length());
            if (decision.isPresent()) {
                final Decision d = decision.get();
                if (d.accepted()) {
                    return d;
                }
                final RejectCode code = d.rejectCode().orElseThrow();
                final String reason = d.reason().isEmpty() ? "claim rejected (" + code + ")" : d.reason();
                throw new RendezvousException(reason, code);
            }
        }
    }

    private static String describe(final Duration d) {
        final long ms = d.toMillis();
        return ms % 1000 == 0 ? TimeUnit.MILLISECONDS.toSeconds(ms) + "s" : ms + "ms";
    }
}
