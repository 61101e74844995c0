package dev.derphole.lanes;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Goodput over an emulated WAN link in memory: 200 Mbit/s, 20 ms each way (40 ms RTT), a 1 MiB tail-drop
 * queue, random loss 0/1/3 %. Not part of the normal suite (the name does not end in Test); run with
 * {@code bin/mvn -q -B -pl lanes -am test -Dtest=WanGoodputCheck -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WanGoodputCheck {
    private static final long LINK_BYTES_PER_SECOND = 25_000_000L; // 200 Mbit/s
    private static final int SIZE = 256 << 20;

    @ParameterizedTest(name = "{0}% loss")
    @ValueSource(doubles = {0, 1, 3})
    void measure(final double lossPercent) throws Exception {
        final StreamConfig config = StreamConfig.builder().peerTimeout(Duration.ofSeconds(30)).build();
        try (LossyPathPair pair = LossyPathPair.builder().maxDatagram(1400).lossPercent(lossPercent)
            .delay(Duration.ofMillis(20)).bandwidth(LINK_BYTES_PER_SECOND).queueBytes(1 << 20).seed(5).build()) {
            final DeterministicSource source = new DeterministicSource(5, SIZE);
            final DigestSink sink = new DigestSink();
            final long startNs = System.nanoTime();
            final StreamPair streams = new StreamPair(config, StreamPair.keys(5), pair.a(), pair.b()).start(source,
                sink);
            streams.await(240, TimeUnit.SECONDS);
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            final double fraction = SIZE / seconds / LINK_BYTES_PER_SECOND;
            System.out.printf("wan %.0f%% loss: %.1f MB/s = %.1f%% of the link (%s)%n", lossPercent,
                SIZE / seconds / 1e6, 100 * fraction, streams.sender.stats());
            assertThat(sink.sha256()).isEqualTo(source.sha256());
        }
    }
}
