package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.NodeKey;

@Timeout(60)
class SendQueueTest {
    private final DerpServerCounters counters = new DerpServerCounters();
    private final NodeKey src = NodeKey.of(Curve25519KeyPair.generate().publicKey());

    @Test
    void shouldDropTheOldestPacketWhenFull() throws InterruptedException {
        final SendQueue q = new SendQueue(4, counters);
        for (int i = 0; i < 10; i++) {
            assertThat(q.offerPacket(src, new byte[] {(byte)i}, 0, 1)).isTrue();
        }
        assertThat(q.size()).isEqualTo(4);
        assertThat(counters.drops(DropReason.QUEUE_HEAD)).isEqualTo(6);
        final SendQueue.Batch batch = new SendQueue.Batch(4);
        assertThat(q.drain(batch, System.nanoTime())).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            assertThat(batch.data[i][0]).isEqualTo((byte)(6 + i));
            assertThat(batch.lengths[i]).isEqualTo(1);
            assertThat(batch.sources[i]).isSameAs(src);
        }
    }

    @Test
    void shouldDrainControlAndOnlyTheLatestPong() throws InterruptedException {
        final SendQueue q = new SendQueue(4, counters);
        q.offerPong(1);
        q.offerPong(2);
        q.offerControl(new SendQueue.Control(FrameType.PEER_GONE, src, 0, null));
        final SendQueue.Batch batch = new SendQueue.Batch(4);
        assertThat(q.drain(batch, System.nanoTime())).isEqualTo(2);
        assertThat(batch.pongPending).isTrue();
        assertThat(batch.pongData).isEqualTo(2);
        assertThat(batch.control).hasSize(1);
        batch.recycle();
        // Nothing left: the drain returns 0 once the (past) deadline is reached.
        assertThat(q.drain(batch, System.nanoTime() - 1)).isZero();
    }

    @Test
    void shouldBoundTheControlQueue() {
        final SendQueue q = new SendQueue(1, counters);
        for (int i = 0; i < SendQueue.CONTROL_CAPACITY + 5; i++) {
            q.offerControl(new SendQueue.Control(FrameType.HEALTH, null, 0, new byte[0]));
        }
        assertThat(counters.controlOverflows()).isEqualTo(5);
    }

    @Test
    void shouldCountQueuedPacketsAsGoneWhenClosedAndRefuseLaterOffers() throws InterruptedException {
        final SendQueue q = new SendQueue(8, counters);
        q.offerPacket(src, new byte[10], 0, 10);
        q.offerPacket(src, new byte[10], 0, 10);
        q.close();
        q.close();
        assertThat(counters.drops(DropReason.GONE_DISCONNECTED)).isEqualTo(2);
        assertThat(q.offerPacket(src, new byte[10], 0, 10)).isFalse();
        assertThat(q.drain(new SendQueue.Batch(8), System.nanoTime() + 1_000_000_000L)).isEqualTo(-1);
    }

    @Test
    void shouldWakeAWaitingConsumer() throws Exception {
        final SendQueue q = new SendQueue(8, counters);
        final SendQueue.Batch batch = new SendQueue.Batch(8);
        final Thread producer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(50);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            q.offerPacket(src, new byte[] {42}, 0, 1);
        });
        assertThat(q.drain(batch, System.nanoTime() + 10_000_000_000L)).isEqualTo(1);
        assertThat(batch.data[0][0]).isEqualTo((byte)42);
        producer.join();
    }

    @Test
    void shouldNotAllocateInSteadyStateForSmallPackets() throws InterruptedException {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SendQueue q = new SendQueue(32, counters);
        final SendQueue.Batch batch = new SendQueue.Batch(32);
        final byte[] packet = new byte[1400];
        for (int round = 0; round < 2000; round++) {
            cycle(q, batch, packet);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int round = 0; round < 10_000; round++) {
            cycle(q, batch, packet);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // 10,000 rounds of 16 packets: a per-packet array would be > 200 MB. Allow a little JIT noise.
        assertThat(allocated).isLessThan(64 * 1024);
    }

    private void cycle(final SendQueue q, final SendQueue.Batch batch, final byte[] packet)
        throws InterruptedException {
        for (int i = 0; i < 16; i++) {
            q.offerPacket(src, packet, 0, packet.length);
        }
        q.drain(batch, 0);
        batch.recycle();
    }

    @Test
    void shouldNotAllocateInSteadyStateForBigPacketsEither() throws InterruptedException {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SendQueue q = new SendQueue(32, counters);
        final SendQueue.Batch batch = new SendQueue.Batch(32);
        final byte[] packet = new byte[16 << 10];
        for (int round = 0; round < 2000; round++) {
            cycle(q, batch, packet);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int round = 0; round < 2_000; round++) {
            cycle(q, batch, packet);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // 2,000 rounds of 16 packets of 16 KiB: a per-packet array would be > 500 MB.
        assertThat(allocated).isLessThan(64 * 1024);
    }

    @Test
    void shouldKeepBigArraysWhileBusyAndReleaseThemOnceIdle() throws InterruptedException {
        final long idleTrimNs = 50_000_000L;
        final SendQueue q = new SendQueue(2, counters, idleTrimNs);
        final SendQueue.Batch batch = new SendQueue.Batch(2);
        final byte[] big = new byte[DerpProtocol.MAX_PACKET_SIZE];
        big[big.length - 1] = 7;
        q.offerPacket(src, big, 0, big.length);
        q.drain(batch, 0);
        assertThat(batch.data[0]).hasSize(DerpProtocol.MAX_PACKET_SIZE);
        assertThat(batch.data[0][big.length - 1]).isEqualTo((byte)7);
        batch.recycle();
        assertThat(batch.spareCount()).isEqualTo(1);

        // Busy: big packets circulate through a fixed set of arrays (ring slots + the batch's spares).
        final java.util.Set<byte[]> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < 20; i++) {
            q.offerPacket(src, big, 0, big.length);
            q.drain(batch, 0);
            seen.add(batch.data[0]);
            batch.recycle();
        }
        assertThat(seen.size()).isLessThanOrEqualTo(2 + 2);
        assertThat(batch.spareCount()).isEqualTo(1);

        // Idle for longer than the trim time: the drain lets every big array go, then times out.
        final long startNs = System.nanoTime();
        assertThat(q.drain(batch, startNs + 4 * idleTrimNs)).isZero();
        assertThat(System.nanoTime() - startNs).isGreaterThanOrEqualTo(4 * idleTrimNs);
        assertThat(batch.spareCount()).isZero();
        q.offerPacket(src, new byte[100], 0, 100);
        q.drain(batch, 0);
        assertThat(batch.data[0].length).isLessThanOrEqualTo(SendQueue.RETAIN_BUFFER_MAX);
        assertThat(seen.contains(batch.data[0])).isFalse();
    }

    @Test
    void shouldKeepSmallArraysWhenReleasingBigOnes() throws InterruptedException {
        final SendQueue q = new SendQueue(4, counters, 1_000_000L);
        final SendQueue.Batch batch = new SendQueue.Batch(4);
        q.offerPacket(src, new byte[100], 0, 100);
        q.offerPacket(src, new byte[20_000], 0, 20_000);
        q.drain(batch, 0);
        batch.recycle();
        assertThat(batch.spareCount()).isEqualTo(2);
        assertThat(q.drain(batch, System.nanoTime() + 20_000_000L)).isZero();
        assertThat(batch.spareCount()).isEqualTo(1);
    }
}
