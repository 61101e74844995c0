package dev.derphole.session.rendezvous;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.SessionToken;

/**
 * The claimer's side of rendezvous: builds the CLAIM for one claim attempt (one random claim id, reused by
 * every resend so that the listener can answer retries idempotently) and recognises the listener's
 * DECISION. Pure logic: no threads, no I/O; {@link ClaimDriver} runs the resend loop.
 * <p>
 * A decision counts only when it arrives from the listener's DERP key named in the token (the relay vouches
 * for the source), authenticates under the session key, and echoes this attempt's claim id; an accepted
 * decision must also carry candidates that pass the policy. Everything else is dropped and counted.
 * <p>
 * Owned by the thread running the claim; not thread-safe.
 */
public final class RendezvousClaimer {
    /** What the claimer counted. */
    public enum Counter {
        /** Claim packets built (first send and resends). */
        CLAIMS_SENT,
        /** From a DERP key other than the token's listener key. */
        FOREIGN_SOURCE,
        /** Shorter than header plus tag, or longer than the maximum. */
        BAD_SIZE,
        /** Not a DECISION. */
        WRONG_KIND,
        /** Did not authenticate under the session's rendezvous key. */
        AUTH_FAILURE,
        /** A rendezvous version we do not speak. */
        VERSION_MISMATCH,
        /** Authenticated but unparseable, or an acceptance with candidates the policy refuses. */
        MALFORMED,
        /** A genuine decision for another claim id (an old attempt, or a replay). */
        STALE_CLAIM_ID,
        /** Decisions for this attempt. */
        DECISIONS
    }

    private final SessionToken token;
    private final CandidatePolicy policy;
    private final RendezvousCipher cipher;
    private final Claim claim;
    private final byte[] body;
    private final long[] counters = new long[Counter.values().length];

    /**
     * A claim for exactly the token's capabilities.
     *
     * @param token              the decoded token (the caller has checked capability and expiry)
     * @param ownDerpKey         this claimer's DERP public key (the key its packets come from)
     * @param ownIdentityKey     this claimer's raw Ed25519 identity public key
     * @param candidates         this claimer's direct-path candidates (may be empty)
     * @param extensions         data-plane parameters offered to the listener
     * @param clock              for the claim's issue time
     * @param policy             which listener candidates to accept
     */
    public RendezvousClaimer(
        final SessionToken token,
        final NodeKey ownDerpKey,
        final byte[] ownIdentityKey,
        final List<String> candidates,
        final Extensions extensions,
        final Clock clock,
        final CandidatePolicy policy) {
        this(token, ownDerpKey, ownIdentityKey, token.capabilityBits(), candidates, extensions, clock, policy,
            new SecureRandom());
    }

    /** As above, with the capability bits to ask for and the randomness given (tests). */
    public RendezvousClaimer(
        final SessionToken token,
        final NodeKey ownDerpKey,
        final byte[] ownIdentityKey,
        final int capabilityBits,
        final List<String> candidates,
        final Extensions extensions,
        final Clock clock,
        final CandidatePolicy policy,
        final SecureRandom random) {
        if (!IdentityKeyPair.isValidPublicKey(ownIdentityKey, 0) || ownIdentityKey.length != 32) {
            throw new IllegalArgumentException("identity key is not a valid Ed25519 public key");
        }
        final Optional<String> problem = policy.checkList(candidates);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("own " + problem.get());
        }
        this.token = token;
        this.policy = policy;
        this.cipher = new RendezvousCipher(token.keys().aesKey(KeyPurpose.RENDEZVOUS), random);
        final byte[] claimId = new byte[RendezvousProtocol.CLAIM_ID_LENGTH];
        random.nextBytes(claimId);
        this.claim = new Claim(claimId, token.sessionId(), ownDerpKey, ownIdentityKey, capabilityBits, clock.millis(),
            candidates, extensions);
        this.body = BodyCodec.encodeClaim(claim);
    }

    /** Where claims go: the listener's DERP key from the token. */
    public NodeKey listenerKey() {
        return token.derpPublicKey();
    }

    /** The claim this attempt sends. */
    public Claim claim() {
        return claim;
    }

    /** A CLAIM packet for this attempt: same body every time, fresh nonce every time. */
    public byte[] claimPacket() {
        counters[Counter.CLAIMS_SENT.ordinal()]++;
        return cipher.seal(RendezvousProtocol.KIND_CLAIM, RendezvousProtocol.VERSION, body);
    }

    /**
     * Judges one DERP packet whose first byte is in the rendezvous range.
     *
     * @param source the DERP-authenticated sender
     * @return the listener's decision on this attempt, or empty when the packet is not one
     */
    public Optional<Decision> onPacket(final NodeKey source, final byte[] buf, final int offset, final int length) {
        if (!source.equals(token.derpPublicKey())) {
            return drop(Counter.FOREIGN_SOURCE);
        }
        if (length < RendezvousProtocol.OVERHEAD || length > RendezvousProtocol.MAX_PACKET_LENGTH) {
            return drop(Counter.BAD_SIZE);
        }
        if (buf[offset] != RendezvousProtocol.KIND_DECISION) {
            return drop(Counter.WRONG_KIND);
        }
        final byte[] plain = cipher.open(buf, offset, length);
        if (plain == null) {
            return drop(Counter.AUTH_FAILURE);
        }
        if ((buf[offset + 1] & 0xff) != RendezvousProtocol.VERSION) {
            return drop(Counter.VERSION_MISMATCH);
        }
        final Decision decision;
        try {
            decision = BodyCodec.decodeDecision(plain);
        } catch (final MalformedBodyException e) {
            return drop(Counter.MALFORMED);
        }
        if (!Arrays.equals(decision.claimId(), claim.claimId())) {
            return drop(Counter.STALE_CLAIM_ID);
        }
        if (decision.accepted() && policy.checkList(decision.candidates()).isPresent()) {
            return drop(Counter.MALFORMED);
        }
        counters[Counter.DECISIONS.ordinal()]++;
        return Optional.of(decision);
    }

    /** The issuing command, for messages ({@code derphole listen}). */
    String issuerCommandLine() {
        return Capability.issuerCommandLine(token.capabilityBits());
    }

    /** How many packets ended in {@code counter}. */
    public long counter(final Counter counter) {
        return counters[counter.ordinal()];
    }

    private Optional<Decision> drop(final Counter counter) {
        counters[counter.ordinal()]++;
        return Optional.empty();
    }
}
