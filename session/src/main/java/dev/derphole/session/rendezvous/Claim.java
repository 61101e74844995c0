package dev.derphole.session.rendezvous;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import dev.derphole.derp.proto.NodeKey;

/**
 * A claimer's request to join a session, as the listener accepted it. Immutable; arrays are copied.
 *
 * @see BodyCodec#encodeClaim for the layout
 */
public final class Claim {
    private final byte[] claimId;
    private final byte[] sessionId;
    private final NodeKey claimerDerpKey;
    private final byte[] claimerIdentityKey;
    private final int capabilityBits;
    private final long issuedAtMillis;
    private final List<String> candidates;
    private final Extensions extensions;

    public Claim(
        final byte[] claimId,
        final byte[] sessionId,
        final NodeKey claimerDerpKey,
        final byte[] claimerIdentityKey,
        final int capabilityBits,
        final long issuedAtMillis,
        final List<String> candidates,
        final Extensions extensions) {
        if (claimId.length != RendezvousProtocol.CLAIM_ID_LENGTH || sessionId.length != 16
            || claimerIdentityKey.length != 32) {
            throw new IllegalArgumentException("claim id, session id or identity key has the wrong length");
        }
        this.claimId = claimId.clone();
        this.sessionId = sessionId.clone();
        this.claimerDerpKey = claimerDerpKey;
        this.claimerIdentityKey = claimerIdentityKey.clone();
        this.capabilityBits = capabilityBits;
        this.issuedAtMillis = issuedAtMillis;
        this.candidates = List.copyOf(candidates);
        this.extensions = extensions;
    }

    /** Random 16 bytes, the same for every retry of one claim attempt. */
    public byte[] claimId() {
        return claimId.clone();
    }

    public byte[] sessionId() {
        return sessionId.clone();
    }

    /** The claimer's DERP key; the listener only accepts a claim that arrived from this key. */
    public NodeKey claimerDerpKey() {
        return claimerDerpKey;
    }

    /** The claimer's raw Ed25519 identity key, to pin in the QUIC handshake. */
    public byte[] claimerIdentityKey() {
        return claimerIdentityKey.clone();
    }

    /** The capability bits asked for; must equal the token's. */
    public int capabilityBits() {
        return capabilityBits;
    }

    /** When the claimer built the claim, by its clock (informational; clocks differ between machines). */
    public Instant issuedAt() {
        return Instant.ofEpochMilli(issuedAtMillis);
    }

    long issuedAtMillis() {
        return issuedAtMillis;
    }

    /** The claimer's direct-path candidates, canonical {@code ip:port} strings. */
    public List<String> candidates() {
        return candidates;
    }

    public Extensions extensions() {
        return extensions;
    }

    /** True when {@code other} is a retry of this claim attempt: same claim id from the same DERP key. */
    boolean isRetryOf(final Claim other) {
        return Arrays.equals(claimId, other.claimId) && claimerDerpKey.equals(other.claimerDerpKey);
    }

    @Override
    public String toString() {
        return "Claim[id=" + HexFormat.of().formatHex(claimId) + " from=" + claimerDerpKey.shortString()
            + " candidates=" + candidates.size() + " " + extensions + "]";
    }
}
