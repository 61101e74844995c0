package dev.derphole.session.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.rendezvous.RendezvousListener.Counter;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.TestTokens;

@Timeout(30)
class RendezvousTest {
    @Test
    void shouldAcceptAValidClaimAndHandTheClaimerTheListenersCandidates() {
        final Peers peers = new Peers(1);
        final NodeKey claimerKey = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(claimerKey);

        final RendezvousListener.Outcome outcome = peers.deliver(claimerKey, claimer.claimPacket());

        final Claim claim = outcome.accepted().orElseThrow();
        assertThat(claim.claimerDerpKey()).isEqualTo(claimerKey);
        assertThat(claim.claimId()).isEqualTo(claimer.claim().claimId());
        assertThat(claim.claimerIdentityKey()).isEqualTo(claimer.claim().claimerIdentityKey());
        assertThat(claim.candidates()).isEqualTo(Peers.CLAIMER_CANDIDATES);
        assertThat(claim.capabilityBits()).isEqualTo(Capability.STDIO.bit());
        assertThat(claim.issuedAt()).isEqualTo(TestTokens.NOW);
        assertThat(peers.listener.claimed()).contains(claim);

        final RendezvousListener.Reply reply = outcome.reply().orElseThrow();
        assertThat(reply.destination()).isEqualTo(claimerKey);
        assertThat(reply.packet()[0]).isEqualTo((byte)RendezvousProtocol.KIND_DECISION);
        final Decision decision = claimer.onPacket(peers.token.derpPublicKey(), reply.packet(), 0,
            reply.packet().length).orElseThrow();
        assertThat(decision.accepted()).isTrue();
        assertThat(decision.rejectCode()).isEmpty();
        assertThat(decision.candidates()).isEqualTo(Peers.LISTENER_CANDIDATES);
        assertThat(decision.extensions()).isEqualTo(Peers.STREAM_PARAMS);
        assertThat(decision.extensions().get(1)).hasValueSatisfying(v -> assertThat(v).containsExactly(8, 0, 0, 1));
        assertThat(peers.listener.counter(Counter.ACCEPTED)).isEqualTo(1);
    }

    @Test
    void shouldAnswerARetryOfTheAcceptedClaimWithTheSameAcceptance() {
        final Peers peers = new Peers(2);
        final NodeKey claimerKey = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(claimerKey);
        final byte[] first = peers.deliver(claimerKey, claimer.claimPacket()).reply().orElseThrow().packet();

        final byte[] retry = claimer.claimPacket();
        final RendezvousListener.Outcome again = peers.deliver(claimerKey, retry);

        assertThat(again.accepted()).isEmpty();
        assertThat(again.reply().orElseThrow().packet()).isEqualTo(first);
        assertThat(again.reply().orElseThrow().destination()).isEqualTo(claimerKey);
        assertThat(peers.listener.counter(Counter.RETRY_ANSWERED)).isEqualTo(1);
        assertThat(peers.listener.counter(Counter.ACCEPTED)).isEqualTo(1);
        assertThat(claimer.onPacket(peers.token.derpPublicKey(), first, 0, first.length)).hasValueSatisfying(
            d -> assertThat(d.accepted()).isTrue());
    }

    @Test
    void shouldRejectASecondClaimerWithClaimedButGiveAForgerNothing() {
        final Peers peers = new Peers(3);
        final NodeKey firstKey = peers.newKey();
        peers.deliver(firstKey, peers.claimer(firstKey).claimPacket());

        final NodeKey secondKey = peers.newKey();
        final RendezvousClaimer second = peers.claimer(secondKey);
        final RendezvousListener.Outcome outcome = peers.deliver(secondKey, second.claimPacket());
        assertThat(outcome.accepted()).isEmpty();
        final RendezvousListener.Reply reply = outcome.reply().orElseThrow();
        assertThat(reply.destination()).isEqualTo(secondKey);
        final Decision decision = second.onPacket(peers.token.derpPublicKey(), reply.packet(), 0,
            reply.packet().length).orElseThrow();
        assertThat(decision.accepted()).isFalse();
        assertThat(decision.rejectCode()).contains(RejectCode.CLAIMED);
        assertThat(decision.reason()).isEqualTo("session already claimed");
        assertThat(decision.candidates()).isEmpty();
        assertThat(peers.listener.counter(Counter.CLAIMED_REJECTED)).isEqualTo(1);

        // Same claimer key with a fresh claim id is a different claim, not a retry.
        final RendezvousClaimer firstAgain = peers.claimer(firstKey);
        assertThat(peers.deliver(firstKey, firstAgain.claimPacket()).reply()).isPresent();
        assertThat(peers.listener.counter(Counter.CLAIMED_REJECTED)).isEqualTo(2);

        // Without the bearer secret: no reply at all, before or after the session is taken (no occupancy oracle).
        final NodeKey forgerKey = peers.newKey();
        final RendezvousClaimer forger = peers.claimer(forgerKey, peers.forgedSecret(), Capability.STDIO.bit(),
            List.of());
        assertThat(peers.deliver(forgerKey, forger.claimPacket()).reply()).isEmpty();
        assertThat(peers.listener.authFailures()).isEqualTo(1);
        final Peers fresh = new Peers(3);
        assertThat(fresh.listener.claimed()).isEmpty();
        final RendezvousClaimer freshForger = fresh.claimer(forgerKey, fresh.forgedSecret(), Capability.STDIO.bit(),
            List.of());
        final RendezvousListener.Outcome unclaimedOutcome = fresh.deliver(forgerKey, freshForger.claimPacket());
        assertThat(unclaimedOutcome.reply()).isEmpty();
        assertThat(unclaimedOutcome.accepted()).isEmpty();
        assertThat(fresh.listener.authFailures()).isEqualTo(1);
    }

