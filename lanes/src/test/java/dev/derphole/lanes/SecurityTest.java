package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;

/** Tampered, replayed, forged and late packets are dropped and counted, never delivered. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SecurityTest {
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .sendBufferBytes(4 << 20)
        .receiveWindowBytes(4 << 20)
        .minRto(Duration.ofMillis(20))
        .peerTimeout(Duration.ofSeconds(10))
        .build();
    private static final long SIZE = 8 << 20;

    @Test
    void shouldDropAndCountBitFlippedPacketsInBothDirections() throws Exception {
        final SplittableRandom random = new SplittableRandom(41);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final LossyPathPair.Tamper flip = d -> {
                synchronized (random) {
                    if (random.nextInt(10) == 0) {
                        d[random.nextInt(d.length)] ^= (byte)(1 << random.nextInt(8));
                    }
                }
                return List.of(d);
            };
            pair.tamperAtoB(flip);
            pair.tamperBtoA(flip);
            final StreamPair streams = run(pair, 41);
            final StreamStats receiver = streams.receiver.stats();
            final StreamStats sender = streams.sender.stats();
            assertThat(receiver.authFailures() + receiver.malformed()).isPositive();
            assertThat(sender.authFailures() + sender.malformed()).isPositive();
            assertThat(receiver.authFailures()).isGreaterThan(receiver.malformed());
        }
    }

    @Test
    void shouldIgnoreReplayedPackets() throws Exception {
        final List<byte[]> seen = new ArrayList<>();
        final SplittableRandom random = new SplittableRandom(42);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            pair.tamperAtoB(d -> {
                synchronized (seen) {
                    seen.add(d);
                    if (seen.size() > 100 && random.nextInt(4) == 0) {
                        return List.of(d, seen.get(random.nextInt(seen.size() - 1)).clone());
                    }
                    return List.of(d);
                }
            });
            final StreamPair streams = run(pair, 42);
            assertThat(streams.receiver.stats().replays()).isGreaterThan(100);
            // Only our own tail copies (sent on purpose at the end of the stream) arrive twice.
            assertThat(streams.receiver.stats().duplicatePackets())
                .isLessThanOrEqualTo(streams.sender.stats().tailCopies());
        }
    }

    @Test
    void shouldRejectPacketsSealedWithTheWrongKey() throws Exception {
        final PacketCodec forger = new PacketCodec(
            StreamPair.keys(999).senderToReceiverKey(), StreamPair.keys(43).senderToReceiverPrefix(),
            StreamPair.keys(999).receiverToSenderKey(), 0, new StreamCounters());
        final byte[] packet = new byte[2048];
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            pair.tamperAtoB(d -> {
                synchronized (forger) {
                    // A forged DATA at offset 0 with garbage: if it were accepted the SHA-256 would differ.
                    BigEndian.putInt(packet, WireFormat.HEADER_LENGTH + WireFormat.DATA_STREAM_OFFSET_OFFSET, 0);
                    forger.advanceTo(Math.max(forger.nextPacketNumber(),
                        BigEndian.getUnsigned24(d, WireFormat.PACKET_NUMBER_OFFSET) + 1));
                    final int n = forger.seal(PacketType.DATA, packet, WireFormat.DATA_PAYLOAD_OFFSET + 1000);
                    return List.of(java.util.Arrays.copyOf(packet, n), d);
                }
            });
            final StreamPair streams = run(pair, 43);
            assertThat(streams.receiver.stats().authFailures()).isGreaterThan(1000);
        }
    }

    @Test
    void shouldCountPacketsArrivingAfterTheStreamFinished() throws Exception {
        final List<byte[]> data = new ArrayList<>();
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            pair.tamperAtoB(d -> {
                synchronized (data) {
                    data.add(d.clone());
                }
                return List.of(d);
            });
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(44), pair.a(), pair.b())
                .start(new ByteArrayInputStream(new byte[50_000]), new DigestSink());
            streams.await(10, TimeUnit.SECONDS);
            final long before = streams.receiver.stats().afterClose();
            synchronized (data) {
                for (final byte[] d : data) {
                    pair.injectToB(d);
                }
                assertThat(streams.receiver.stats().afterClose() - before).isEqualTo(data.size());
            }
            assertThat(streams.receiver.stats().replays()).isZero();
        }
    }

    private static StreamPair run(final LossyPathPair pair, final long seed) throws Exception {
        final DeterministicSource source = new DeterministicSource(seed, SIZE);
        final DigestSink sink = new DigestSink();
        final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(seed), pair.a(), pair.b()).start(source,
            sink);
        assertThat(streams.await(40, TimeUnit.SECONDS)).isEqualTo(SIZE);
        assertThat(sink.sha256()).isEqualTo(source.sha256());
        return streams;
    }
}
