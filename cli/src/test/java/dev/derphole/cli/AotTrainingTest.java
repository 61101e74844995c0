package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The AOT cache's training run in-process: a real loopback relay, listen and pipe, every byte direct. */
@Timeout(90)
class AotTrainingTest {
    private static final long BYTES = 16L << 20;

    @Test
    void shouldMoveEveryByteDirectOverLoopback() throws Exception {
        assertThat(AotTraining.run(BYTES, AotTraining.TIMEOUT_MS)).isEqualTo(BYTES);
        // The loopback switch is the training's own: it must not leak into later in-process runs.
        assertThat(System.getProperty(Transfers.ALLOW_LOOPBACK_PROPERTY)).isNull();
    }
}
