package dev.derphole.lanes.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.lanes.wire.PacketType;
import dev.derphole.lanes.wire.WireFormat;
import dev.derphole.udp.PacketPath;

/** The inbox's slot pools: datagrams up to the path's own size, larger ones up to its receive limit. */
@Timeout(30)
class InboxTest {
    /** A path that only records its handler; datagrams are pushed by the test. */
    private static final class StubPath implements PacketPath {
        private final int send;
        private final int typical;
        private final int receive;
        private PacketHandler handler;

        StubPath(final int send, final int receive) {
            this(send, send, receive);
        }

        StubPath(final int send, final int typical, final int receive) {
            this.send = send;
            this.typical = typical;
            this.receive = receive;
        }

        @Override
        public int typicalReceiveLength() {
            return typical;
        }

        @Override
        public String name() {
            return "direct";
        }

        @Override
        public int maxDatagramLength() {
            return send;
        }

        @Override
        public int maxReceiveLength() {
            return receive;
        }

        @Override
        public boolean send(final byte[] buffer, final int offset, final int length) {
            return true;
        }

        @Override
        public void receiver(final PacketHandler newHandler) {
            handler = newHandler;
        }

        @Override
        public void close() {
        }

        void deliver(final int length, final byte mark) {
            final byte[] datagram = new byte[length];
            datagram[0] = PacketType.DATA;
            datagram[length - 1] = mark;
            handler.onPacket(this, datagram, 0, length);
        }
    }

    @Test
    void shouldTakeDatagramsLargerThanThePathsOwnUpToItsReceiveLimit() {
        final StreamCounters counters = new StreamCounters();
        final Inbox inbox = new Inbox(counters, new Signal(), 1 << 20);
        final StubPath path = new StubPath(1400, 65_000);
        inbox.attach(path);

        path.deliver(1400, (byte)1);
        path.deliver(65_000, (byte)2);
        path.deliver(9000, (byte)3);
        path.deliver(65_001, (byte)4);

        final List<Integer> lengths = new ArrayList<>();
        Inbox.Slot slot;
        while ((slot = inbox.poll()) != null) {
            assertThat(slot.data[slot.offset + slot.length - 1]).isEqualTo((byte)(lengths.size() + 1));
            lengths.add(slot.length);
            inbox.release(slot);
        }
        assertThat(lengths).containsExactly(1400, 65_000, 9000);
        assertThat(counters.get(StreamCounters.MALFORMED)).as("above the receive limit").isEqualTo(1);
    }

    @Test
    void shouldBoundEachPoolAndDropWhatDoesNotFit() {
        final StreamCounters counters = new StreamCounters();
        final Inbox inbox = new Inbox(counters, new Signal(), 1 << 20);
        final StubPath path = new StubPath(1400, 65_000);
        inbox.attach(path);
        // 1 MiB of 65,000-byte slots is 16 (the minimum): the 17th large datagram finds no free slot.
        for (int i = 0; i < 17; i++) {
            path.deliver(65_000, (byte)0);
        }
        assertThat(counters.get(StreamCounters.INBOUND_DROPS)).isEqualTo(1);
        // The small pool is separate and still has room.
        path.deliver(1400, (byte)0);
        assertThat(counters.get(StreamCounters.INBOUND_DROPS)).isEqualTo(1);
        int polled = 0;
        Inbox.Slot slot;
        while ((slot = inbox.poll()) != null) {
            inbox.release(slot);
            polled++;
        }
        assertThat(polled).isEqualTo(17);
    }

