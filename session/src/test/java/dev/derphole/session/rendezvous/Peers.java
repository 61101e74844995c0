package dev.derphole.session.rendezvous;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.MutableClock;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.token.TestTokens;

/** A listener with its token, and helpers to make claimers for it. Test fixture. */
final class Peers {
    static final List<String> LISTENER_CANDIDATES = List.of("198.51.100.7:41641", "[2001:db8::7]:41641");
    static final List<String> CLAIMER_CANDIDATES = List.of("192.0.2.10:50000", "[2001:db8::10]:50000");
    static final Extensions STREAM_PARAMS = Extensions.of(Map.of(0x0001, new byte[] {8, 0, 0, 1}));

    final SplittableRandom random;
    final MutableClock clock = new MutableClock(TestTokens.NOW);
    final SessionToken token;
    final RendezvousListener listener;

    Peers(final long seed) {
        this(seed, CandidatePolicy.STRICT);
    }

    Peers(final long seed, final CandidatePolicy policy) {
        this.random = new SplittableRandom(seed);
        this.token = TestTokens.stdio(random);
        this.listener = new RendezvousListener(token, token.derpPublicKey(), clock, policy);
        listener.offer(LISTENER_CANDIDATES, STREAM_PARAMS);
    }

    NodeKey newKey() {
        return NodeKey.of(TestTokens.bytes(random, 32));
    }

    RendezvousClaimer claimer(final NodeKey derpKey) {
        return claimer(derpKey, token, token.capabilityBits(), CLAIMER_CANDIDATES);
    }

    RendezvousClaimer claimer(
        final NodeKey derpKey, final SessionToken claimToken, final int capabilityBits, final List<String> candidates) {
        return new RendezvousClaimer(claimToken, derpKey, TestTokens.identity(random), capabilityBits, candidates,
            Extensions.NONE, clock, CandidatePolicy.STRICT, new SecureRandom());
    }

    /** The token with the same listener and session id but another bearer secret (an attacker's guess). */
    SessionToken forgedSecret() {
        return new SessionToken(token.capabilities(), token.sessionId(), token.expiresUnixSeconds(), token.relay(),
            token.derpPublicKey(), token.identityPublicKey(), TestTokens.bytes(random, 32));
    }

    RendezvousListener.Outcome deliver(final NodeKey source, final byte[] packet) {
        return listener.onPacket(source, packet, 0, packet.length);
    }

    /** Packets sealed with the real session key, for crafting authenticated oddities. */
    RendezvousCipher sessionCipher() {
        return new RendezvousCipher(token.keys().aesKey(dev.derphole.crypto.KeyPurpose.RENDEZVOUS), new SecureRandom());
    }
}