    @Test
    void shouldIgnoreAClaimWhoseDerpSourceIsNotTheClaimedKey() {
        final Peers peers = new Peers(4);
        final NodeKey victim = peers.newKey();
        final NodeKey attacker = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(victim);
        final RendezvousListener.Outcome outcome = peers.deliver(attacker, claimer.claimPacket());
        assertThat(outcome.reply()).isEmpty();
        assertThat(outcome.accepted()).isEmpty();
        assertThat(peers.listener.counter(Counter.SOURCE_MISMATCH)).isEqualTo(1);
        assertThat(peers.listener.claimed()).isEmpty();
        // The genuine claimer still gets the session.
        assertThat(peers.deliver(victim, claimer.claimPacket()).accepted()).isPresent();
    }

    @Test
    void shouldRejectClaimsOnceTheTokenHasExpired() {
        final Peers peers = new Peers(5);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        peers.clock.set(peers.token.expiresAt());
        final Decision decision = answer(peers, key, claimer, claimer.claimPacket());
        assertThat(decision.rejectCode()).contains(RejectCode.EXPIRED);
        assertThat(decision.reason()).isEqualTo("token expired at 2026-04-18T13:00:00Z");
        assertThat(peers.listener.claimed()).isEmpty();
        assertThat(peers.listener.counter(Counter.EXPIRED)).isEqualTo(1);

        peers.clock.set(peers.token.expiresAt().minus(Duration.ofSeconds(1)));
        assertThat(peers.deliver(key, claimer.claimPacket()).accepted()).isPresent();
    }