    @Test
    void shouldMakeSlotsOnlyAsThePathNeedsThemUpToItsBound() {
        final StreamCounters counters = new StreamCounters();
        final Inbox inbox = new Inbox(counters, new Signal(), 8 << 20);
        final int size = 60 * 1024;
        final StubPath path = new StubPath(size, size);
        final Inbox.PathPort port = inbox.attach(path);
        final int bound = (8 << 20) / size;
        assertThat(port.slotsMade()).as("made when the path is attached").isEqualTo(16);
        for (int i = 0; i < 100; i++) {
            path.deliver(size, (byte)0);
        }
        assertThat(port.slotsMade()).isEqualTo(100);
        for (int i = 100; i <= bound; i++) {
            path.deliver(size, (byte)0);
        }
        assertThat(port.slotsMade()).isEqualTo(bound);
        assertThat(counters.get(StreamCounters.INBOUND_DROPS)).as("one beyond the bound").isEqualTo(1);
        Inbox.Slot slot;
        while ((slot = inbox.poll()) != null) {
            inbox.release(slot);
        }
        for (int i = 0; i < bound; i++) {
            path.deliver(size, (byte)0);
        }
        assertThat(port.slotsMade()).as("released slots are used again, no new ones").isEqualTo(bound);
        assertThat(counters.get(StreamCounters.INBOUND_DROPS)).isEqualTo(1);
    }

