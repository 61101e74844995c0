package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.udp.PacketPath;
import dev.derphole.udp.debug.ForwardingPath;

/** Live relay → direct → relay switches: the stream stays byte-exact when the old path dies right after. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PathSwitchTest {
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .sendBufferBytes(8 << 20)
        .receiveWindowBytes(8 << 20)
        .minRto(Duration.ofMillis(20))
        .initialRto(Duration.ofMillis(200))
        .peerTimeout(Duration.ofSeconds(10))
        .build();
    private static final long SIZE = 32L << 20;

    @Test
    void shouldFinishOnDirectWhenTheRelayIsBlackholedRightAfterTheSwitch() throws Exception {
        try (LossyPathPair relay = relay(); LossyPathPair direct = direct()) {
            final DeterministicSource source = new DeterministicSource(21, SIZE);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(21), relay.a(),
                relay.b()).start(source, sink);

            awaitAcked(streams, acked -> acked > 4 << 20);
            streams.sender.switchPath(direct.a());
            streams.receiver.switchPath(direct.b());
            relay.blackhole(true); // whatever was still on the relay is gone

            assertThat(streams.await(50, TimeUnit.SECONDS)).isEqualTo(SIZE);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            assertThat(streams.sender.stats().pathSwitches()).isEqualTo(1);
            assertThat(direct.deliveredAtoB()).isPositive();
        }
    }

    @Test
    void shouldFallBackToTheRelayWhenDirectDies() throws Exception {
        try (LossyPathPair relay = relay(); LossyPathPair direct = direct()) {
            final DeterministicSource source = new DeterministicSource(22, SIZE);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(22), relay.a(),
                relay.b()).start(source, sink);

            awaitAcked(streams, acked -> acked > 4 << 20);
            streams.sender.switchPath(direct.a());
            streams.receiver.switchPath(direct.b());
            final long onRelay = relay.deliveredAtoB();
            awaitAcked(streams, acked -> acked > 12 << 20);
            direct.blackhole(true); // direct stops answering mid-flight
            streams.sender.switchPath(relay.a());
            streams.receiver.switchPath(relay.b());

            assertThat(streams.await(50, TimeUnit.SECONDS)).isEqualTo(SIZE);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            assertThat(streams.sender.stats().pathSwitches()).isEqualTo(2);
            assertThat(relay.deliveredAtoB()).isGreaterThan(onRelay);
        }
    }

    @Test
    void shouldFollowTheSenderWhenOnlyTheSenderIsSwitched() throws Exception {
        try (LossyPathPair relay = relay(); LossyPathPair direct = direct()) {
            final DeterministicSource source = new DeterministicSource(23, 16 << 20);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(23), relay.a(),
                relay.b()).start(source, sink);

            streams.receiver.attachPath(direct.b()); // the session attaches direct when it comes up
            awaitAcked(streams, acked -> acked > 2 << 20);
            streams.sender.switchPath(direct.a());
            final long relayAcks = relay.deliveredBtoA();
            Thread.sleep(50);
            relay.blackhole(true); // the receiver was never told; it must answer where the data now comes from

            assertThat(streams.await(50, TimeUnit.SECONDS)).isEqualTo(16 << 20);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            assertThat(direct.deliveredBtoA()).isPositive();
            assertThat(relayAcks).isPositive();
        }
    }

    @Test
    void shouldTakeASwitchBetweenTwoDatagramsOfABurstNotAfterIt() throws Exception {
        // The relay's first window leaves as one burst; here each datagram takes 30 ms to send (as one did to seal
        // while the crypto was cold). A switch during the burst must not wait for the rest of it.
        try (LossyPathPair relay = LossyPathPair.builder().name("relay").maxDatagram(60 * 1024)
            .lossIsCongestion(true).delay(Duration.ofMillis(3)).seed(5).build(); LossyPathPair direct = direct()) {
            final CountDownLatch firstSent = new CountDownLatch(1);
            final AtomicInteger relaySends = new AtomicInteger();
            final PacketPath slowRelay = new SlowPath(relay.a(), () -> {
                relaySends.incrementAndGet();
                firstSent.countDown();
            });
            final DeterministicSource source = new DeterministicSource(25, 8 << 20);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(25), slowRelay, relay.b())
                .start(source, sink);
            assertThat(firstSent.await(10, TimeUnit.SECONDS)).isTrue();
            streams.sender.switchPath(direct.a());
            streams.receiver.switchPath(direct.b());
            final int atSwitch = relaySends.get();

            assertThat(streams.await(30, TimeUnit.SECONDS)).isEqualTo(8 << 20);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            assertThat(relaySends.get() - atSwitch).as("relay datagrams sent after the switch").isLessThanOrEqualTo(1);
        }
    }

    /** A path whose every send takes {@link #SEND_MS} (and calls {@code onSend} first). */
    private static final class SlowPath extends ForwardingPath {
        static final long SEND_MS = 30;
        private final Runnable onSend;

        SlowPath(final PacketPath path, final Runnable onSend) {
            super(path);
            this.onSend = onSend;
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
            onSend.run();
            try {
                Thread.sleep(SEND_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            return delegate.send(buffer, offset, length);
        }
    }

    @Test
    void shouldRepairAFirstFlightTheReceiverDroppedWithinAFewRoundTripsOfTheProbedRtt() throws Exception {
        // The initial timeout a path without any RTT knowledge waits: far longer than the recovery allowed below.
        final StreamConfig config = CONFIG.toBuilder().initialRto(Duration.ofSeconds(2)).build();
        try (LossyPathPair relay = relay(); LossyPathPair direct = LossyPathPair.builder().name("direct")
            .maxDatagram(1452).delay(Duration.ofMillis(5)).rttHint(Duration.ofMillis(10)).seed(7).build()) {
            final DeterministicSource source = new DeterministicSource(24, 16 << 20);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(config, StreamPair.keys(24), relay.a(), relay.b())
                .start(source, sink);
            awaitAcked(streams, acked -> acked > 2 << 20);
            final long switchedAt = streams.sender.stats().streamBytes();
            streams.sender.switchPath(direct.a());
            relay.blackhole(true);
            // The receiver promotes the direct path a round trip after the sender: its first flight is dropped.
            Thread.sleep(30);
            streams.receiver.attachPath(direct.b());
            final long t0 = System.nanoTime();
            awaitAcked(streams, acked -> acked > switchedAt + (1 << 20));
            final long recoveredMs = (System.nanoTime() - t0) / 1_000_000;

            assertThat(recoveredMs).as("recovery after the dropped first flight, ms").isLessThan(1_000);
            assertThat(streams.await(30, TimeUnit.SECONDS)).isEqualTo(16 << 20);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
        }
    }

    private static LossyPathPair relay() {
        return LossyPathPair.builder().name("relay").maxDatagram(60 * 1024).delay(Duration.ofMillis(3)).seed(5).build();
    }

    private static LossyPathPair direct() {
        return LossyPathPair.builder().name("direct").maxDatagram(1452).lossPercent(0.5).reorderDepth(8).seed(6)
            .build();
    }

    private static void awaitAcked(final StreamPair streams, final LongPredicate condition)
        throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.test(streams.sender.stats().streamBytes())) {
            if (System.nanoTime() > deadline || streams.sent.isDone()) {
                throw new AssertionError("no progress: " + streams);
            }
            Thread.sleep(1);
        }
    }
}
