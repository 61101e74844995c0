package dev.derphole.lanes.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CodecWarmupTest {
    @Test
    void shouldSealAndOpenEveryWarmupPacket() {
        assertThat(CodecWarmup.run(50)).isEqualTo(50);
    }

    @Test
    void shouldCoverThePacketShapesOfRealTraffic() {
        final Set<Integer> lengths = new TreeSet<>();
        for (int i = 1; i <= CodecWarmup.ROUNDS; i++) {
            lengths.add(CodecWarmup.bodyLength(i));
        }
        final int aesBlock = 16;
        final int intrinsicThreshold = 512;
        assertThat(lengths).as("empty bodies (HEARTBEAT, CLOSE)").contains(0);
        assertThat(lengths).as("ACK-sized bodies below the intrinsic's threshold")
            .anyMatch(n -> n > 0 && n < intrinsicThreshold);
        assertThat(lengths).as("bodies for the intrinsic that are not whole AES blocks")
            .anyMatch(n -> n >= intrinsicThreshold && n % aesBlock != 0 && n / aesBlock < 256);
        assertThat(lengths).as("bodies that wrap the GCM counter's low byte").anyMatch(n -> n / aesBlock > 256);
    }

    @Test
    void shouldStartOneDaemonThreadPerProcessThatFinishes() throws InterruptedException {
        final Thread first = CodecWarmup.startInBackground();
        final Thread second = CodecWarmup.startInBackground();
        assertThat(second).isSameAs(first);
        assertThat(first.isDaemon()).isTrue();
        first.join(TimeUnit.SECONDS.toMillis(50));
        assertThat(first.isAlive()).isFalse();
        assertThat(CodecWarmup.startInBackground()).isSameAs(first);
    }
}
