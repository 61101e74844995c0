package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.derphole.derp.proto.NodeKey;

class OutboundQueueTest {
    private static final NodeKey PEER = key(1);
    private static final NodeKey OTHER = key(2);

    @Test
    void shouldDropOnlyTheUntakenPacketsOfOneDestinationAndKeepTheRestInOrder() throws Exception {
        final OutboundQueue queue = connected(8);
        offer(queue, PEER, 10);
        offer(queue, OTHER, 11);
        offer(queue, PEER, 12);
        offer(queue, OTHER, 13);
        offer(queue, PEER, 14);

        assertThat(queue.discard(PEER)).isEqualTo(3);

        assertThat(takeAll(queue)).containsExactly("2:11", "2:13");
    }

    @Test
    void shouldLeaveWhatTheWriterAlreadyTookAndWorkAcrossTheRingsWrap() throws Exception {
        final OutboundQueue queue = connected(4);
        offer(queue, OTHER, 1);
        offer(queue, OTHER, 2);
        offer(queue, OTHER, 3);
        assertThat(takeAll(queue)).hasSize(3);
        queue.release(3);
        // Sequence numbers 3..6 now sit in slots 3, 0, 1, 2.
        offer(queue, PEER, 20);
        offer(queue, OTHER, 21);
        final OutboundQueue.Batch held = new OutboundQueue.Batch();
        assertThat(queue.awaitWork(1, held)).isTrue();
        assertThat(held.count).isEqualTo(2);
        offer(queue, PEER, 22);
        offer(queue, OTHER, 23);

        assertThat(queue.discard(PEER)).isEqualTo(1);

        assertThat(describe(queue, held.first)).isEqualTo("1:20");
        assertThat(describe(queue, held.first + 1)).isEqualTo("2:21");
        assertThat(takeAll(queue)).containsExactly("2:23");
    }

    @Test
    void shouldFreeRoomAndEndAFlushThatWaitedForTheDroppedPackets() throws Exception {
        final OutboundQueue queue = connected(3);
        offer(queue, PEER, 1);
        offer(queue, PEER, 2);
        offer(queue, PEER, 3);
        assertThat(queue.offer(OTHER, new byte[] {9}, 0, 1, 0, 0, "test")).isFalse();

        final Thread flusher = Thread.ofPlatform().start(() -> {
            try {
                assertThat(queue.awaitDrained(5_000_000_000L)).isTrue();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread.sleep(50);
        assertThat(queue.discard(PEER)).isEqualTo(3);
        flusher.join(2_000);

        assertThat(flusher.isAlive()).isFalse();
        assertThat(queue.offer(OTHER, new byte[] {9}, 0, 1, 0, 0, "test")).isTrue();
        assertThat(takeAll(queue)).containsExactly("2:9");
    }

    @Test
    void shouldDropNothingWhenNoPacketIsForThatDestination() throws Exception {
        final OutboundQueue queue = connected(4);
        offer(queue, OTHER, 5);

        assertThat(queue.discard(PEER)).isZero();
        assertThat(takeAll(queue)).containsExactly("2:5");
    }

    private static OutboundQueue connected(final int capacity) {
        final OutboundQueue queue = new OutboundQueue(capacity);
        queue.onConnected(1);
        return queue;
    }

    private static void offer(final OutboundQueue queue, final NodeKey dst, final int marker) throws Exception {
        final byte[] packet = new byte[marker % 3 + 1];
        Arrays.fill(packet, (byte)marker);
        assertThat(queue.offer(dst, packet, 0, packet.length, 0, 0, "test")).isTrue();
    }

    /** Takes every queued packet (without waiting) as "keyByte:marker". */
    private static List<String> takeAll(final OutboundQueue queue) throws Exception {
        final List<String> taken = new ArrayList<>();
        final OutboundQueue.Batch batch = new OutboundQueue.Batch();
        while (queue.untaken() > 0) {
            assertThat(queue.awaitWork(1, batch)).isTrue();
            for (long seq = batch.first; seq < batch.first + batch.count; seq++) {
                taken.add(describe(queue, seq));
            }
        }
        return taken;
    }

    private static String describe(final OutboundQueue queue, final long seq) {
        final byte[] buffer = queue.buffer(seq);
        final int length = queue.length(seq);
        assertThat(length).isEqualTo(buffer[0] % 3 + 1);
        for (int i = 1; i < length; i++) {
            assertThat(buffer[i]).isEqualTo(buffer[0]);
        }
        return (queue.key(seq).equals(PEER) ? 1 : 2) + ":" + buffer[0];
    }

    private static NodeKey key(final int b) {
        final byte[] k = new byte[32];
        k[0] = (byte)b;
        return NodeKey.of(k);
    }
}
