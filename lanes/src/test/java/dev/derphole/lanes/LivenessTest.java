package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.StreamException.Reason;
import dev.derphole.lanes.engine.PeerLeftWatch;
import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.udp.PacketPath;
import dev.derphole.udp.debug.ForwardingPath;

/** Heartbeats, peer timeouts and aborts, both ways. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LivenessTest {
    private static final Duration PEER_TIMEOUT = Duration.ofMillis(1500);
    private static final long SLACK_MS = 1000;
    private static final StreamConfig CONFIG = StreamConfig.builder()
        .sendBufferBytes(4 << 20)
        .receiveWindowBytes(4 << 20)
        .peerTimeout(PEER_TIMEOUT)
        .heartbeatInterval(Duration.ofMillis(200))
        .minRto(Duration.ofMillis(20))
        .build();

    @Test
    void shouldFailBothSidesWithPeerVanishedWhenThePathGoesSilent() throws Exception {
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(31), pair.a(), pair.b())
                .start(new DeterministicSource(31, 1L << 40, 1 << 16, false), new DigestSink(0, false));
            awaitProgress(streams);
            final long killedNs = System.nanoTime();
            pair.blackhole(true);

            final StreamException sender = StreamPair.failure(streams.sent, 10, TimeUnit.SECONDS);
            final long senderMs = (System.nanoTime() - killedNs) / 1_000_000;
            final StreamException receiver = StreamPair.failure(streams.received, 10, TimeUnit.SECONDS);
            final long receiverMs = (System.nanoTime() - killedNs) / 1_000_000;

            assertThat(sender.reason()).isEqualTo(Reason.PEER_VANISHED);
            assertThat(sender.getMessage()).isEqualTo("peer vanished: no packets for 1.5 s");
            assertThat(receiver.reason()).isEqualTo(Reason.PEER_VANISHED);
            assertThat(senderMs).isBetween(PEER_TIMEOUT.toMillis() - 100, PEER_TIMEOUT.toMillis() + SLACK_MS);
            assertThat(receiverMs).isBetween(PEER_TIMEOUT.toMillis() - 100, PEER_TIMEOUT.toMillis() + SLACK_MS);
        }
    }

    @Test
    void shouldFailBothSidesWithinTheGraceWhenThePeerLeftAndWentSilent() throws Exception {
        final StreamConfig patient = CONFIG.toBuilder().peerTimeout(Duration.ofSeconds(30)).build();
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(patient, StreamPair.keys(38), pair.a(), pair.b())
                .start(new DeterministicSource(38, 1L << 40, 1 << 16, false), new DigestSink(0, false));
            awaitProgress(streams);
            pair.blackhole(true);
            final long leftNs = System.nanoTime();
            streams.receiver.peerLeft();
            streams.sender.peerLeft();

            final StreamException receiver = StreamPair.failure(streams.received, 10, TimeUnit.SECONDS);
            final StreamException sender = StreamPair.failure(streams.sent, 10, TimeUnit.SECONDS);
            final long ms = (System.nanoTime() - leftNs) / 1_000_000;
            assertThat(receiver.reason()).isEqualTo(Reason.PEER_VANISHED);
            assertThat(receiver.getMessage()).isEqualTo("peer vanished: it left the relay and sent nothing for 5 s");
            assertThat(sender.reason()).isEqualTo(Reason.PEER_VANISHED);
            assertThat(ms).isBetween(PeerLeftWatch.GRACE_NS / 1_000_000 - 100,
                PeerLeftWatch.GRACE_NS / 1_000_000 + 3 * SLACK_MS);
        }
    }

    @Test
    void shouldKeepStreamingWhenThePeerLeftTheRelayButStillSends() throws Exception {
        final StreamConfig patient = CONFIG.toBuilder().peerTimeout(Duration.ofSeconds(30)).build();
        final byte[] data = new byte[8 << 20];
        new java.util.SplittableRandom(39).nextBytes(data);
        final DigestSink sink = new DigestSink(data.length, false);
        try (LossyPathPair pair = LossyPathPair.builder().bandwidth(1 << 20).build()) {
            final StreamPair streams = new StreamPair(patient, StreamPair.keys(39), pair.a(), pair.b())
                .start(new ByteArrayInputStream(data), sink);
            awaitProgress(streams);
            streams.receiver.peerLeft();
            streams.sender.peerLeft();

            // The other 7 MiB at 1 MiB/s outlast the grace: the stream survives because packets keep coming.
            assertThat(streams.await(30, TimeUnit.SECONDS)).isEqualTo(data.length);
        }
        assertThat(sink.kept()).isEqualTo(data);
    }

    @Test
    void shouldFailTheSenderWhenNoReceiverEverAnswers() throws Exception {
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final BulkSender sender = new BulkSender(CONFIG, StreamPair.keys(32), pair.a());
            final long t0 = System.nanoTime();
            try {
                sender.send(new ByteArrayInputStream(new byte[100_000]));
                throw new AssertionError("completed without a receiver");
            } catch (final StreamException e) {
                assertThat(e.reason()).isEqualTo(Reason.PEER_VANISHED);
            }
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(PEER_TIMEOUT.toMillis() + SLACK_MS);
        }
    }

    @Test
    void shouldStayAliveThroughAnIdleSourceLongerThanThePeerTimeout() throws Exception {
        final byte[] head = "hello ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final byte[] tail = "world".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final InputStream idle = new InputStream() {
            private boolean slept;

            @Override
            public int read() {
                return -1;
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException {
                if (!slept) {
                    slept = true;
                    try {
                        Thread.sleep(2 * PEER_TIMEOUT.toMillis());
                    } catch (final InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                return -1;
            }
        };
        final DigestSink sink = new DigestSink(64, false);
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(33), pair.a(), pair.b()).start(
                new SequenceInputStream(new ByteArrayInputStream(head),
                    new SequenceInputStream(idle, new ByteArrayInputStream(tail))), sink);
            assertThat(streams.await(20, TimeUnit.SECONDS)).isEqualTo(11);
        }
        assertThat(new String(sink.kept(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hello world");
    }

    @Test
    void shouldPropagateASenderAbortWithItsReason() throws Exception {
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(34), pair.a(), pair.b())
                .start(new DeterministicSource(34, 1L << 40, 1 << 16, false), new DigestSink(0, false));
            awaitProgress(streams);
            streams.sender.abort("user pressed Ctrl-C");

            final StreamException sender = StreamPair.failure(streams.sent, 5, TimeUnit.SECONDS);
            final StreamException receiver = StreamPair.failure(streams.received, 5, TimeUnit.SECONDS);
            assertThat(sender.reason()).isEqualTo(Reason.LOCAL_ABORT);
            assertThat(sender.getMessage()).isEqualTo("aborted: user pressed Ctrl-C");
            assertThat(receiver.reason()).isEqualTo(Reason.PEER_ABORTED);
            assertThat(receiver.getMessage()).isEqualTo("peer aborted: aborted: user pressed Ctrl-C");
        }
    }

    @Test
    void shouldDropWhatThePathStillQueuesBeforeSendingTheAbort() throws Exception {
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final DiscardRecordingPath path = new DiscardRecordingPath(pair.a());
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(37), path, pair.b())
                .start(new DeterministicSource(37, 1L << 40, 1 << 16, false), new DigestSink(0, false));
            awaitProgress(streams);
            assertThat(path.discards.get()).isZero();
            streams.sender.abort("interrupted");

            final StreamException receiver = StreamPair.failure(streams.received, 5, TimeUnit.SECONDS);
            assertThat(receiver.reason()).isEqualTo(Reason.PEER_ABORTED);
            assertThat(path.discards.get()).isEqualTo(1);
            // The ABORTs themselves go out after the discard, not into the void with the data.
            assertThat(path.sends.get() - path.sendsAtDiscard.get()).isGreaterThanOrEqualTo(1);
        }
    }

    /** Counts sends and {@link PacketPath#discardQueued()} calls on the way to a real path. */
    private static final class DiscardRecordingPath extends ForwardingPath {
        final AtomicLong sends = new AtomicLong();
        final AtomicLong discards = new AtomicLong();
        final AtomicLong sendsAtDiscard = new AtomicLong(-1);

        DiscardRecordingPath(final PacketPath delegate) {
            super(delegate);
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
            sends.incrementAndGet();
            return delegate.send(buffer, offset, length);
        }

        @Override
        public void discardQueued() {
            discards.incrementAndGet();
            sendsAtDiscard.set(sends.get());
        }
    }

    @Test
    void shouldPropagateAReceiverAbortWithItsReason() throws Exception {
        try (LossyPathPair pair = LossyPathPair.builder().lossPercent(1).build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(35), pair.a(), pair.b())
                .start(new DeterministicSource(35, 1L << 40, 1 << 16, false), new DigestSink(0, false));
            awaitProgress(streams);
            streams.receiver.abort("disk full\u0007");

            final StreamException receiver = StreamPair.failure(streams.received, 5, TimeUnit.SECONDS);
            final StreamException sender = StreamPair.failure(streams.sent, 5, TimeUnit.SECONDS);
            assertThat(receiver.reason()).isEqualTo(Reason.LOCAL_ABORT);
            assertThat(sender.reason()).isEqualTo(Reason.PEER_ABORTED);
            assertThat(sender.getMessage()).isEqualTo("peer aborted: aborted: disk full?"); // control char defused
        }
    }

    @Test
    void shouldAbortThePeerWhenTheSourceOrTheSinkFails() throws Exception {
        final InputStream failingSource = new SequenceInputStream(new DeterministicSource(36, 1 << 20),
            new InputStream() {
                @Override
                public int read() throws IOException {
                    throw new IOException("disk read error");
                }
            });
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(36), pair.a(), pair.b())
                .start(failingSource, new DigestSink(0, false));
            assertThat(StreamPair.failure(streams.sent, 5, TimeUnit.SECONDS).reason()).isEqualTo(Reason.IO);
            assertThat(StreamPair.failure(streams.received, 5, TimeUnit.SECONDS).getMessage())
                .isEqualTo("peer aborted: input failed: disk read error");
        }
        final OutputStream failingSink = new OutputStream() {
            @Override
            public void write(final int b) throws IOException {
                throw new IOException("broken pipe");
            }
        };
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(37), pair.a(), pair.b())
                .start(new DeterministicSource(37, 1 << 20), failingSink);
            assertThat(StreamPair.failure(streams.received, 5, TimeUnit.SECONDS).reason()).isEqualTo(Reason.IO);
            assertThat(StreamPair.failure(streams.sent, 5, TimeUnit.SECONDS).getMessage())
                .isEqualTo("peer aborted: output failed: broken pipe");
        }
    }

    @Test
    void shouldRefuseToSendTwice() throws Exception {
        try (LossyPathPair pair = LossyPathPair.builder().build()) {
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(38), pair.a(), pair.b())
                .start(new ByteArrayInputStream(new byte[10]), new DigestSink());
            streams.await(5, TimeUnit.SECONDS);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> streams.sender.send(InputStream.nullInputStream()))
                .isInstanceOf(IllegalStateException.class);
        }
    }

    private static void awaitProgress(final StreamPair streams) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (streams.sender.stats().streamBytes() < 1 << 20) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no progress: " + streams);
            }
            Thread.sleep(1);
        }
    }
}
