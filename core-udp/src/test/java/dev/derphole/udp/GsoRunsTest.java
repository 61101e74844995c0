package dev.derphole.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class GsoRunsTest {
    private static final InetSocketAddress A = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1000);
    private static final InetSocketAddress B = new InetSocketAddress(InetAddress.getLoopbackAddress(), 2000);

    private static PacketBatch batchOf(final int... lengths) {
        final PacketBatch batch = new PacketBatch(Math.max(1, lengths.length), 9000);
        for (final int length : lengths) {
            batch.add(new byte[length], 0, length, A);
        }
        return batch;
    }

    @Test
    void shouldGroupEqualSegmentsAndEndOnAShortOne() {
        try (PacketBatch batch = batchOf(1200, 1200, 1200, 500, 1200, 1200)) {
            assertThat(GsoRuns.runLength(batch, 0, batch.count(), 1200, 64)).isEqualTo(4);
            assertThat(GsoRuns.runLength(batch, 4, batch.count(), 1200, 64)).isEqualTo(2);
            assertThat(GsoRuns.runLength(batch, 3, batch.count(), 1200, 64)).isEqualTo(1);
        }
    }

    @Test
    void shouldNotGroupWithoutASegmentSizeOrWithALongerSlot() {
        try (PacketBatch batch = batchOf(1200, 1200, 1300, 1200)) {
            assertThat(GsoRuns.runLength(batch, 0, batch.count(), 0, 64)).isEqualTo(1);
            assertThat(GsoRuns.runLength(batch, 0, batch.count(), 1200, 64)).isEqualTo(2);
            assertThat(GsoRuns.runLength(batch, 2, batch.count(), 1200, 64)).isEqualTo(1);
        }
    }

    @Test
    void shouldRespectSegmentLimitPayloadLimitAndLimitSlot() {
        try (PacketBatch batch = batchOf(9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000, 9000)) {
            // 7 x 9000 = 63000 fits in 65507; an eighth would not.
            assertThat(GsoRuns.runLength(batch, 0, batch.count(), 9000, 64)).isEqualTo(7);
            assertThat(GsoRuns.runLength(batch, 0, batch.count(), 9000, 3)).isEqualTo(3);
            assertThat(GsoRuns.runLength(batch, 0, 2, 9000, 64)).isEqualTo(2);
        }
    }

    @Test
    void shouldSplitRunsAtADestinationChange() {
        try (PacketBatch batch = batchOf(100, 100, 100, 100)) {
            batch.address(2, B);
            assertThat(GsoRuns.runLength(batch, 0, batch.count(), 100, 64)).isEqualTo(2);
            assertThat(GsoRuns.runLength(batch, 2, batch.count(), 100, 64)).isEqualTo(1);
        }
    }
}
