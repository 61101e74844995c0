package dev.derphole.session.rendezvous;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;

/**
 * The listener's side of rendezvous: judges CLAIM packets for the token it issued and produces the
 * DECISION to send back. Pure logic: no threads, no I/O, clock injected.
 * <p>
 * Order of checks for each packet, and what the sender learns:
 * <ol>
 * <li>size and kind: dropped silently;</li>
 * <li>AES-GCM open: a packet that does not authenticate is dropped silently and counted
 *     ({@link Counter#AUTH_FAILURE}); whoever lacks the bearer secret learns nothing, not even whether the
 *     session exists or is taken (red-team classes 2 and 12);</li>
 * <li>version, body structure, session id, token expiry (rechecked per claim, class 4): a reject decision to
 *     the packet's DERP source;</li>
 * <li>the DERP source key must equal the claim's DERP key (class 3): otherwise dropped silently, so a token
 *     holder cannot aim our traffic at a third party;</li>
 * <li>capability equal to the token's, then the candidate policy (class 9): a reject decision;</li>
 * <li>only then the session state: the first valid claim wins; a retry of it (same claim id, same DERP key)
 *     gets the same acceptance again, byte for byte; any other valid claim gets CLAIMED.</li>
 * </ol>
 * Every drop and every decision increments a {@link Counter}. Replies always go to the DERP source key.
 * <p>
 * Owned by the thread that receives the listener's DERP packets; not thread-safe.
 */
public final class RendezvousListener {
    /** What the listener counted. */
    public enum Counter {
        /** Shorter than header plus tag. */
        TOO_SHORT,
        /** Longer than {@link RendezvousProtocol#MAX_PACKET_LENGTH}. */
        TOO_LONG,
        /** Not a CLAIM (e.g. a DECISION reflected back at us). */
        WRONG_KIND,
        /** Did not authenticate under the session's rendezvous key. */
        AUTH_FAILURE,
        /** Authenticated, but in a rendezvous version we do not speak; answered VERSION. */
        VERSION_MISMATCH,
        /** Authenticated, but the body did not parse; answered MALFORMED when the claim id was readable. */
        MALFORMED,
        /** Names another session; answered SESSION. */
        SESSION_MISMATCH,
        /** The token has expired; answered EXPIRED. */
        EXPIRED,
        /** The DERP source is not the claim's DERP key; dropped. */
        SOURCE_MISMATCH,
        /** Asked for other capabilities than the token's; answered CAPABILITY. */
        CAPABILITY_MISMATCH,
        /** Candidates broke the policy; answered MALFORMED. */
        CANDIDATE_REJECTED,
        /** A different valid claim after the session was taken; answered CLAIMED. */
        CLAIMED_REJECTED,
        /** The claim that took the session. */
        ACCEPTED,
        /** Retries of the accepted claim, answered again with the same acceptance. */
        RETRY_ANSWERED
    }

    /** A packet to send over DERP. */
    public record Reply(NodeKey destination, byte[] packet) {
    }

    /** The result of one packet: maybe a reply, and the claim when this packet took the session. */
    public static final class Outcome {
        static final Outcome NONE = new Outcome(null, null);

        private final Reply reply;
        private final Claim accepted;

        Outcome(final Reply reply, final Claim accepted) {
            this.reply = reply;
            this.accepted = accepted;
        }

        /** The packet to send back, if any. */
        public Optional<Reply> reply() {
            return Optional.ofNullable(reply);
        }

        /** The claim that was accepted by this very packet (only once per listener; not for retries). */
        public Optional<Claim> accepted() {
            return Optional.ofNullable(accepted);
        }
    }

    private static final String CLAIMED_REASON = "session already claimed";

    private final SessionToken token;
    private final Clock clock;
    private final CandidatePolicy policy;
    private final RendezvousCipher cipher;
    private final long[] counters = new long[Counter.values().length];

    private List<String> localCandidates = List.of();
    private Extensions localExtensions = Extensions.NONE;
    private Claim claimed;
    private byte[] acceptancePacket;

    /**
     * @param token      the token this listener issued (with its secret)
     * @param ownDerpKey this listener's DERP public key; must be the token's
     * @param clock      for the per-claim expiry check
     * @param policy     which claimer candidates to accept
     */
    public RendezvousListener(
        final SessionToken token, final NodeKey ownDerpKey, final Clock clock, final CandidatePolicy policy) {
        this(token, ownDerpKey, clock, policy, new SecureRandom());
    }

    public RendezvousListener(
        final SessionToken token,
        final NodeKey ownDerpKey,
        final Clock clock,
        final CandidatePolicy policy,
        final SecureRandom random) {
        if (!token.derpPublicKey().equals(ownDerpKey)) {
            throw new IllegalArgumentException("the token names another DERP key than this listener's");
        }
        this.token = token;
        this.clock = clock;
        this.policy = policy;
        this.cipher = new RendezvousCipher(token.keys().aesKey(KeyPurpose.RENDEZVOUS), random);
    }

