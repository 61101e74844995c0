package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.WireFormat;

/**
 * The end of a stream on a path with random loss: once the last byte and FIN are out, the packets of the last round
 * trip that the receiver has not acknowledged get one copy each, newest first, and a probe timeout copies what is
 * still out. A lost final packet then costs no repair: without the copies it waits for later ACKs or the probe
 * timeout, and its repair arrives a round trip after that. The source pauses before its last {@link #LAST_PIECE}
 * bytes (everything before is acknowledged by then), so they go in a datagram of their own, found by its length;
 * counts are taken from the end of the pause on. The round trip is 100 ms: when FIN follows those bytes in a packet
 * of its own (the source's end was seen after they went), their copy leaves after FIN, and FIN's ACK must not find
 * them overdue (9/8 of a round trip after they were sent) before the copy's ACK comes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TailCopyTest {
    private static final int BODY = 256 << 10;
    private static final int LAST_PIECE = 77;
    private static final int LAST_DATAGRAM = LAST_PIECE + WireFormat.DATA_OVERHEAD;
    /** Several round trips: the body is acknowledged before the last bytes come. */
    private static final long PAUSE_MS = 1000;
    private static final StreamConfig CONFIG = StreamConfig.builder().sendBufferBytes(4 << 20)
        .receiveWindowBytes(4 << 20).peerTimeout(Duration.ofSeconds(20)).build();

    @Test
    void shouldCoverALostFinalPacketWithItsCopy() throws Exception {
        final AtomicInteger seen = new AtomicInteger();
        final TailCounts sender = transfer(false, dropFirstFinalDatagram(seen));
        assertThat(seen.get()).as("the final datagram and its copy").isGreaterThanOrEqualTo(2);
        assertThat(sender.copies()).isPositive();
        // Probe timeouts are not counted here: the copy's ACK comes a round trip after the final packet, and the
        // timeout is that plus a few milliseconds, so a loaded machine may run into it (it only sends more copies).
        assertThat(sender.repairs()).as("repairs").isZero();
    }

    @Test
    void shouldCopyTheCopyAtOnceSoALostCopyNeedNotWaitForTheProbeTimeout() throws Exception {
        final List<Long> sentNs = Collections.synchronizedList(new ArrayList<>());
        final TailCounts sender = transfer(false, d -> {
            if (d.length != LAST_DATAGRAM) {
                return List.of(d);
            }
            sentNs.add(System.nanoTime());
            return sentNs.size() <= 2 ? List.of() : List.of(d); // the final datagram and its first copy are lost
        });
        assertThat(sentNs).as("the final datagram, its copy and the copy's copy").hasSizeGreaterThanOrEqualTo(3);
        // The probe timeout is a round trip (100 ms) and more after the final datagram; the second pass is not.
        assertThat(TimeUnit.NANOSECONDS.toMillis(sentNs.get(2) - sentNs.get(0))).isLessThan(50);
        assertThat(sender.repairs()).as("repairs").isZero();
    }

    /**
     * Everything sent within 30 ms of the final datagram is lost: it, FIN if that went separately, and their copies.
     * Only the probe timeout (a round trip of 100 ms plus variance and the ACK delay) can bring it back.
     */
    @Test
    void shouldCopyWhatIsStillOutWhenTheTailProbeTimesOut() throws Exception {
        final AtomicLong lostFromNs = new AtomicLong();
        final TailCounts sender = transfer(false, d -> {
            final long now = System.nanoTime();
            if (d.length == LAST_DATAGRAM) {
                lostFromNs.compareAndSet(0, now);
            }
            final long from = lostFromNs.get();
            return from != 0 && now - from < 30_000_000L ? List.of() : List.of(d);
        });
        assertThat(sender.probes()).as("probe timeouts").isPositive();
        assertThat(sender.copies()).as("copies after the final packet, and at the probe timeout")
            .isGreaterThanOrEqualTo(2);
        assertThat(sender.repairs()).as("repairs").isZero();
    }

    @Test
    void shouldNotCopyOnAPathWhoseLossIsCongestion() throws Exception {
        final AtomicInteger seen = new AtomicInteger();
        final TailCounts sender = transfer(true, dropFirstFinalDatagram(seen));
        assertThat(sender.copies()).isZero();
        assertThat(sender.repairs()).as("the final packet repaired as usual").isPositive();
    }

    private static LossyPathPair.Tamper dropFirstFinalDatagram(final AtomicInteger seen) {
        return d -> d.length == LAST_DATAGRAM && seen.getAndIncrement() == 0 ? List.of() : List.of(d);
    }

    /** The sender's counts from the end of the source's pause on. */
    private static TailCounts transfer(final boolean lossIsCongestion, final LossyPathPair.Tamper tamper)
        throws Exception {
        final byte[] data = new byte[BODY + LAST_PIECE];
        new SplittableRandom(61).nextBytes(data);
        try (LossyPathPair pair = LossyPathPair.builder().name("direct").maxDatagram(1452)
            .delay(Duration.ofMillis(50)).lossIsCongestion(lossIsCongestion).rttHint(Duration.ofMillis(100)).seed(61)
            .build()) {
            pair.tamperAtoB(tamper);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(CONFIG, StreamPair.keys(61), pair.a(), pair.b());
            final AtomicReference<StreamStats> before = new AtomicReference<>();
            streams.start(pausingBefore(data, BODY, () -> before.set(streams.sender.stats())), sink);
            assertThat(streams.await(40, TimeUnit.SECONDS)).isEqualTo(data.length);
            assertThat(sink.sha256()).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(data)));
            assertThat(before.get().streamBytes()).as("the body acknowledged during the pause").isEqualTo(BODY);
            final StreamStats after = streams.sender.stats();
            return new TailCounts(after.retransmittedPackets() - before.get().retransmittedPackets(),
                after.probes() - before.get().probes(), after.tailCopies() - before.get().tailCopies());
        }
    }

    private record TailCounts(long repairs, long probes, long copies) {
    }

    /** {@code data}, with a pause of several round trips before the bytes from {@code split} on. */
    private static InputStream pausingBefore(final byte[] data, final int split, final Runnable endOfPause) {
        final InputStream last = new ByteArrayInputStream(data, split, data.length - split) {
            private boolean paused;

            @Override
            public synchronized int read(final byte[] b, final int off, final int len) {
                if (!paused) {
                    paused = true;
                    try {
                        Thread.sleep(PAUSE_MS);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    endOfPause.run();
                }
                return super.read(b, off, len);
            }
        };
        return new SequenceInputStream(new ByteArrayInputStream(data, 0, split), last);
    }
}
