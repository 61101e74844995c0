package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.WireFormat;

/** Byte-exact delivery (SHA-256) over impaired in-memory paths. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamTransferTest {
    private static final int UDP_DATAGRAM = 1452;
    private static final int RELAY_DATAGRAM = 60 * 1024;
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .sendBufferBytes(8 << 20)
        .receiveWindowBytes(8 << 20)
        .minRto(Duration.ofMillis(20))
        .initialRto(Duration.ofMillis(200))
        .peerTimeout(Duration.ofSeconds(20))
        .build();

    @ParameterizedTest(name = "{0}% loss, reorder 64, 5% duplicates, 32 MiB over 1452-byte datagrams")
    @ValueSource(ints = {0, 1, 5, 10})
    void shouldDeliverEveryByteExactlyOnceDespiteLossReorderingAndDuplication(final int lossPercent) throws Exception {
        final LossyPathPair.Builder path = LossyPathPair.builder()
            .maxDatagram(UDP_DATAGRAM).lossPercent(lossPercent).reorderDepth(64).duplicatePercent(5).seed(lossPercent);
        // Random loss is not congestion: tolerate it (the default 2 % would throttle the 5 and 10 % cases).
        final StreamConfig config = CONFIG.toBuilder().lossTolerance(lossPercent < 2 ? 0.02 : 0.3).build();
        final StreamPair streams = transfer(path, config, 32 << 20, 11 + lossPercent);
        final StreamStats sent = streams.sender.stats();
        final StreamStats received = streams.receiver.stats();
        assertThat(received.streamBytes()).isEqualTo(32 << 20);
        if (lossPercent > 0) {
            assertThat(sent.retransmittedBytes()).isPositive();
        }
        assertThat(received.replays()).as("path duplicates are caught as replays").isPositive();
        assertThat(received.authFailures() + received.malformed() + received.protocolViolations()).isZero();
        // Bounded memory: the receiver buffers at most its window (nothing arrived beyond the credit it gave),
        // the sender at most its send buffer (the ring it reads into), and the path's queues are bounded.
        assertThat(received.flowControlDrops()).as("data beyond the receive window").isZero();
        // Repair overhead: bytes sent again per stream byte. Each lost datagram is resent (and may be lost
        // again: loss / (1 - loss) in all); reordering up to 64 deep must not look like loss.
        final double overhead = (double)sent.retransmittedBytes() / received.streamBytes();
        final double loss = lossPercent / 100.0;
        System.out.printf("repair overhead %.2f %% at %d %% loss (reorder 64, 5 %% duplicates)%n", 100 * overhead,
            lossPercent);
        assertThat(overhead).as("repair overhead at %d %% loss", lossPercent)
            .isLessThanOrEqualTo(2 * loss / (1 - loss) + 0.01);
    }

    @Test
    void shouldDeliverThroughAReceiverBuiltBeforeItsPathWasKnown() throws Exception {
        final StreamKeys keys = StreamPair.keys(21);
        // As a listener does: buffers and ciphers while it waits for the claim, the claimer's path afterwards.
        final BulkReceiver receiver = new BulkReceiver(CONFIG, keys);
        assertThatThrownBy(() -> new BulkReceiver(CONFIG, keys).receive(new DigestSink()))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("bindPath");
        try (LossyPathPair pair = LossyPathPair.builder().maxDatagram(UDP_DATAGRAM).lossPercent(1).seed(21).build()) {
            final BulkSender sender = new BulkSender(CONFIG, keys, pair.a());
            receiver.bindPath(pair.b());
            assertThatThrownBy(() -> receiver.bindPath(pair.b())).isInstanceOf(IllegalStateException.class);
            final DeterministicSource source = new DeterministicSource(21, 4 << 20);
            final DigestSink sink = new DigestSink();
            final FutureTask<Long> received = new FutureTask<>(() -> receiver.receive(sink));
            Thread.ofPlatform().daemon().name("test-receiver").start(received);
            assertThat(sender.send(source)).isEqualTo(4 << 20);
            assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(4 << 20);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
        }
    }

    @ParameterizedTest(name = "{0}% loss, 48 MiB over 60 KiB relay datagrams")
    @ValueSource(ints = {0, 2})
    void shouldDeliverOverRelaySizedDatagrams(final int lossPercent) throws Exception {
        final LossyPathPair.Builder path = LossyPathPair.builder()
            .name("relay").maxDatagram(RELAY_DATAGRAM).lossPercent(lossPercent).seed(7);
        final StreamPair streams = transfer(path, CONFIG, 48 << 20, 5);
        assertThat(streams.receiver.stats().streamBytes()).isEqualTo(48 << 20);
    }

    @Test
    void shouldDeliverThroughABandwidthCappedDelayedBottleneck() throws Exception {
        final LossyPathPair.Builder path = LossyPathPair.builder()
            .maxDatagram(UDP_DATAGRAM).delay(Duration.ofMillis(5)).bandwidth(40_000_000).queueBytes(256 << 10).seed(3);
        // The loss-based controller (the relay's): it fills the tail-drop queue until it overflows, then backs off.
        // (The rate-based one on UDP paths keeps the queue short and may never overflow it: the WAN tests prove it.)
        final StreamConfig cubic = CONFIG.toBuilder().rateControl(StreamConfig.RateControl.CUBIC).build();
        final StreamPair streams = transfer(path, cubic, 16 << 20, 3);
        final StreamStats sent = streams.sender.stats();
        assertThat(sent.smoothedRttNanos()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(10));
        assertThat(sent.lossEvents()).isPositive(); // the tail-drop queue overflowed and the window backed off
    }

    @Test
    void shouldNotTakeRandomLossForCongestionOnAUdpPath() throws Exception {
        // 200 Mbit/s, 10 ms each way, 3 % random loss: the rate-based controller of UDP paths keeps its rate (a
        // loss-based one cuts the window every round trip here: ~200 congestion events where this sees none).
        final LossyPathPair.Builder path = LossyPathPair.builder().maxDatagram(UDP_DATAGRAM).lossPercent(3)
            .delay(Duration.ofMillis(10)).bandwidth(25_000_000).queueBytes(1 << 20).seed(13);
        final StreamPair streams = transfer(path, CONFIG, 16 << 20, 13);
        final StreamStats sent = streams.sender.stats();
        assertThat(sent.retransmittedBytes()).isPositive();
        assertThat(sent.lossEvents()).as("congestion events at 3 %% random loss").isLessThanOrEqualTo(2);
    }

    @Test
    void shouldCompleteAZeroLengthStream() throws Exception {
        final DigestSink sink = new DigestSink(16, true);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(1), pair.a(), pair.b())
                .start(new ByteArrayInputStream(new byte[0]), sink);
            assertThat(streams.await(10, TimeUnit.SECONDS)).isZero();
        }
        assertThat(sink.count()).isZero();
        assertThat(sink.flushes()).isPositive();
    }

    @Test
    void shouldCompleteAZeroLengthStreamWhenTheFinIsLost() throws Exception {
        final DigestSink sink = new DigestSink(16, true);
        try (LossyPathPair pair = LossyPathPair.builder().lossPercent(50).seed(4).build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(2), pair.a(), pair.b())
                .start(new ByteArrayInputStream(new byte[0]), sink);
            assertThat(streams.await(20, TimeUnit.SECONDS)).isZero();
        }
    }

    /** The source's end comes after its last bytes left, so FIN goes alone: sent once, it is no repair. */
    @Test
    void shouldNotCountAFinSentAloneAsARetransmission() throws Exception {
        final byte[] data = new DeterministicSource(16, 10_000).readAllBytes();
        final java.io.InputStream endingLate = new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(final byte[] b, final int off, final int len) {
                final int n = super.read(b, off, len);
                if (n < 0) {
                    try {
                        Thread.sleep(200);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return n;
            }
        };
        final DigestSink sink = new DigestSink();
        try (LossyPathPair pair = LossyPathPair.builder().maxDatagram(UDP_DATAGRAM).build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(16), pair.a(), pair.b())
                .start(endingLate, sink);
            assertThat(streams.await(10, TimeUnit.SECONDS)).isEqualTo(data.length);
            assertThat(streams.sender.stats().retransmittedPackets()).isZero();
        }
        assertThat(sink.count()).isEqualTo(data.length);
    }

    @Test
    void shouldDeliverOneByteAndEveryByteValue() throws Exception {
        assertThat(roundTrip(new byte[] {42}, UDP_DATAGRAM)).containsExactly(42);
        final byte[] all = new byte[256 * 64];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte)i;
        }
        assertThat(roundTrip(all, UDP_DATAGRAM)).isEqualTo(all);
        assertThat(roundTrip(all, WireFormat.MIN_DATAGRAM_LENGTH)).isEqualTo(all);
    }

    @Test
    void shouldDeliverSizesAroundDatagramBoundaries() throws Exception {
        for (final int datagram : new int[] {WireFormat.MIN_DATAGRAM_LENGTH, UDP_DATAGRAM, RELAY_DATAGRAM}) {
            final int payload = datagram - WireFormat.DATA_OVERHEAD;
            for (final int packets : new int[] {1, 2, 3}) {
                for (final int delta : new int[] {-1, 0, 1}) {
                    final int size = packets * payload + delta;
                    final byte[] data = new DeterministicSource(size, size).readAllBytes();
                    assertThat(roundTrip(data, datagram)).as("size %d on %d-byte datagrams", size, datagram)
                        .isEqualTo(data);
                }
            }
        }
    }

    @Test
    void shouldDeliverAStreamLargerThanBothBuffersThroughASlowSource() throws Exception {
        final StreamConfig small = CONFIG.toBuilder().sendBufferBytes(1 << 16).receiveWindowBytes(1 << 20).build();
        final LossyPathPair.Builder path = LossyPathPair.builder().maxDatagram(UDP_DATAGRAM).lossPercent(1).seed(9);
        try (LossyPathPair pair = path.build()) {
            final DeterministicSource source = new DeterministicSource(9, 6 << 20, 777, true);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(small, StreamPair.keys(9), pair.a(), pair.b()).start(source,
                sink);
            streams.await(60, TimeUnit.SECONDS);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
        }
    }

    @Test
    void shouldRespectTheReceiveWindowWhenTheSinkIsSlow() throws Exception {
        final StreamConfig small = CONFIG.toBuilder().receiveWindowBytes(1 << 20).build();
        final DeterministicSource source = new DeterministicSource(10, 8 << 20);
        final DigestSink digest = new DigestSink();
        final java.io.OutputStream slowSink = new java.io.OutputStream() {
            @Override
            public void write(final int b) {
                digest.write(b);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) {
                final int n = Math.min(len, 64 << 10); // a slow consumer: 64 KiB per millisecond at most
                digest.write(b, off, n);
                try {
                    Thread.sleep(1);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (n < len) {
                    write(b, off + n, len - n);
                }
            }
        };
        try (LossyPathPair pair = LossyPathPair.builder().maxDatagram(UDP_DATAGRAM).lossPercent(1).seed(10).build()) {
            final StreamPair streams = new StreamPair(small, StreamPair.keys(10), pair.a(), pair.b())
                .start(source, slowSink);
            streams.await(60, TimeUnit.SECONDS);
            assertThat(digest.sha256()).isEqualTo(source.sha256());
            assertThat(streams.receiver.stats().flowControlDrops()).isZero();
        }
    }

    private static byte[] roundTrip(final byte[] data, final int datagram) throws Exception {
        final DigestSink sink = new DigestSink(data.length, false);
        try (LossyPathPair pair = LossyPathPair.builder().maxDatagram(datagram).build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(data.length), pair.a(), pair.b())
                .start(new ByteArrayInputStream(data), sink);
            assertThat(streams.await(10, TimeUnit.SECONDS)).isEqualTo(data.length);
        }
        return sink.kept();
    }

    static StreamPair transfer(
        final LossyPathPair.Builder path, final StreamConfig config, final long size, final long seed)
            throws Exception {
        try (LossyPathPair pair = path.build()) {
            final DeterministicSource source = new DeterministicSource(seed, size);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(config, StreamPair.keys(seed), pair.a(), pair.b())
                .start(source, sink);
            final long t0 = System.nanoTime();
            assertThat(streams.await(100, TimeUnit.SECONDS)).isEqualTo(size);
            System.out.printf("%d MiB in %.0f ms%n%s%n", size >> 20, (System.nanoTime() - t0) / 1e6, streams);
            assertThat(sink.count()).isEqualTo(size);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            return streams;
        }
    }
}