    /**
     * Sets what an acceptance will carry: this listener's direct-path candidates and the data-plane
     * parameters. Call before the claim arrives (the acceptance, once sent, never changes).
     *
     * @throws IllegalArgumentException when a candidate breaks the policy
     * @throws IllegalStateException    after a claim was accepted
     */
    public void offer(final List<String> candidates, final Extensions extensions) {
        if (claimed != null) {
            throw new IllegalStateException("the session is already claimed");
        }
        final Optional<String> problem = policy.checkList(candidates);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("own " + problem.get());
        }
        // Fail now, not when the claim arrives, if the acceptance would not fit in a packet.
        BodyCodec.encodeDecision(Decision.accept(new byte[RendezvousProtocol.CLAIM_ID_LENGTH], candidates, extensions));
        this.localCandidates = List.copyOf(candidates);
        this.localExtensions = extensions;
    }

    /**
     * Judges one DERP packet whose first byte is in the rendezvous range.
     *
     * @param source the DERP-authenticated sender (the relay vouches for it, the payload does not)
     */
    public Outcome onPacket(final NodeKey source, final byte[] buf, final int offset, final int length) {
        if (length < RendezvousProtocol.OVERHEAD) {
            return drop(Counter.TOO_SHORT);
        }
        if (length > RendezvousProtocol.MAX_PACKET_LENGTH) {
            return drop(Counter.TOO_LONG);
        }
        if (buf[offset] != RendezvousProtocol.KIND_CLAIM) {
            return drop(Counter.WRONG_KIND);
        }
        final byte[] body = cipher.open(buf, offset, length);
        if (body == null) {
            return drop(Counter.AUTH_FAILURE);
        }
        final int version = buf[offset + 1] & 0xff;
        if (version != RendezvousProtocol.VERSION) {
            counters[Counter.VERSION_MISMATCH.ordinal()]++;
            return rejectRaw(source, body, RejectCode.VERSION, "unsupported rendezvous version " + version);
        }
        final Claim claim;
        try {
            claim = BodyCodec.decodeClaim(body);
        } catch (final MalformedBodyException e) {
            counters[Counter.MALFORMED.ordinal()]++;
            return rejectRaw(source, body, RejectCode.MALFORMED, "malformed claim: " + e.getMessage());
        }
        if (!token.hasSessionId(claim.sessionId(), 0)) {
            return reject(Counter.SESSION_MISMATCH, source, claim, RejectCode.SESSION, "session id mismatch");
        }
        if (token.isExpired(clock.instant())) {
            return reject(Counter.EXPIRED, source, claim, RejectCode.EXPIRED, "token expired at " + token.expiresAt());
        }
        if (!source.equals(claim.claimerDerpKey())) {
            return drop(Counter.SOURCE_MISMATCH);
        }
        if (claim.capabilityBits() != token.capabilityBits()) {
            return reject(Counter.CAPABILITY_MISMATCH, source, claim, RejectCode.CAPABILITY,
                "this session is for " + Capability.describe(token.capabilityBits()));
        }
        final Optional<String> problem = policy.checkList(claim.candidates());
        if (problem.isPresent()) {
            return reject(Counter.CANDIDATE_REJECTED, source, claim, RejectCode.MALFORMED,
                "malformed claim: " + problem.get());
        }
        return decide(source, claim);
    }

    /** The claim that took the session, once one has. */
    public Optional<Claim> claimed() {
        return Optional.ofNullable(claimed);
    }

    /** How many packets ended in {@code counter}. */
    public long counter(final Counter counter) {
        return counters[counter.ordinal()];
    }

    /** Packets that failed authentication (the count an operator watches for probing). */
    public long authFailures() {
        return counter(Counter.AUTH_FAILURE);
    }

    private Outcome decide(final NodeKey source, final Claim claim) {
        if (claimed == null) {
            claimed = claim;
            acceptancePacket = cipher.seal(RendezvousProtocol.KIND_DECISION, RendezvousProtocol.VERSION,
                BodyCodec.encodeDecision(Decision.accept(claim.claimId(), localCandidates, localExtensions)));
            counters[Counter.ACCEPTED.ordinal()]++;
            return new Outcome(new Reply(source, acceptancePacket.clone()), claim);
        }
        if (claim.isRetryOf(claimed)) {
            counters[Counter.RETRY_ANSWERED.ordinal()]++;
            return new Outcome(new Reply(source, acceptancePacket.clone()), null);
        }
        return reject(Counter.CLAIMED_REJECTED, source, claim, RejectCode.CLAIMED, CLAIMED_REASON);
    }

    private Outcome reject(
        final Counter counter, final NodeKey source, final Claim claim, final RejectCode code, final String reason) {
        counters[counter.ordinal()]++;
        return reply(source, claim.claimId(), code, reason);
    }

    /** A reject for a body we could not parse: answered only when its leading claim id is there to echo. */
    private Outcome rejectRaw(final NodeKey source, final byte[] body, final RejectCode code, final String reason) {
        if (body.length < RendezvousProtocol.CLAIM_ID_LENGTH) {
            return Outcome.NONE;
        }
        return reply(source, Arrays.copyOf(body, RendezvousProtocol.CLAIM_ID_LENGTH), code, reason);
    }

    private Outcome reply(final NodeKey destination, final byte[] claimId, final RejectCode code, final String reason) {
        final byte[] packet = cipher.seal(RendezvousProtocol.KIND_DECISION, RendezvousProtocol.VERSION,
            BodyCodec.encodeDecision(Decision.reject(claimId, code, reason)));
        return new Outcome(new Reply(destination, packet), null);
    }

    private Outcome drop(final Counter counter) {
        counters[counter.ordinal()]++;
        return Outcome.NONE;
    }

    @Override
    public String toString() {
        return "RendezvousListener[" + token + (claimed == null ? " waiting" : " claimed by " + claimed) + "]";
    }
}
