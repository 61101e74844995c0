package dev.derphole.lanes.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.testing.Fuzz;

/** Restoring 32-bit truncated packet numbers and stream offsets (RFC 9000 Appendix A.3). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TruncatedTest {
    private static final long WRAP = 1L << 32;

    @Test
    void shouldRestoreValuesNearTheReferenceAcrossTheWrapBothWays() {
        for (final long wrap : new long[] {WRAP, 2 * WRAP, 7 * WRAP}) {
            for (long value = wrap - 5; value <= wrap + 5; value++) {
                for (long reference = wrap - 5; reference <= wrap + 5; reference++) {
                    assertThat(restore(value, reference)).as("value %d reference %d", value, reference)
                        .isEqualTo(value);
                }
            }
            // Reference just below the wrap, value just above it, and the other way round, far apart.
            assertThat(restore(wrap + 70_000, wrap - 70_000)).isEqualTo(wrap + 70_000);
            assertThat(restore(wrap - 70_000, wrap + 70_000)).isEqualTo(wrap - 70_000);
        }
    }

    @Test
    void shouldRestoreAnythingWithinHalfTheSpanAndPickTheCloserCandidateBeyond() {
        final long reference = 5 * WRAP + 123_456;
        final long half = WRAP / 2;
        assertThat(restore(reference + half, reference)).isEqualTo(reference + half);
        assertThat(restore(reference - half + 1, reference)).isEqualTo(reference - half + 1);
        // Exactly half a span below: both candidates are as far; the higher one wins (as in RFC 9000).
        assertThat(restore(reference - half, reference)).isEqualTo(reference + half);
        // Beyond half a span the value is taken for its nearer alias.
        assertThat(restore(reference + half + 1, reference)).isEqualTo(reference + half + 1 - WRAP);
        assertThat(restore(reference - half - 1, reference)).isEqualTo(reference - half - 1 + WRAP);
    }

    @Test
    void shouldNeverRestoreANegativeValue() {
        assertThat(Truncated.expand(-1, 0)).isEqualTo(WRAP - 1);
        assertThat(Truncated.expand(-16, 6)).isEqualTo(WRAP - 16);
        assertThat(Truncated.expand(0, 0)).isZero();
        assertThat(Truncated.expand(Integer.MIN_VALUE, 0)).isEqualTo(WRAP / 2);
        assertThat(restore(0, WRAP / 2 - 1)).isZero();
    }

    @Test
    void shouldRestoreReorderedPacketNumbersUpToTheReplayWindow() {
        final long window = PacketCodec.REPLAY_WINDOW_PACKETS;
        for (final long largest : new long[] {window, WRAP - 1, WRAP, WRAP + window / 2, 3 * WRAP - 2}) {
            final long expected = largest + 1;
            for (final long back : new long[] {1, 2, 1000, window - 1, window}) {
                assertThat(restore(largest - back + 1, expected)).isEqualTo(largest - back + 1);
            }
            for (final long ahead : new long[] {1, 2, 1000, window, 1L << 30}) {
                assertThat(restore(largest + ahead, expected)).isEqualTo(largest + ahead);
            }
        }
    }

    @Test
    void shouldRoundTripRandomValuesWithinHalfASpanOfTheReference() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        final List<byte[]> cases = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            final byte[] c = new byte[16];
            final long reference = random.nextLong(1L << 50);
            final long value = Math.max(0, reference + random.nextLong(-(WRAP / 2 - 1), WRAP / 2));
            BigEndian.putLong(c, 0, value);
            BigEndian.putLong(c, 8, reference);
            cases.add(c);
        }
        // Small references and values near 0 too: never negative, still exact.
        for (int i = 0; i < 20_000; i++) {
            final byte[] c = new byte[16];
            BigEndian.putLong(c, 0, random.nextLong(WRAP / 2));
            BigEndian.putLong(c, 8, random.nextLong(WRAP / 2));
            cases.add(c);
        }
        Fuzz.forAll(cases, c -> {
            final long value = BigEndian.getLong(c, 0);
            final long reference = BigEndian.getLong(c, 8);
            assertThat(restore(value, reference)).isEqualTo(value);
        });
    }

    @Test
    void shouldKeepTheWindowAndPacketAgeBoundsBelowWhatTheOffsetRestoreTolerates() {
        // A DATA packet can be at most this far below the receiver's cumulative offset: a window of credit plus
        // what its younger packets carried. Restored wrongly it would land at least 2^32 - that above, which must
        // be beyond the window, where the receiver drops it.
        final long maxPayload = WireFormat.MAX_DATAGRAM_LENGTH - WireFormat.DATA_OVERHEAD;
        final long maxBelow = StreamConfig.MAX_RECEIVE_WINDOW + (long)WireFormat.DATA_MAX_PACKET_AGE * maxPayload;
        assertThat(StreamConfig.MAX_RECEIVE_WINDOW).isLessThan(1 << 30);
        assertThat(WRAP - maxBelow).isGreaterThan(StreamConfig.MAX_RECEIVE_WINDOW);
        assertThat(WireFormat.DATA_MAX_PACKET_AGE).isLessThanOrEqualTo(PacketCodec.REPLAY_WINDOW_PACKETS);
        // Packet numbers: reordering within the replay window is far inside half a span.
        assertThat((long)PacketCodec.REPLAY_WINDOW_PACKETS).isLessThan(WRAP / 2);
    }

    private static long restore(final long value, final long reference) {
        return Truncated.expand(Truncated.truncate(value), reference);
    }
}
