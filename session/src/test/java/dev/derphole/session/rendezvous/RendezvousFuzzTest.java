package dev.derphole.session.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.TestTokens;
import dev.derphole.testing.Fuzz;

/**
 * Garbage, truncated and mutated packets are only counted: the listener and claimer never throw, never
 * answer a packet that does not authenticate, and account for every packet in exactly one counter.
 */
@Timeout(120)
class RendezvousFuzzTest {
    @Test
    void shouldOnlyCountUnauthenticatedGarbageAtTheListener() {
        final Peers peers = new Peers(Fuzz.DEFAULT_SEED);
        final NodeKey key = peers.newKey();
        final byte[] valid = peers.claimer(key).claimPacket();
        final List<byte[]> inputs = new ArrayList<>();
        inputs.addAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 2000, 200));
        inputs.addAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 1, 20, 9000));
        inputs.add(new byte[RendezvousProtocol.MAX_PACKET_LENGTH + 1]);
        // Make many random inputs look like claims so that they reach the AEAD.
        relabelHalf(inputs, RendezvousProtocol.KIND_CLAIM);
        inputs.addAll(Fuzz.truncations(valid));
        inputs.addAll(changed(Fuzz.mutations(Fuzz.DEFAULT_SEED + 2, valid, 3000), valid));
        Fuzz.forAll(inputs, input -> {
            final RendezvousListener.Outcome outcome = peers.listener.onPacket(key, input, 0, input.length);
            assertThat(outcome.reply()).isEmpty();
            assertThat(outcome.accepted()).isEmpty();
        });
        assertThat(sum(peers.listener)).isEqualTo(inputs.size());
        assertThat(peers.listener.authFailures()).isGreaterThan(1000);
        assertThat(peers.listener.counter(RendezvousListener.Counter.TOO_SHORT)).isPositive();
        assertThat(peers.listener.counter(RendezvousListener.Counter.TOO_LONG)).isPositive();
        assertThat(peers.listener.claimed()).isEmpty();
        // Still works afterwards.
        assertThat(peers.deliver(key, valid).accepted()).isPresent();
    }

    @Test
    void shouldSurviveAuthenticatedButMangledClaimBodies() {
        final Peers peers = new Peers(Fuzz.DEFAULT_SEED + 3, CandidatePolicy.ALLOW_LOOPBACK);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final byte[] body = BodyCodec.encodeClaim(claimer.claim());
        final RendezvousCipher cipher = peers.sessionCipher();
        final List<byte[]> bodies = new ArrayList<>(Fuzz.mutations(Fuzz.DEFAULT_SEED + 4, body, 3000));
        bodies.addAll(Fuzz.truncations(body));
        bodies.addAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 5, 500, 300));
        Fuzz.forAll(bodies, b -> {
            final byte[] packet = cipher.seal(RendezvousProtocol.KIND_CLAIM, RendezvousProtocol.VERSION,
                Arrays.copyOf(b, Math.min(b.length, RendezvousProtocol.MAX_BODY_LENGTH)));
            final RendezvousListener.Outcome outcome = peers.listener.onPacket(key, packet, 0, packet.length);
            outcome.reply().ifPresent(reply -> assertThat(claimerView(peers, reply.packet())).isNotNull());
        });
        assertThat(sum(peers.listener)).isEqualTo(bodies.size());
        assertThat(peers.listener.counter(RendezvousListener.Counter.MALFORMED)).isPositive();
        assertThat(peers.listener.authFailures()).isZero();
    }

    @Test
    void shouldOnlyCountGarbageAtTheClaimer() {
        final Peers peers = new Peers(Fuzz.DEFAULT_SEED + 6);
        final NodeKey key = peers.newKey();
        final RendezvousClaimer claimer = peers.claimer(key);
        final byte[] valid = peers.deliver(key, claimer.claimPacket()).reply().orElseThrow().packet();
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 7, 2000, 200));
        relabelHalf(inputs, RendezvousProtocol.KIND_DECISION);
        inputs.addAll(Fuzz.truncations(valid));
        inputs.addAll(changed(Fuzz.mutations(Fuzz.DEFAULT_SEED + 8, valid, 3000), valid));
        Fuzz.forAll(inputs, input ->
            assertThat(claimer.onPacket(peers.token.derpPublicKey(), input, 0, input.length)).isEmpty());
        long total = 0;
        for (final RendezvousClaimer.Counter c : RendezvousClaimer.Counter.values()) {
            total += c == RendezvousClaimer.Counter.CLAIMS_SENT ? 0 : claimer.counter(c);
        }
        assertThat(total).isEqualTo(inputs.size());
        assertThat(claimer.counter(RendezvousClaimer.Counter.AUTH_FAILURE)).isGreaterThan(1000);

        // Authenticated mangled decision bodies: never an exception, and only this attempt's claim id passes.
        final RendezvousCipher cipher = peers.sessionCipher();
        final byte[] body = BodyCodec.encodeDecision(Decision.accept(claimer.claim().claimId(),
            Peers.LISTENER_CANDIDATES, Peers.STREAM_PARAMS));
        Fuzz.forAll(Fuzz.mutations(Fuzz.DEFAULT_SEED + 9, body, 3000), b -> {
            final byte[] packet = cipher.seal(RendezvousProtocol.KIND_DECISION, 1, b);
            final Optional<Decision> d = claimer.onPacket(peers.token.derpPublicKey(), packet, 0, packet.length);
            d.ifPresent(x -> assertThat(x.claimId()).isEqualTo(claimer.claim().claimId()));
        });
        assertThat(claimer.counter(RendezvousClaimer.Counter.MALFORMED)).isPositive();
    }

    @Test
    void shouldRoundTripRandomClaimAndDecisionBodies() throws MalformedBodyException {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 10);
        for (int i = 0; i < 300; i++) {
            final List<String> candidates = randomCandidates(random);
            final Extensions extensions = randomExtensions(random);
            final Claim claim = new Claim(TestTokens.bytes(random, 16), TestTokens.bytes(random, 16),
                NodeKey.of(TestTokens.bytes(random, 32)), TestTokens.identity(random), random.nextInt(256),
                random.nextLong(Long.MAX_VALUE), candidates, extensions);
            final Claim back = BodyCodec.decodeClaim(BodyCodec.encodeClaim(claim));
            assertThat(back.claimId()).isEqualTo(claim.claimId());
            assertThat(back.sessionId()).isEqualTo(claim.sessionId());
            assertThat(back.claimerDerpKey()).isEqualTo(claim.claimerDerpKey());
            assertThat(back.claimerIdentityKey()).isEqualTo(claim.claimerIdentityKey());
            assertThat(back.capabilityBits()).isEqualTo(claim.capabilityBits());
            assertThat(back.issuedAt()).isEqualTo(claim.issuedAt());
            assertThat(back.candidates()).isEqualTo(candidates);
            assertThat(back.extensions()).isEqualTo(extensions);

            final Decision accept = Decision.accept(claim.claimId(), candidates, extensions);
            final Decision acceptBack = BodyCodec.decodeDecision(BodyCodec.encodeDecision(accept));
            assertThat(acceptBack.accepted()).isTrue();
            assertThat(acceptBack.claimId()).isEqualTo(claim.claimId());
            assertThat(acceptBack.candidates()).isEqualTo(candidates);
            assertThat(acceptBack.extensions()).isEqualTo(extensions);

            final RejectCode code = RejectCode.values()[random.nextInt(RejectCode.values().length)];
            final Decision reject = Decision.reject(claim.claimId(), code, "reason " + i);
            final Decision rejectBack = BodyCodec.decodeDecision(BodyCodec.encodeDecision(reject));
            assertThat(rejectBack.rejectCode()).contains(code);
            assertThat(rejectBack.reason()).isEqualTo("reason " + i);
        }
    }

    private static Decision claimerView(final Peers peers, final byte[] packet) {
        final RendezvousCipher cipher = peers.sessionCipher();
        final byte[] body = cipher.open(packet, 0, packet.length);
        assertThat(body).isNotNull();
        try {
            return BodyCodec.decodeDecision(body);
        } catch (final MalformedBodyException e) {
            throw new AssertionError("listener sent an unparseable decision", e);
        }
    }

    /** Sets the kind byte of the even-length inputs, so that they get past the kind check. */
    private static void relabelHalf(final List<byte[]> inputs, final int kind) {
        for (final byte[] input : inputs) {
            if (input.length > 0 && (input.length & 1) == 0) {
                input[0] = (byte)kind;
            }
        }
    }

    /** Mutants that differ from the original (a mutation can write the value a byte already had). */
    private static List<byte[]> changed(final List<byte[]> mutants, final byte[] original) {
        final List<byte[]> out = new ArrayList<>(mutants.size());
        for (final byte[] m : mutants) {
            if (!Arrays.equals(m, original)) {
                out.add(m);
            }
        }
        assertThat(out.size()).isGreaterThan(mutants.size() * 9 / 10);
        return out;
    }

    private static long sum(final RendezvousListener listener) {
        long total = 0;
        for (final RendezvousListener.Counter c : RendezvousListener.Counter.values()) {
            total += listener.counter(c);
        }
        return total;
    }

    private static List<String> randomCandidates(final SplittableRandom random) {
        final int n = random.nextInt(CandidatePolicy.MAX_CANDIDATES + 1);
        final List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(random.nextBoolean() ? "192.0.2." + i + ":" + (1 + random.nextInt(65535))
                : "[2001:db8::" + Integer.toHexString(i + 1) + "]:" + (1 + random.nextInt(65535)));
        }
        return out;
    }

    private static Extensions randomExtensions(final SplittableRandom random) {
        final Map<Integer, byte[]> map = new HashMap<>();
        final int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            map.put(1 + random.nextInt(0xffff), TestTokens.bytes(random, random.nextInt(1, 40)));
        }
        return Extensions.of(map);
    }
}
