package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;

/**
 * How often the receiver acknowledges under random loss: every 8 packets plus once per packet out of order (a new
 * gap, a repair). Not every other packet while a gap is open, which at 1 % loss is nearly always: on the WAN lab's
 * link that was an ACK per 1.7 DATA packets, each a system call and a trip through the kernel on both ends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AckPolicyTest {
    @Test
    void shouldAcknowledgeAboutEveryEighthPacketUnderRandomLoss() throws Exception {
        final StreamConfig config = StreamConfig.builder().sendBufferBytes(8 << 20).receiveWindowBytes(8 << 20)
            .peerTimeout(Duration.ofSeconds(20)).build();
        final long size = 16L << 20;
        // A link of 20 MB/s: datagrams arrive one by one, 70 us apart, as on a real path (in memory without a rate
        // they arrive in bursts that any policy acknowledges once).
        try (LossyPathPair pair = LossyPathPair.builder().name("direct").maxDatagram(1452).lossPercent(1)
            .delay(Duration.ofMillis(5)).bandwidth(20_000_000).queueBytes(256 << 10)
            .rttHint(Duration.ofMillis(10)).seed(41).build()) {
            final DeterministicSource source = new DeterministicSource(41, size);
            final DigestSink sink = new DigestSink();
            final StreamPair streams = new StreamPair(config, StreamPair.keys(41), pair.a(), pair.b())
                .start(source, sink);

            assertThat(streams.await(50, TimeUnit.SECONDS)).isEqualTo(size);
            assertThat(sink.sha256()).isEqualTo(source.sha256());
            final StreamStats received = streams.receiver.stats();
            final double acksPerPacket = (double)received.acks() / received.packetsReceived();
            System.out.printf("1 %% loss: %d ACKs for %d packets received (%.3f per packet)%n", received.acks(),
                received.packetsReceived(), acksPerPacket);
            // 1/8 regular, ~2 % out of order (each loss makes a gap and a repair), a few timers and the ends.
            assertThat(acksPerPacket).as("ACKs per DATA packet").isLessThan(0.2);
            assertThat(streams.sender.stats().retransmittedBytes()).as("repairs happened")
                .isPositive();
        }
    }
}
