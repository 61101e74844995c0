package dev.derphole.lanes.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

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
            assertThat(slot.data[slot.length - 1]).isEqualTo((byte)(lengths.size() + 1));
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
}
