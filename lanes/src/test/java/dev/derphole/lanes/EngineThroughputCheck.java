package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.derphole.lanes.testing.DeterministicSource;
import dev.derphole.lanes.testing.DigestSink;
import dev.derphole.lanes.testing.LossyPathPair;
import dev.derphole.lanes.testing.StreamPair;

/**
 * The engine's ceiling: 1 GiB through an ideal in-memory path (no loss, no delay; datagrams handed over
 * synchronously), no hashing. Not part of the normal suite (the name does not end in Test); run with
 * {@code bin/mvn -q -B -pl lanes -am test -Dtest=EngineThroughputCheck -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EngineThroughputCheck {
    private static final long SIZE = 1L << 30;

    @ParameterizedTest(name = "{0}-byte datagrams")
    @ValueSource(ints = {61_440, 1_400})
    void measure(final int datagram) throws Exception {
        final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final StreamConfig config = StreamConfig.builder().peerTimeout(Duration.ofSeconds(30)).build();
        for (int run = 0; run < 3; run++) {
            try (LossyPathPair pair = LossyPathPair.builder().maxDatagram(datagram).build()) {
                final StreamPair streams = new StreamPair(config, StreamPair.keys(run), pair.a(), pair.b());
                final long cpu0 = os.getProcessCpuTime();
                final long t0 = System.nanoTime();
                streams.start(new DeterministicSource(run, SIZE, 1 << 20, false), new DigestSink(0, false));
                final long senderThread = streams.senderThread().threadId();
                final long receiverThread = streams.receiverThread().threadId();
                long senderCpu = 0;
                long receiverCpu = 0;
                while (!streams.sent.isDone()) {
                    senderCpu = Math.max(senderCpu, threads.getThreadCpuTime(senderThread));
                    receiverCpu = Math.max(receiverCpu, threads.getThreadCpuTime(receiverThread));
                    Thread.sleep(20);
                }
                assertThat(streams.await(60, TimeUnit.SECONDS)).isEqualTo(SIZE);
                final double seconds = (System.nanoTime() - t0) / 1e9;
                final double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                final StreamStats s = streams.sender.stats();
                System.out.printf(
                    "THROUGHPUT %d-byte datagrams run %d: %.0f MB/s (%.2f s), process CPU %.2f s = %.2f CPU-s/GiB "
                        + "(%.0f %% of one core), sender engine thread %.2f s, receiver engine thread %.2f s, "
                        + "%d datagrams, %d retransmitted, window %d%n",
                    datagram, run, SIZE / seconds / 1e6, seconds, cpu, cpu, 100 * cpu / seconds, senderCpu / 1e9,
                    receiverCpu / 1e9, s.packetsSent(), s.retransmittedPackets(), s.windowBytes());
            }
        }
    }
}
