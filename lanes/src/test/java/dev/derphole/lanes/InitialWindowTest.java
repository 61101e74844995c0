package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;
import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;

/**
 * The first flight on a path before any acknowledgement: the initial window of the path's controller, larger on a
 * direct path (its round-trip time is known from its probe) than on the relay.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InitialWindowTest {
    @ParameterizedTest(name = "relay={0}")
    @CsvSource({"false, 64", "true, 10"})
    void shouldSendTheInitialWindowAndNoMoreBeforeTheFirstAck(final boolean relay, final int window)
        throws Exception {
        final StreamConfig config = StreamConfig.builder()
            .sendBufferBytes(4 << 20)
            .receiveWindowBytes(4 << 20)
            .initialRto(Duration.ofSeconds(10)) // nothing is retransmitted while we count
            .peerTimeout(Duration.ofSeconds(20))
            .build();
        assertThat(relay ? config.initialWindowPackets() : config.directInitialWindowPackets()).isEqualTo(window);
        try (LossyPathPair pair = LossyPathPair.builder().name(relay ? "relay" : "direct").maxDatagram(1452)
            .lossIsCongestion(relay).rttHint(relay ? Duration.ZERO : Duration.ofMillis(40)).seed(3).build()) {
            final AtomicInteger data = new AtomicInteger();
            pair.tamperAtoB(datagram -> {
                if (datagram[WireFormat.TYPE_OFFSET] == PacketType.DATA) {
                    data.incrementAndGet();
                }
                return List.of(); // never arrives, so never acknowledged
            });
            final StreamPair streams = new StreamPair(config, StreamPair.keys(31), pair.a(), pair.b())
                .start(new DeterministicSource(31, 8 << 20), new DigestSink());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (data.get() < window && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(300); // whatever the window still allowed has left by now

            assertThat(data.get()).as("DATA datagrams before the first ACK").isEqualTo(window);
            streams.sender.abort("test over");
            streams.receiver.abort("test over");
        }
    }
}
