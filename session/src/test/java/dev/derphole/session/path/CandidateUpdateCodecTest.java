package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.testing.Fuzz;

/** Candidate updates open only for the peer they were sealed for, once, in order; bytes from the relay never throw. */
@Timeout(30)
class CandidateUpdateCodecTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(0xCA11_3E);

    private static byte[] bytes(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private final byte[] key = bytes(32);
    private final byte[] session = bytes(16);
    private final NodeKey a = NodeKey.of(bytes(32));
    private final NodeKey b = NodeKey.of(bytes(32));

    private static List<String> full() {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < CandidatePolicy.MAX_CANDIDATES; i++) {
            out.add("203.0.113." + i + ":" + (40_000 + i));
        }
        return out;
    }

    @Test
    void shouldCarryTheWholeListAndTheAnswerFlagToThePeer() {
        final CandidateUpdateCodec sender = new CandidateUpdateCodec(key, session, a, b);
        final CandidateUpdateCodec receiver = new CandidateUpdateCodec(key, session, b, a);
        final byte[] first = sender.seal(List.of("203.0.113.1:41641", "192.168.1.2:41641"), true);
        assertThat(first[0] & 0xff).isEqualTo(CandidateUpdateCodec.KIND);
        final CandidateUpdateCodec.Update update = receiver.open(first, 0, first.length);
        assertThat(update).isNotNull();
        assertThat(update.candidates()).containsExactly("203.0.113.1:41641", "192.168.1.2:41641");
        assertThat(update.answerWanted()).isTrue();
        final byte[] empty = sender.seal(List.of(), false);
        final CandidateUpdateCodec.Update withdrawn = receiver.open(empty, 0, empty.length);
        assertThat(withdrawn.candidates()).isEmpty();
        assertThat(withdrawn.answerWanted()).isFalse();
        final byte[] largest = sender.seal(full(), false);
        assertThat(largest.length).isLessThanOrEqualTo(CandidateUpdateCodec.MAX_LENGTH);
        assertThat(receiver.open(largest, 0, largest.length).candidates()).isEqualTo(full());
    }

    @Test
    void shouldRefuseReplaysOlderUpdatesReflectionsAndOtherSessions() {
        final CandidateUpdateCodec sender = new CandidateUpdateCodec(key, session, a, b);
        final CandidateUpdateCodec receiver = new CandidateUpdateCodec(key, session, b, a);
        final byte[] older = sender.seal(List.of("203.0.113.1:1"), false);
        final byte[] newer = sender.seal(List.of("203.0.113.1:2"), false);
        assertThat(receiver.open(newer, 0, newer.length)).isNotNull();
        assertThat(receiver.open(newer, 0, newer.length)).as("replay").isNull();
        assertThat(receiver.open(older, 0, older.length)).as("older than the last taken").isNull();
        // Reflected back at its sender: the context names the sender first, so it does not open.
        final byte[] third = sender.seal(List.of("203.0.113.1:3"), false);
        assertThat(new CandidateUpdateCodec(key, session, a, b).open(third, 0, third.length)).isNull();
        assertThat(new CandidateUpdateCodec(key, bytes(16), b, a).open(third, 0, third.length)).isNull();
        assertThat(new CandidateUpdateCodec(bytes(32), session, b, a).open(third, 0, third.length)).isNull();
        assertThat(new CandidateUpdateCodec(key, session, b, NodeKey.of(bytes(32))).open(third, 0, third.length))
            .isNull();
        assertThat(receiver.open(third, 0, third.length)).isNotNull();
    }

    @Test
    void shouldRefuseOversizedListsWhenSealing() {
        final CandidateUpdateCodec sender = new CandidateUpdateCodec(key, session, a, b);
        final List<String> tooMany = new ArrayList<>(full());
        tooMany.add("203.0.113.99:1");
        assertThatThrownBy(() -> sender.seal(tooMany, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sender.seal(List.of(""), false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CandidateUpdateCodec(bytes(16), session, a, b))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldNeverThrowOnRandomTruncatedOrMutatedPackets() {
        final CandidateUpdateCodec sender = new CandidateUpdateCodec(key, session, a, b);
        final byte[] valid = sender.seal(List.of("203.0.113.7:41641", "10.0.0.2:41641"), true);
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 2_000, 2_500));
        inputs.addAll(Fuzz.truncations(valid));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid, 2_000));
        // Random bytes that start like an update reach the cipher.
        for (final byte[] input : Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 1, 500, 600)) {
            if (input.length > 2) {
                input[0] = (byte) CandidateUpdateCodec.KIND;
                input[1] = (byte) CandidateUpdateCodec.VERSION;
            }
            inputs.add(input);
        }
        final CandidateUpdateCodec receiver = new CandidateUpdateCodec(key, session, b, a);
        Fuzz.forAll(inputs, input -> {
            final CandidateUpdateCodec.Update update = receiver.open(input, 0, input.length);
            // Only the untouched packet could open, and it is not among the inputs.
            assertThat(update).isNull();
        });
        assertThat(receiver.open(valid, 0, valid.length)).isNotNull();
    }
}
