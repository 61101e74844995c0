package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.StreamException.Reason;
import dev.derphole.lanes.engine.Control;
import dev.derphole.lanes.engine.StreamCounters;
import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.PacketCodec;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.testing.Fuzz;

/** Random, truncated and mutated packets never make an engine throw; they are counted and dropped. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PacketFuzzTest {
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .sendBufferBytes(4 << 20)
        .receiveWindowBytes(4 << 20)
        .minRto(Duration.ofMillis(20))
        .peerTimeout(Duration.ofSeconds(20))
        .build();

    @Test
    void shouldCountAndDropFuzzedDatagramsInjectedIntoARunningTransfer() throws Exception {
        final List<byte[]> toReceiver = new ArrayList<>();
        final List<byte[]> toSender = new ArrayList<>();
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            pair.tamperAtoB(d -> capture(toReceiver, d));
            pair.tamperBtoA(d -> capture(toSender, d));
            final DeterministicSource source = new DeterministicSource(51, 96 << 20, 1 << 16, true);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(51), pair.a(), pair.b()).start(source,
                sink);
            awaitSamples(toReceiver, toSender);

            final List<byte[]> receiverSamples = samples(toReceiver);
            final List<byte[]> senderSamples = samples(toSender);
            final List<byte[]> atReceiver = fuzz(receiverSamples, 52);
            final List<byte[]> atSender = fuzz(senderSamples, 53);
            Fuzz.forAll(atReceiver, pair::injectToB);
            Fuzz.forAll(atSender, pair::injectToA);

            assertThat(streams.await(90, TimeUnit.SECONDS)).isEqualTo(96 << 20);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            // A plain replay may overtake its original and be taken instead of it; then the original is the
            // one counted. Everything else injected must be counted, so the bound excludes only those clones.
            assertThat(dropped(streams.receiver.stats()))
                .isGreaterThanOrEqualTo(atReceiver.size() - clones(receiverSamples));
            assertThat(dropped(streams.sender.stats())).isGreaterThanOrEqualTo(atSender.size() - clones(senderSamples));
            System.out.printf("fuzz: receiver %s%nsender %s%n", streams.receiver.stats(), streams.sender.stats());
        }
    }

    @Test
    void shouldSurviveAuthenticatedGarbageBodiesAtTheReceiver() throws Exception {
        final StreamKeys keys = StreamPair.keys(54);
        final PacketCodec peer = new PacketCodec(keys.senderToReceiverKey(), keys.senderToReceiverPrefix(),
            keys.receiverToSenderKey(), keys.receiverToSenderPrefix(), new StreamCounters());
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final BulkReceiver receiver = new BulkReceiver(CONFIG, keys, pair.b());
            final java.util.concurrent.CompletableFuture<Long> done =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return receiver.receive(new DigestSink());
                } catch (final StreamException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            final byte[] types = {
                PacketType.DATA, PacketType.DATA_FIN, PacketType.HEARTBEAT, PacketType.CLOSE, PacketType.ACK};
            injectGarbage(pair::injectToB, peer, types, 55, 3000);
            abort(pair::injectToB, peer);
            assertEndedCleanly(done);
        }
    }

    @Test
    void shouldSurviveAuthenticatedGarbageBodiesAtTheSender() throws Exception {
        final StreamKeys keys = StreamPair.keys(56);
        final PacketCodec peer = new PacketCodec(keys.receiverToSenderKey(), keys.receiverToSenderPrefix(),
            keys.senderToReceiverKey(), keys.senderToReceiverPrefix(), new StreamCounters());
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final BulkSender sender = new BulkSender(CONFIG, keys, pair.a());
            final java.util.concurrent.CompletableFuture<Long> done =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return sender.send(new DeterministicSource(56, 1L << 30, 1 << 16, false));
                } catch (final StreamException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            final byte[] types = {
                PacketType.ACK, PacketType.HEARTBEAT, PacketType.CLOSE, PacketType.DATA, PacketType.DATA_FIN};
            injectGarbage(pair::injectToA, peer, types, 57, 3000);
            abort(pair::injectToA, peer);
            assertEndedCleanly(done);
            assertThat(sender.stats().malformed() + sender.stats().protocolViolations()).isPositive();
        }
    }

    @Test
    void shouldNeverThrowFromTheParsers() {
        final AckFrame ack = new AckFrame();
        final PacketCodec codec = new PacketCodec(new byte[32], 1, new byte[32], 2, new StreamCounters());
        final byte[] body = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
        ack.flags = WireFormat.ACK_FLAG_HAS_ECHO;
        ack.cumulative = 1000;
        ack.maxOffset = 5000;
        ack.rangeCount = 2;
        ack.rangeStart[0] = 1100;
        ack.rangeEnd[0] = 1200;
        ack.rangeStart[1] = 1300;
        ack.rangeEnd[1] = 1400;
        final byte[] validAck = new byte[ack.length()];
        ack.encode(validAck, 0);
        final byte[] validAbort = new byte[64];
        final int abortLength = Control.encodeAbort(validAbort, 0, 1, "bye");
        final List<byte[]> inputs = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 3000, 700));
        inputs.addAll(Fuzz.truncations(validAck));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, validAck, 3000));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, java.util.Arrays.copyOf(validAbort, abortLength), 1000));
        Fuzz.forAll(inputs, input -> {
            ack.decode(input, input.length);
            Control.decodeAbortText(input, input.length);
            assertThat(codec.open(input, 0, input.length, body)).isNegative();
        });
    }

    /** Plain replays {@link #fuzz} adds: one per 8 captured samples. */
    private static int clones(final List<byte[]> samples) {
        return (samples.size() + 7) / 8;
    }

    private static long dropped(final StreamStats s) {
        return s.malformed() + s.authFailures() + s.replays() + s.afterClose() + s.inboundDrops();
    }

    private static List<byte[]> capture(final List<byte[]> into, final byte[] datagram) {
        synchronized (into) {
            if (into.size() < 64) {
                into.add(datagram.clone());
            }
        }
        return List.of(datagram);
    }

    private static List<byte[]> samples(final List<byte[]> captured) {
        synchronized (captured) {
            return new ArrayList<>(captured);
        }
    }

    private static void awaitSamples(final List<byte[]> a, final List<byte[]> b) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (samples(a).size() < 64 || samples(b).size() < 8) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no traffic to sample");
            }
            Thread.sleep(1);
        }
    }

    private static List<byte[]> fuzz(final List<byte[]> valid, final long seed) {
        final List<byte[]> out = new ArrayList<>(Fuzz.randomBytes(seed, 500, 1600));
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 500; i++) {
            // Random bytes behind a plausible header, so they get as far as the tag check.
            final byte[] b = new byte[WireFormat.PACKET_OVERHEAD + random.nextInt(1400)];
            random.nextBytes(b);
            b[0] = (byte)(PacketType.DATA + random.nextInt(6));
            b[WireFormat.PACKET_NUMBER_OFFSET] = 0; // a packet number near the real ones
            b[WireFormat.PACKET_NUMBER_OFFSET + 1] = 0;
            out.add(b);
        }
        for (int i = 0; i < valid.size(); i += 8) {
            out.addAll(Fuzz.truncations(valid.get(i)).subList(0, Math.min(64, valid.get(i).length)));
            out.addAll(Fuzz.mutations(seed + i, valid.get(i), 100));
            out.add(valid.get(i).clone()); // a plain replay
        }
        return out;
    }

    private static void injectGarbage(
        final java.util.function.Consumer<byte[]> inject, final PacketCodec peer, final byte[] types, final long seed,
        final int count) {
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] packet = new byte[WireFormat.MAX_DATAGRAM_LENGTH];
        final AckFrame ack = new AckFrame();
        for (int i = 0; i < count; i++) {
            final byte type = types[random.nextInt(types.length)];
            int bodyLength = random.nextInt(200);
            for (int k = 0; k < bodyLength; k++) {
                packet[WireFormat.HEADER_LENGTH + k] = (byte)random.nextInt(256);
            }
            if (type == PacketType.ACK && random.nextBoolean()) {
                // Structurally valid ACKs with arbitrary values.
                ack.flags = random.nextInt(8);
                ack.cumulative = random.nextLong(1L << 40);
                ack.maxOffset = random.nextLong(1L << 50);
                ack.largestPacketNumber = random.nextLong(1L << 20);
                ack.ackDelayMicros = random.nextInt(1_000_000);
                ack.duplicateBytes = random.nextLong(1L << 30);
                ack.rangeCount = random.nextInt(5);
                for (int r = 0; r < ack.rangeCount; r++) {
                    ack.rangeStart[r] = ack.cumulative + 1 + random.nextInt(1 << 20);
                    ack.rangeEnd[r] = ack.rangeStart[r] + 1 + random.nextInt(1 << 20);
                }
                bodyLength = ack.encode(packet, WireFormat.HEADER_LENGTH);
            }
            final int n = peer.seal(type, packet, bodyLength);
            inject.accept(java.util.Arrays.copyOf(packet, n));
            if ((i & 255) == 0) {
                Thread.onSpinWait();
            }
        }
    }

    private static void abort(final java.util.function.Consumer<byte[]> inject, final PacketCodec peer)
        throws InterruptedException {
        final byte[] packet = new byte[256];
        for (int i = 0; i < 3; i++) {
            Thread.sleep(100);
            final int body = Control.encodeAbort(packet, WireFormat.HEADER_LENGTH, WireFormat.ABORT_CODE_USER,
                "fuzz over");
            inject.accept(java.util.Arrays.copyOf(packet, peer.seal(PacketType.ABORT, packet, body)));
        }
    }

    /** Ended by our ABORT, a protocol check or normal completion, but never by an internal exception. */
    private static void assertEndedCleanly(final java.util.concurrent.CompletableFuture<Long> done) throws Exception {
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (final java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(StreamException.class);
            assertThat(((StreamException)e.getCause()).reason()).isIn(Reason.PEER_ABORTED, Reason.PROTOCOL);
        }
    }
}