    @Test
    void shouldMakeADatagramSizedPoolInFullButNotOnTheAttachingThread() throws InterruptedException {
        final Inbox inbox = new Inbox(new StreamCounters(), new Signal(), 8 << 20);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long before = threads.getCurrentThreadAllocatedBytes();
        final Inbox.PathPort port = inbox.attach(new StubPath(1452, 1452));
        final long attaching = threads.getCurrentThreadAllocatedBytes() - before;
        // Made in full, so the engine never allocates per packet on a direct path; but not here: 8 MiB made on the
        // attaching thread took a loaded listener ~55 ms, with the sender's first direct flight waiting.
        assertThat(attaching).as("bytes allocated by attach").isLessThan(Inbox.EAGER_BYTES + (256 << 10));
        final int full = (8 << 20) / 1452;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (port.slotsMade() < full && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(port.slotsMade()).isEqualTo(full);
    }

    @Test
    void shouldCarveTheBackgroundSlotsFromBlocksBigEnoughForTheOldGenerationWithoutOverlap()
        throws InterruptedException {
        final Inbox inbox = new Inbox(new StreamCounters(), new Signal(), 8 << 20);
        final StubPath path = new StubPath(1452, 1452);
        final Inbox.PathPort port = inbox.attach(path);
        final int full = (8 << 20) / 1452;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (port.slotsMade() < full && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        // Every slot holds a datagram at once: each keeps its own bytes, blocks or not.
        final int count = Math.min(full, 4000); // within the engine queue's capacity
        for (int i = 0; i < count; i++) {
            path.deliver(1452, (byte)i);
        }
        final java.util.Set<byte[]> blocks = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < count; i++) {
            final Inbox.Slot slot = inbox.poll();
            assertThat(slot).isNotNull();
            assertThat(slot.length).isEqualTo(1452);
            assertThat(slot.data[slot.offset]).isEqualTo(PacketType.DATA);
            assertThat(slot.data[slot.offset + slot.length - 1]).isEqualTo((byte)i);
            if (slot.data.length > 1452) {
                assertThat(slot.data.length).isGreaterThan(512 << 10); // over the launcher's pretenure threshold
                blocks.add(slot.data);
            }
        }
        final int eager = Inbox.EAGER_BYTES / 1452;
        assertThat(blocks).as("blocks the slots beyond the eager ones were carved from")
            .hasSizeBetween(1, (count - eager) / ((Inbox.BLOCK_BYTES / 1452) - 1) + 1);
    }

    @Test
    void shouldSizeTheMainPoolForTheTypicalDatagramNotJustOurOwn() {
        final StreamCounters counters = new StreamCounters();
        final Inbox inbox = new Inbox(counters, new Signal(), 1 << 20);
        // We send 1,232-byte datagrams; the peer measured 1,452 for its direction (a 1500-byte MTU).
        final StubPath path = new StubPath(1232, 1472, 65_000);
        inbox.attach(path);
        for (int i = 0; i < 200; i++) {
            path.deliver(1452, (byte)0);
        }
        // 1 MiB of 1,472-byte slots holds all 200; the large pool (16 slots of 64 KiB) would have dropped most.
        assertThat(counters.get(StreamCounters.INBOUND_DROPS)).isZero();
    }

    @Test
    void shouldKeepASendersInboxToTheReceiversLargestDatagramEvenOnA64KiBPath() {
        final StreamCounters counters = new StreamCounters();
        final int max = WireFormat.MAX_RECEIVER_DATAGRAM_LENGTH;
        final Inbox inbox = new Inbox(counters, new Signal(), 1 << 20, max);
        final StubPath path = new StubPath(65_000, 65_000);
        final Inbox.PathPort port = inbox.attach(path);

        path.deliver(max, (byte)1);
        path.deliver(max + 1, (byte)2);
        // 1 MiB of small slots: far more than the 16 a 64 KiB slot size would give, in the same memory.
        for (int i = 0; i < 500; i++) {
            path.deliver(64, (byte)3);
        }

        assertThat(port.slotSize()).isEqualTo(max);
        assertThat(counters.get(StreamCounters.MALFORMED)).as("larger than any receiver datagram").isEqualTo(1);
        assertThat(counters.get(StreamCounters.INBOUND_DROPS)).isZero();
        assertThat(max).as("an ACK with every range fits").isGreaterThanOrEqualTo(
            WireFormat.PACKET_OVERHEAD + WireFormat.ACK_RANGES_OFFSET
                + WireFormat.ACK_MAX_RANGES * WireFormat.ACK_RANGE_LENGTH);
    }

    /**
     * A datagram handed over in native memory (a receive batch) lands in a slot byte for byte, from the offset it
     * sits at, and is checked like a heap one: a non-stream first byte is malformed, an empty pool drops.
     */
    @Test
    void shouldCopyDatagramsFromNativeMemoryStraightIntoASlot() {
        final StreamCounters counters = new StreamCounters();
        final Inbox inbox = new Inbox(counters, new Signal(), 1 << 20);
        final StubPath path = new StubPath(65_000, 65_000);
        inbox.attach(path);
        final SplittableRandom random = new SplittableRandom(73);
        final byte[] expected = new byte[65_000];
        random.nextBytes(expected);
        expected[0] = PacketType.DATA;
        final byte[] scratch = new byte[65_000];
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment batch = arena.allocate(3 * 65_536L);
            final long offset = 65_536L + 17;
            MemorySegment.copy(expected, 0, batch, ValueLayout.JAVA_BYTE, offset, expected.length);
            path.handler.onPacket(path, batch, offset, expected.length, scratch);
            batch.set(ValueLayout.JAVA_BYTE, 0, (byte)0x7f); // not a stream packet
            path.handler.onPacket(path, batch, 0, 100, scratch);

            final Inbox.Slot slot = inbox.poll();
            assertThat(slot).isNotNull();
            assertThat(slot.length).isEqualTo(expected.length);
            assertThat(java.util.Arrays.copyOfRange(slot.data, slot.offset, slot.offset + slot.length))
                .isEqualTo(expected);
            assertThat(slot.port.path()).isSameAs(path);
            inbox.release(slot);
            assertThat(inbox.poll()).isNull();
            assertThat(counters.get(StreamCounters.MALFORMED)).isEqualTo(1);
            assertThat(scratch).as("the inbox copies straight from native memory, not via scratch")
                .containsOnly((byte)0);

            // 1 MiB of 65,000-byte slots is 16: the 17th finds none and is dropped, as from a heap array.
            for (int i = 0; i < 17; i++) {
                path.handler.onPacket(path, batch, offset, expected.length, scratch);
            }
            assertThat(counters.get(StreamCounters.INBOUND_DROPS)).isEqualTo(1);
        }
    }
}
