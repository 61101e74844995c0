package dev.derphole.lanes.receive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamKeys;
import dev.derphole.lanes.StreamListener;
import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;

/**
 * The receive path with stream offsets straddling 2^32 and packet numbers straddling 2^24, where only their low 32
 * and 24 bits are on the wire: the test seals DATA packets as a sender would and feeds them to a
 * {@link ReceiveEngine} that continues a stream just below 4 GiB ({@link ReceiveEngine#startAt}). Also where the final
 * length comes from: a DATA_FIN packet, whose type alone carries FIN.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReceiveEngineOffsetWrapTest {
    private static final long WRAP = 1L << 32;
    private static final int WINDOW = 1 << 20;
    private static final int CHUNK = 1_000;
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .receiveWindowBytes(WINDOW)
        .linger(Duration.ofMillis(50))
        .peerTimeout(Duration.ofSeconds(20))
        .build();

    private final StreamKeys keys = StreamPair.keys(77);
    private final PacketCodec peer = new PacketCodec(keys.senderToReceiverKey(), keys.senderToReceiverPrefix(),
        keys.receiverToSenderKey(), keys.receiverToSenderPrefix(), new StreamCounters());
    private final StreamCounters counters = new StreamCounters();
    private final byte[] packet = new byte[WireFormat.MAX_DATAGRAM_LENGTH];

    @Test
    void shouldDeliverInOrderWhenOffsetsAndPacketNumbersStraddleTheWrap() throws Exception {
        final long start = WRAP - 20_500; // chunk boundaries are not the wrap: one payload straddles it
        final byte[] stream = bytes(1, 64 * CHUNK + 123);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final ReceiveEngine engine = new ReceiveEngine(CONFIG, keys, pair.b(), counters, StreamListener.NONE);
            engine.startAt(start);
            final ByteArrayOutputStream sink = new ByteArrayOutputStream();
            final CompletableFuture<Long> done = receive(engine, sink);

            peer.advanceTo((1L << 24) - 30); // packet numbers cross their wrap too
            final List<byte[]> datagrams = new ArrayList<>();
            for (int at = 0; at < stream.length; at += CHUNK) {
                final int length = Math.min(CHUNK, stream.length - at);
                datagrams.add(data(start + at, stream, at, length, at + length == stream.length));
            }
            // The first packet tells the receiver where packet numbers are; the rest arrive in any order, and the
            // chunk across the wrap once more (a retransmission: same bytes, new packet number).
            pair.injectToB(datagrams.get(0));
            final List<byte[]> rest = new ArrayList<>(datagrams.subList(1, datagrams.size()));
            Collections.shuffle(rest, new Random(5));
            for (final byte[] d : rest) {
                pair.injectToB(d);
            }
            pair.injectToB(data(start + 20 * CHUNK, stream, 20 * CHUNK, CHUNK, false));

            assertThat(done.get(20, TimeUnit.SECONDS)).isEqualTo(start + stream.length);
            assertThat(sink.toByteArray()).isEqualTo(stream);
            assertThat(counters.get(StreamCounters.PACKETS_RECEIVED)).isEqualTo(datagrams.size() + 1);
            assertThat(counters.get(StreamCounters.DUPLICATE_BYTES)).isEqualTo(CHUNK);
            assertThat(counters.get(StreamCounters.AUTH_FAILURES) + counters.get(StreamCounters.MALFORMED)
                + counters.get(StreamCounters.REPLAYS) + counters.get(StreamCounters.PROTOCOL_VIOLATIONS)
                + counters.get(StreamCounters.FLOW_CONTROL_DROPS)).isZero();
        }
    }

    @Test
    void shouldCountAndDropOffsetsBeyondTheWindowAndPacketsTooOldToPlace() throws Exception {
        final long start = WRAP - 5_000;
        final byte[] stream = bytes(2, 3 * CHUNK);
        final byte[] garbage = bytes(3, 3 * CHUNK);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final ReceiveEngine engine = new ReceiveEngine(CONFIG, keys, pair.b(), counters, StreamListener.NONE);
            engine.startAt(start);
            final ByteArrayOutputStream sink = new ByteArrayOutputStream();
            final CompletableFuture<Long> done = receive(engine, sink);

            peer.advanceTo((1L << 24) - 3); // packet numbers cross their wrap too
            pair.injectToB(data(start, stream, 0, CHUNK, false));
            final long cumulative = start + CHUNK;
            // Other bytes for the next chunk, held back until the packet is too old to place.
            final byte[] aged = data(cumulative, garbage, CHUNK, CHUNK, false);
            // Beyond any credit the receiver gave: a protocol violation, dropped.
            pair.injectToB(data(cumulative + WINDOW - CHUNK + 1, garbage, 0, CHUNK, false));
            // A little more than 2^31 below what the receiver has: restored as a little less than 2^31 above it,
            // beyond the window, dropped as a violation (never placed).
            pair.injectToB(data(cumulative - (1L << 31) - 5 * CHUNK, garbage, 0, CHUNK, false));
            // A little less than 2^31 below: restored exactly; old bytes, a duplicate, no violation.
            pair.injectToB(data(cumulative - (1L << 31) + 5 * CHUNK, garbage, 0, CHUNK, false));
            peer.advanceTo(peer.nextPacketNumber() + WireFormat.DATA_MAX_PACKET_AGE);
            final int heartbeat = peer.seal(PacketType.HEARTBEAT, packet, 0);
            pair.injectToB(Arrays.copyOf(packet, heartbeat));
            pair.injectToB(aged);
            pair.injectToB(data(cumulative, stream, CHUNK, CHUNK, false));
            pair.injectToB(data(cumulative + CHUNK, stream, 2 * CHUNK, CHUNK, true));

            assertThat(done.get(20, TimeUnit.SECONDS)).isEqualTo(start + stream.length);
            assertThat(sink.toByteArray()).isEqualTo(stream);
            assertThat(counters.get(StreamCounters.PROTOCOL_VIOLATIONS)).isEqualTo(2);
            assertThat(counters.get(StreamCounters.REPLAYS)).as("the aged packet").isEqualTo(1);
            assertThat(counters.get(StreamCounters.DUPLICATE_PACKETS)).isEqualTo(1);
            assertThat(counters.get(StreamCounters.FLOW_CONTROL_DROPS)).isZero();
        }
    }

    @Test
    void shouldTakeTheFinalLengthFromDataFinAndCountContradictionsAsViolations() throws Exception {
        final byte[] stream = bytes(4, 3 * CHUNK);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final ReceiveEngine engine = new ReceiveEngine(CONFIG, keys, pair.b(), counters, StreamListener.NONE);
            final ByteArrayOutputStream sink = new ByteArrayOutputStream();
            final CompletableFuture<Long> done = receive(engine, sink);

            pair.injectToB(data(0, stream, 0, CHUNK, false));
            pair.injectToB(data(2 * CHUNK, stream, 2 * CHUNK, CHUNK, true)); // the final length: 3 chunks
            pair.injectToB(data(CHUNK, stream, CHUNK, CHUNK, true)); // another final length: dropped
            pair.injectToB(data(3 * CHUNK, stream, 0, 10, false)); // beyond the final length: dropped
            pair.injectToB(data(CHUNK, stream, CHUNK, CHUNK, false));

            assertThat(done.get(20, TimeUnit.SECONDS)).isEqualTo(stream.length);
            assertThat(sink.toByteArray()).isEqualTo(stream);
            assertThat(counters.get(StreamCounters.PROTOCOL_VIOLATIONS)).isEqualTo(2);
        }
    }

    @Test
    void shouldRefuseToStartTwiceOrBelowZero() {
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final ReceiveEngine engine = new ReceiveEngine(CONFIG, keys, pair.b(), counters, StreamListener.NONE);
            assertThatThrownBy(() -> engine.startAt(-1)).isInstanceOf(IllegalStateException.class);
            engine.startAt(WRAP);
            assertThatThrownBy(() -> engine.startAt(WRAP + 1)).isInstanceOf(IllegalStateException.class);
        }
    }

    private byte[] data(final long offset, final byte[] source, final int from, final int length, final boolean fin) {
        BigEndian.putInt(packet, WireFormat.HEADER_LENGTH + WireFormat.DATA_STREAM_OFFSET_OFFSET, (int)offset);
        System.arraycopy(source, from, packet, WireFormat.HEADER_LENGTH + WireFormat.DATA_PAYLOAD_OFFSET, length);
        final int n = peer.seal(fin ? PacketType.DATA_FIN : PacketType.DATA, packet,
            WireFormat.DATA_PAYLOAD_OFFSET + length);
        return Arrays.copyOf(packet, n);
    }

    private static CompletableFuture<Long> receive(final ReceiveEngine engine, final ByteArrayOutputStream sink) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return engine.run(sink);
            } catch (final StreamException e) {
                throw new CompletionException(e);
            }
        });
    }

    private static byte[] bytes(final long seed, final int length) {
        final byte[] b = new byte[length];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
