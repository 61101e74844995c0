package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.testing.Fuzz;

@Timeout(30)
class ProbeCodecTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(0x9B0BEL);
    private static final byte[] KEY = bytes(32);
    private static final byte[] SESSION = bytes(16);
    private static final NodeKey LISTENER = NodeKey.of(bytes(32));
    private static final NodeKey CLAIMER = NodeKey.of(bytes(32));

    private static byte[] bytes(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    @Test
    void shouldVerifyAProbeAndItsAckInTheOtherDirection() {
        final ProbeCodec listener = new ProbeCodec(KEY, SESSION, LISTENER, CLAIMER);
        final ProbeCodec claimer = new ProbeCodec(KEY, SESSION, CLAIMER, LISTENER);
        final byte[] probe = claimer.probe();
        assertThat(probe).hasSize(ProbeCodec.LENGTH);
        assertThat(probe[0] & 0xff).isEqualTo(ProbeCodec.PROBE);
        final ProbeCodec.Verified p = listener.verify(probe, 0, probe.length);
        assertThat(p).isEqualTo(new ProbeCodec.Verified(ProbeCodec.PROBE, 1, 0, ProbeCodec.LENGTH));
        final byte[] ack = listener.ack(p.sequence(), p.size());
        assertThat(claimer.verify(ack, 0, ack.length))
            .isEqualTo(new ProbeCodec.Verified(ProbeCodec.ACK, 1, 1, ProbeCodec.LENGTH));
    }

    @Test
    void shouldCarryAnAuthenticatedSizeInPaddedProbesAndTheirAcks() {
        final ProbeCodec listener = new ProbeCodec(KEY, SESSION, LISTENER, CLAIMER);
        final ProbeCodec claimer = new ProbeCodec(KEY, SESSION, CLAIMER, LISTENER);
        final byte[] probe = claimer.probe(8952);
        assertThat(probe).hasSize(8952);
        final ProbeCodec.Verified p = listener.verify(probe, 0, probe.length);
        assertThat(p).isNotNull();
        assertThat(p.size()).isEqualTo(8952);
        final byte[] ack = listener.ack(p.sequence(), p.size());
        assertThat(ack).hasSize(ProbeCodec.LENGTH);
        assertThat(claimer.verify(ack, 0, ack.length).size()).isEqualTo(8952);

        final byte[] another = claimer.probe(4000);
        assertThat(listener.verify(another, 0, 3999)).as("cut short: the length no longer matches").isNull();
        final byte[] longer = java.util.Arrays.copyOf(another, 4001);
        assertThat(listener.verify(longer, 0, longer.length)).as("padded further").isNull();
        another[19] ^= 1;
        assertThat(listener.verify(another, 0, another.length)).as("size field changed").isNull();
        final byte[] paddedAck = java.util.Arrays.copyOf(listener.ack(7, 4000), 100);
        assertThat(claimer.verify(paddedAck, 0, paddedAck.length)).as("ACKs are never padded").isNull();
    }

    @Test
    void shouldRefuseReplaysReflectionsAndOtherSessions() {
        final ProbeCodec listener = new ProbeCodec(KEY, SESSION, LISTENER, CLAIMER);
        final ProbeCodec claimer = new ProbeCodec(KEY, SESSION, CLAIMER, LISTENER);
        final byte[] first = claimer.probe();
        final byte[] second = claimer.probe();
        assertThat(listener.verify(second, 0, second.length)).isNotNull();
        assertThat(listener.verify(second, 0, second.length)).as("replay").isNull();
        // The peer sends PROBEs and ACKs from two threads, so an older number may arrive late: taken once.
        assertThat(listener.verify(first, 0, first.length)).as("older, unseen").isNotNull();
        assertThat(listener.verify(first, 0, first.length)).as("replay of the older one").isNull();
        final byte[] ancient = claimer.probe();
        byte[] latest = ancient;
        for (int i = 0; i < 1100; i++) {
            latest = claimer.probe();
        }
        assertThat(listener.verify(latest, 0, latest.length)).isNotNull();
        assertThat(listener.verify(ancient, 0, ancient.length)).as("older than the replay window").isNull();
        final byte[] own = listener.probe();
        assertThat(listener.verify(own, 0, own.length)).as("reflected").isNull();
        final ProbeCodec otherSession = new ProbeCodec(KEY, bytes(16), LISTENER, CLAIMER);
        final byte[] third = claimer.probe();
        assertThat(otherSession.verify(third, 0, third.length)).as("other session").isNull();
        final ProbeCodec otherKey = new ProbeCodec(bytes(32), SESSION, LISTENER, CLAIMER);
        assertThat(otherKey.verify(third, 0, third.length)).as("other key").isNull();
        assertThat(listener.verify(third, 0, third.length)).as("the genuine receiver still takes it").isNotNull();
    }

    @Test
    void shouldRefuseEveryMutationAndTruncation() {
        final ProbeCodec claimer = new ProbeCodec(KEY, SESSION, CLAIMER, LISTENER);
        final byte[] valid = claimer.probe();
        final ProbeCodec listener = new ProbeCodec(KEY, SESSION, LISTENER, CLAIMER);
        Fuzz.forAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid, 2_000), m -> {
            if (!java.util.Arrays.equals(m, valid)) {
                assertThat(listener.verify(m, 0, m.length)).isNull();
            }
        });
        Fuzz.forAll(Fuzz.truncations(valid), t -> assertThat(listener.verify(t, 0, t.length)).isNull());
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 2_000, 64),
            r -> assertThat(listener.verify(r, 0, r.length)).isNull());
        assertThat(listener.verify(valid, 0, valid.length)).as("the original still verifies").isNotNull();
    }
}
