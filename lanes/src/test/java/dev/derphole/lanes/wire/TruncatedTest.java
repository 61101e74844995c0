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

/** Restoring truncated packet numbers (24 bits) and stream offsets (32 bits), as RFC 9000 Appendix A.3 does. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TruncatedTest {
    private static final List<Truncated> WIDTHS = List.of(Truncated.PACKET_NUMBER, Truncated.STREAM_OFFSET);

    @Test
    void shouldSendTheAdvertisedNumberOfBits() {
        assertThat(Truncated.PACKET_NUMBER.span()).isEqualTo(1L << 24);
        assertThat(Truncated.STREAM_OFFSET.span()).isEqualTo(1L << 32);
        assertThat(Truncated.PACKET_NUMBER.truncate(0x1234_5678_9ABCL)).isEqualTo(0x78_9ABC);
        assertThat(Truncated.STREAM_OFFSET.truncate(0x1234_5678_9ABCL)).isEqualTo(0x5678_9ABC);
        // Bits above the span in what arrives are not part of the number.
        assertThat(Truncated.PACKET_NUMBER.expand(0xFF00_0005, 0)).isEqualTo(5);
    }

    @Test
    void shouldRestoreValuesNearTheReferenceAcrossTheWrapBothWays() {
        for (final Truncated t : WIDTHS) {
            final long span = t.span();
            for (final long wrap : new long[] {span, 2 * span, 7 * span}) {
                for (long value = wrap - 5; value <= wrap + 5; value++) {
                    for (long reference = wrap - 5; reference <= wrap + 5; reference++) {
                        assertThat(restore(t, value, reference)).as("value %d reference %d", value, reference)
                            .isEqualTo(value);
                    }
                }
                // Reference just below the wrap, value just above it, and the other way round, far apart.
                assertThat(restore(t, wrap + 70_000, wrap - 70_000)).isEqualTo(wrap + 70_000);
                assertThat(restore(t, wrap - 70_000, wrap + 70_000)).isEqualTo(wrap - 70_000);
            }
        }
    }

    @Test
    void shouldRestoreAnythingWithinHalfTheSpanAndPickTheCloserCandidateBeyond() {
        for (final Truncated t : WIDTHS) {
            final long span = t.span();
            final long reference = 5 * span + 123_456;
            final long half = span / 2;
            assertThat(restore(t, reference + half, reference)).isEqualTo(reference + half);
            assertThat(restore(t, reference - half + 1, reference)).isEqualTo(reference - half + 1);
            // Exactly half a span below: both candidates are as far; the higher one wins (as in RFC 9000).
            assertThat(restore(t, reference - half, reference)).isEqualTo(reference + half);
            // Beyond half a span the value is taken for its nearer alias.
            assertThat(restore(t, reference + half + 1, reference)).isEqualTo(reference + half + 1 - span);
            assertThat(restore(t, reference - half - 1, reference)).isEqualTo(reference - half - 1 + span);
        }
    }

    @Test
    void shouldNeverRestoreANegativeValue() {
        for (final Truncated t : WIDTHS) {
            final long span = t.span();
            assertThat(t.expand(-1, 0)).isEqualTo(span - 1);
            assertThat(t.expand(-16, 6)).isEqualTo(span - 16);
            assertThat(t.expand(0, 0)).isZero();
            assertThat(t.expand((int)(span / 2), 0)).isEqualTo(span / 2);
            assertThat(restore(t, 0, span / 2 - 1)).isZero();
        }
    }

    @Test
    void shouldRestoreReorderedPacketNumbersUpToTheReplayWindow() {
        final Truncated t = Truncated.PACKET_NUMBER;
        final long span = t.span();
        final long window = PacketCodec.REPLAY_WINDOW_PACKETS;
        for (final long largest : new long[] {window, span - 1, span, span + window / 2, 3 * span - 2, 1L << 40}) {
            final long expected = largest + 1;
            for (final long back : new long[] {1, 2, 1000, window - 1, window}) {
                assertThat(restore(t, largest - back + 1, expected)).isEqualTo(largest - back + 1);
            }
            for (final long ahead : new long[] {1, 2, 1000, window, 1L << 22}) {
                assertThat(restore(t, largest + ahead, expected)).isEqualTo(largest + ahead);
            }
        }
    }

    @Test
    void shouldRoundTripRandomValuesWithinHalfASpanOfTheReference() {
        for (final Truncated t : WIDTHS) {
            final long span = t.span();
            final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
            final List<byte[]> cases = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                final byte[] c = new byte[16];
                final long reference = random.nextLong(1L << 50);
                final long value = Math.max(0, reference + random.nextLong(-(span / 2 - 1), span / 2));
                BigEndian.putLong(c, 0, value);
                BigEndian.putLong(c, 8, reference);
                cases.add(c);
            }
            // Small references and values near 0 too: never negative, still exact.
            for (int i = 0; i < 10_000; i++) {
                final byte[] c = new byte[16];
                BigEndian.putLong(c, 0, random.nextLong(span / 2));
                BigEndian.putLong(c, 8, random.nextLong(span / 2));
                cases.add(c);
            }
            Fuzz.forAll(cases, c -> {
                final long value = BigEndian.getLong(c, 0);
                final long reference = BigEndian.getLong(c, 8);
                assertThat(restore(t, value, reference)).isEqualTo(value);
            });
        }
    }

    @Test
    void shouldKeepTheWindowAndPacketAgeBoundsBelowWhatTheOffsetRestoreTolerates() {
        // A DATA packet can be at most this far below the receiver's cumulative offset: a window of credit plus
        // what its younger packets carried. Restored wrongly it would land at least 2^32 - that above, which must
        // be beyond the window, where the receiver drops it.
        final long maxPayload = WireFormat.MAX_DATAGRAM_LENGTH - WireFormat.DATA_OVERHEAD;
        final long maxBelow = StreamConfig.MAX_RECEIVE_WINDOW + (long)WireFormat.DATA_MAX_PACKET_AGE * maxPayload;
        assertThat(StreamConfig.MAX_RECEIVE_WINDOW).isLessThan(1 << 30);
        assertThat(Truncated.STREAM_OFFSET.span() - maxBelow).isGreaterThan(StreamConfig.MAX_RECEIVE_WINDOW);
        assertThat(WireFormat.DATA_MAX_PACKET_AGE).isLessThanOrEqualTo(PacketCodec.REPLAY_WINDOW_PACKETS);
        // Packet numbers: reordering within the replay window is far inside half a span.
        assertThat((long)PacketCodec.REPLAY_WINDOW_PACKETS).isLessThan(Truncated.PACKET_NUMBER.span() / 8);
    }

    private static long restore(final Truncated t, final long value, final long reference) {
        return t.expand(t.truncate(value), reference);
    }
}
