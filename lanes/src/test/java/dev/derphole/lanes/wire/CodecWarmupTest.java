package dev.derphole.lanes.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CodecWarmupTest
{
    @Test
    void shouldSealAndOpenEveryWarmupPacket()
    {
        assertThat(CodecWarmup.run(50)).isEqualTo(50);
    }

    @Test
    void shouldStartOneDaemonThreadPerProcessThatFinishes() throws InterruptedException
    {
        final Thread first = CodecWarmup.startInBackground();
        final Thread second = CodecWarmup.startInBackground();
        assertThat(second).isSameAs(first);
        assertThat(first.isDaemon()).isTrue();
        first.join(TimeUnit.SECONDS.toMillis(50));
        assertThat(first.isAlive()).isFalse();
        assertThat(CodecWarmup.startInBackground()).isSameAs(first);
    }
}