    @Test
    void shouldRejectAClaimForOtherCapabilities() {
        final Peers peers = new Peers(6);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key, peers.token, Capability.SHARE.bit(), List.of());
        final Decision decision = answer(peers, key, claimer, claimer.claimPacket());
        assertThat(decision.rejectCode()).contains(RejectCode.CAPABILITY);
        assertThat(decision.reason()).isEqualTo("this session is for `listen`");
        assertThat(peers.listener.counter(Counter.CAPABILITY_MISMATCH)).isEqualTo(1);
        assertThat(peers.listener.claimed()).isEmpty();
    }

    @Test
    void shouldRejectCandidatesThePolicyRefuses() {
        final Peers peers = new Peers(7);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer loopback = new RendezvousClaimer(peers.token, key, TestTokens.identity(peers.random),
            peers.token.capabilityBits(), List.of("192.0.2.1:9", "127.0.0.1:9"), Extensions.NONE, peers.clock,
            CandidatePolicy.ALLOW_LOOPBACK, new java.security.SecureRandom());
        final Decision decision = answer(peers, key, loopback, loopback.claimPacket());
        assertThat(decision.rejectCode()).contains(RejectCode.MALFORMED);
        assertThat(decision.reason()).isEqualTo("malformed claim: candidate 2: loopback address");
        assertThat(peers.listener.counter(Counter.CANDIDATE_REJECTED)).isEqualTo(1);

        final Peers lenient = new Peers(7, CandidatePolicy.ALLOW_LOOPBACK);
        final RendezvousClaimer again = new RendezvousClaimer(lenient.token, key, TestTokens.identity(lenient.random),
            lenient.token.capabilityBits(), List.of("192.0.2.1:9", "127.0.0.1:9"), Extensions.NONE, lenient.clock,
            CandidatePolicy.ALLOW_LOOPBACK, new java.security.SecureRandom());
        assertThat(lenient.deliver(key, again.claimPacket()).accepted().orElseThrow().candidates())
            .containsExactly("192.0.2.1:9", "127.0.0.1:9");
    }

    @Test
    void shouldRejectAuthenticatedClaimsForAnotherSessionOrVersionOrWithABrokenBody() {
        final Peers peers = new Peers(8);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final RendezvousCipher cipher = peers.sessionCipher();

        final Claim c = claimer.claim();
        final byte[] otherSession = c.sessionId();
        otherSession[0] ^= 1;
        final Claim wrongSession = new Claim(c.claimId(), otherSession, key, c.claimerIdentityKey(),
            c.capabilityBits(), 0, List.of(), Extensions.NONE);
        Decision d = answer(peers, key, claimer,
            cipher.seal(RendezvousProtocol.KIND_CLAIM, 1, BodyCodec.encodeClaim(wrongSession)));
        assertThat(d.rejectCode()).contains(RejectCode.SESSION);
        assertThat(peers.listener.counter(Counter.SESSION_MISMATCH)).isEqualTo(1);

        d = answer(peers, key, claimer, cipher.seal(RendezvousProtocol.KIND_CLAIM, 2, BodyCodec.encodeClaim(c)));
        assertThat(d.rejectCode()).contains(RejectCode.VERSION);
        assertThat(d.reason()).isEqualTo("unsupported rendezvous version 2");
        assertThat(peers.listener.counter(Counter.VERSION_MISMATCH)).isEqualTo(1);

        final byte[] truncated = Arrays.copyOf(BodyCodec.encodeClaim(c), 50);
        d = answer(peers, key, claimer, cipher.seal(RendezvousProtocol.KIND_CLAIM, 1, truncated));
        assertThat(d.rejectCode()).contains(RejectCode.MALFORMED);
        assertThat(d.reason()).isEqualTo("malformed claim: claim too short");

        // Too short to even carry a claim id: nothing to echo, so no answer.
        assertThat(peers.deliver(key, cipher.seal(RendezvousProtocol.KIND_CLAIM, 1, new byte[5])).reply()).isEmpty();
        assertThat(peers.listener.counter(Counter.MALFORMED)).isEqualTo(2);
        assertThat(peers.listener.claimed()).isEmpty();
    }

    @Test
    void shouldIgnoreDecisionsFromAnyoneButTheListener() {
        final Peers peers = new Peers(9);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final byte[] reply = peers.deliver(key, claimer.claimPacket()).reply().orElseThrow().packet();
        final NodeKey impostor = peers.newKey();
        assertThat(claimer.onPacket(impostor, reply, 0, reply.length)).isEmpty();
        assertThat(claimer.counter(RendezvousClaimer.Counter.FOREIGN_SOURCE)).isEqualTo(1);
        assertThat(claimer.onPacket(peers.token.derpPublicKey(), reply, 0, reply.length)).isPresent();
    }

    @Test
    void shouldIgnoreAReplayedDecisionForAnotherClaimId() {
        final Peers peers = new Peers(10);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer earlier = peers.claimer(key);
        final byte[] oldDecision = peers.deliver(key, earlier.claimPacket()).reply().orElseThrow().packet();

        final RendezvousClaimer later = peers.claimer(key);
        assertThat(later.onPacket(peers.token.derpPublicKey(), oldDecision, 0, oldDecision.length)).isEmpty();
        assertThat(later.counter(RendezvousClaimer.Counter.STALE_CLAIM_ID)).isEqualTo(1);
        assertThat(later.counter(RendezvousClaimer.Counter.DECISIONS)).isZero();
    }

    @Test
    void shouldNotLetAClaimPassAsADecisionOrTheOtherWayRound() {
        final Peers peers = new Peers(11);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final byte[] claim = claimer.claimPacket();
        final byte[] decision = peers.deliver(key, claim).reply().orElseThrow().packet();

        // Reflected as-is: wrong kind.
        assertThat(claimer.onPacket(peers.token.derpPublicKey(), claim, 0, claim.length)).isEmpty();
        assertThat(claimer.counter(RendezvousClaimer.Counter.WRONG_KIND)).isEqualTo(1);
        assertThat(peers.deliver(key, decision).reply()).isEmpty();
        assertThat(peers.listener.counter(Counter.WRONG_KIND)).isEqualTo(1);

        // Kind byte rewritten: the kind is authenticated data, so the packet no longer opens.
        final byte[] relabelled = claim.clone();
        relabelled[0] = RendezvousProtocol.KIND_DECISION;
        assertThat(claimer.onPacket(peers.token.derpPublicKey(), relabelled, 0, relabelled.length)).isEmpty();
        assertThat(claimer.counter(RendezvousClaimer.Counter.AUTH_FAILURE)).isEqualTo(1);
        final byte[] reversioned = claim.clone();
        reversioned[1] = 2;
        assertThat(peers.deliver(key, reversioned).reply()).isEmpty();
        assertThat(peers.listener.authFailures()).isEqualTo(1);
    }

    @Test
    void shouldShowTheRelayNothingButKindVersionNonceAndCiphertext() {
        final Peers peers = new Peers(12);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final byte[] claim = claimer.claimPacket();
        final byte[] decision = peers.deliver(key, claim).reply().orElseThrow().packet();
        final byte[] reject = peers.deliver(peers.newKey(), peers.claimer(peers.newKey()).claimPacket()).reply()
            .map(RendezvousListener.Reply::packet).orElse(new byte[0]);

        final Claim c = claimer.claim();
        for (final byte[] packet : List.of(claim, decision, reject.length == 0 ? decision : reject)) {
            assertNotInside(packet, peers.token.sessionId(), "session id");
            assertNotInside(packet, Arrays.copyOf(peers.token.sessionId(), 6), "session id prefix");
            assertNotInside(packet, c.claimId(), "claim id");
            assertNotInside(packet, c.claimerIdentityKey(), "claimer identity");
            assertNotInside(packet, key.toBytes(), "claimer DERP key");
            assertNotInside(packet, peers.token.bearerSecret(), "bearer secret");
            for (final String candidate : Peers.CLAIMER_CANDIDATES) {
                assertNotInside(packet, candidate.getBytes(StandardCharsets.US_ASCII), candidate);
            }
            for (final String candidate : Peers.LISTENER_CANDIDATES) {
                assertNotInside(packet, candidate.getBytes(StandardCharsets.US_ASCII), candidate);
            }
            assertNotInside(packet, "already".getBytes(StandardCharsets.US_ASCII), "reject reason");
            assertThat(RendezvousProtocol.isRendezvousPacket(packet[0])).isTrue();
        }
        // Two sends of the same claim differ entirely after the header (fresh nonce), so retries do not stand out.
        final byte[] again = claimer.claimPacket();
        assertThat(Arrays.copyOfRange(again, 2, again.length)).isNotEqualTo(Arrays.copyOfRange(claim, 2, claim.length));
    }

    @Test
    void shouldRefuseToOfferBadCandidatesOrChangeTermsAfterAcceptance() {
        final Peers peers = new Peers(13);
        org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> peers.listener.offer(List.of("127.0.0.1:1"), Extensions.NONE))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("own candidate 1: loopback address");
        final NodeKey key = peers.newKey();
        peers.deliver(key, peers.claimer(key).claimPacket());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> peers.listener.offer(List.of(), Extensions.NONE))
            .isInstanceOf(IllegalStateException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RendezvousListener(peers.token, key, peers.clock,
            CandidatePolicy.STRICT)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReadPacketsAtAnOffsetInsideALargerBuffer() {
        final Peers peers = new Peers(14);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final byte[] claim = claimer.claimPacket();
        final byte[] framed = new byte[claim.length + 40];
        Arrays.fill(framed, (byte)0x55);
        System.arraycopy(claim, 0, framed, 32, claim.length);
        final byte[] reply = peers.listener.onPacket(key, framed, 32, claim.length).reply().orElseThrow().packet();
        final byte[] framedReply = new byte[reply.length + 9];
        System.arraycopy(reply, 0, framedReply, 5, reply.length);
        assertThat(claimer.onPacket(peers.token.derpPublicKey(), framedReply, 5, reply.length))
            .hasValueSatisfying(d -> assertThat(d.accepted()).isTrue());
    }

    @Test
    void shouldClassifyFirstBytes() {
        assertThat(RendezvousProtocol.isRendezvousPacket((byte)0x00)).isFalse();
        assertThat(RendezvousProtocol.isRendezvousPacket((byte)0x01)).isTrue();
        assertThat(RendezvousProtocol.isRendezvousPacket((byte)0x0f)).isTrue();
        assertThat(RendezvousProtocol.isRendezvousPacket((byte)0x10)).isFalse();
        assertThat(RendezvousProtocol.isRendezvousPacket((byte)0x80)).isFalse();
    }

    private static Decision answer(final Peers peers, final NodeKey source, final RendezvousClaimer claimer,
        final byte[] packet) {
        final RendezvousListener.Outcome outcome = peers.deliver(source, packet);
        assertThat(outcome.accepted()).isEmpty();
        final byte[] reply = outcome.reply().orElseThrow().packet();
        final Optional<Decision> decision = claimer.onPacket(peers.token.derpPublicKey(), reply, 0, reply.length);
        return decision.orElseThrow();
    }

    private static void assertNotInside(final byte[] haystack, final byte[] needle, final String what) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                throw new AssertionError(what + " visible at offset " + i + " of a relayed packet");
            }
        }
    }
}
