package dev.derphole.udp;

import static dev.derphole.udp.UdpTestSupport.describe;
import static dev.derphole.udp.UdpTestSupport.describeAll;
import static dev.derphole.udp.UdpTestSupport.describeReceived;
import static dev.derphole.udp.UdpTestSupport.loopback4;
import static dev.derphole.udp.UdpTestSupport.loopback6;
import static dev.derphole.udp.UdpTestSupport.payload;
import static dev.derphole.udp.UdpTestSupport.receive;
import static dev.derphole.udp.UdpTestSupport.receivePlain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.udp.UdpTestSupport.Received;

/**
 * The behaviour every {@link DatagramEngine} must have, run once per engine by a subclass. Real sockets on
 * loopback only. An engine that cannot run here fails {@link #engineIsAvailableOnThisMachine()} rather than
 * passing silently (set {@code -Dderphole.udp.allowUnavailable=true} on a machine without it).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
public abstract class DatagramEngineContractTest {
    private static final long SEED = 0xD47A_6A11L;
    private static final long SHORT_NS = 50_000_000L;

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** The engine under test. */
    protected abstract EngineKind kind();

    /** Whether this engine's own counters show GRO super-packets (Netty splits them before we see them). */
    protected boolean countsGroMessages() {
        return kind() == EngineKind.URING || kind() == EngineKind.MMSG;
    }

    /** Whether the engine stamps received datagrams with the kernel's receive time (the FFM engines do). */
    protected boolean stampsReceiveTimes() {
        return kind() == EngineKind.URING || kind() == EngineKind.MMSG;
    }

    @BeforeEach
    void skipOnlyWhenAllowed() {
        final Throwable cause = kind().unavailabilityCause();
        if (cause != null) {
            System.err.println("UDP engine " + kind().label() + " unavailable here: " + cause);
            assumeTrue(!Boolean.getBoolean("derphole.udp.allowUnavailable"),
                "engine " + kind().label() + " unavailable here: " + cause);
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(final T resource) {
        resources.add(resource);
        return resource;
    }

    private DatagramEngine open(final DatagramEngineConfig.Builder config) throws IOException {
        final DatagramEngine engine = DatagramEngines.open(kind(), config.build());
        assertThat(engine.kind()).isEqualTo(kind());
        return track(engine);
    }

    private DatagramEngine open(final InetSocketAddress bind) throws IOException {
        return open(DatagramEngineConfig.builder(bind));
    }

    private PacketBatch batch(final int slots, final int slotCapacity) {
        return track(new PacketBatch(slots, slotCapacity));
    }

    @Test
    void engineIsAvailableOnThisMachine() {
        assertThat(kind().unavailabilityCause()).as("why %s is unavailable", kind().label()).isNull();
        assertThat(kind().isAvailable()).isTrue();
    }

    @Test
    void shouldDeliverOneDatagramWithItsSource() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(4, 1500);
        final byte[] message = payload(SEED, 1, 100);
        assertThat(out.add(message, 0, message.length, receiver.localAddress())).isZero();

        assertThat(sender.sendBatch(out)).isEqualTo(1);
        final List<Received> got = receive(receiver, batch(8, 1500), 1);

        assertThat(got).hasSize(1);
        assertThat(got.get(0).payload()).isEqualTo(message);
        assertThat(got.get(0).source()).isEqualTo(sender.localAddress());
        assertThat(sender.counters().get(UdpCounter.DATAGRAMS_SENT)).isEqualTo(1);
        assertThat(sender.counters().get(UdpCounter.BYTES_SENT)).isEqualTo(100);
        assertThat(receiver.counters().get(UdpCounter.DATAGRAMS_RECEIVED)).isEqualTo(1);
        assertThat(receiver.counters().get(UdpCounter.BYTES_RECEIVED)).isEqualTo(100);
    }

    @Test
    void shouldStampReceivedDatagramsWithTheirArrivalTimeOrLeaveZero() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(8, 1500);
        for (int i = 0; i < 8; i++) {
            final byte[] message = payload(SEED, i, 300);
            out.add(message, 0, message.length, receiver.localAddress());
        }
        final long before = System.nanoTime();
        assertThat(sender.sendBatch(out)).isEqualTo(8);
        final List<Received> got = receive(receiver, batch(8, 1500), 8);
        final long after = System.nanoTime();

        assertThat(receiver.receiveTimestamps()).isEqualTo(stampsReceiveTimes());
        assertThat(got).hasSize(8);
        if (stampsReceiveTimes()) {
            assertThat(got).extracting(Received::receivedNs)
                .allSatisfy(ns -> assertThat(ns).isBetween(before, after))
                .isSorted();
        } else {
            assertThat(got).extracting(Received::receivedNs).containsOnly(0L);
        }
    }

    @Test
    void shouldDeliverBatchesOfOneToSixtyFourInOrder() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(64, 1500);
        final PacketBatch in = batch(64, 1500);
        int sequence = 0;
        for (final int size : new int[] {1, 2, 7, 16, 33, 64}) {
            out.clear();
            final List<byte[]> expected = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                final byte[] message = payload(SEED, sequence++, 1 + (i * 97) % 1400);
                expected.add(message);
                assertThat(out.add(message, 0, message.length, receiver.localAddress())).isEqualTo(i);
            }
            assertThat(sender.sendBatch(out)).isEqualTo(size);

            final List<Received> got = receive(receiver, in, size);
            assertThat(describeReceived(got)).containsExactlyElementsOf(describeAll(expected));
        }
        assertThat(sender.counters().get(UdpCounter.SEND_ERRORS)).isZero();
        assertThat(sender.counters().get(UdpCounter.SHORT_SENDS)).isZero();
    }

    @Test
    void shouldCarryOddSizesUpToTheLargestDatagram() throws IOException {
        final DatagramEngineConfig.Builder config = DatagramEngineConfig.builder(loopback4()).maxDatagramBytes(65507);
        final DatagramEngine receiver = open(config);
        final DatagramEngine sender = open(DatagramEngineConfig.builder(loopback4()).maxDatagramBytes(65507));
        final PacketBatch out = batch(1, 65507);
        final PacketBatch in = batch(4, 65507);
        int sequence = 100;
        for (final int size : new int[] {1, 13, 1199, 1452, 1472, 9000, 65507}) {
            out.clear();
            final byte[] message = payload(SEED, sequence++, size);
            out.add(message, 0, size, receiver.localAddress());
            assertThat(sender.sendBatch(out)).as("sent %d bytes", size).isEqualTo(1);

            final List<Received> got = receive(receiver, in, 1);
            assertThat(got).as("received %d bytes", size).hasSize(1);
            assertThat(got.get(0).payload()).isEqualTo(message);
        }
        assertThat(receiver.counters().get(UdpCounter.TRUNCATED)).isZero();
    }

    @Test
    void shouldDropAndCountDatagramsLargerThanTheSlot() throws IOException {
        final DatagramEngine receiver = open(DatagramEngineConfig.builder(loopback4()).maxDatagramBytes(1000));
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(4, 1500);
        final byte[] big = payload(SEED, 1, 1200);
        final byte[] small = payload(SEED, 2, 500);
        out.add(big, 0, big.length, receiver.localAddress());
        out.add(small, 0, small.length, receiver.localAddress());
        assertThat(sender.sendBatch(out)).isEqualTo(2);

        final List<Received> got = receive(receiver, batch(8, 1000), 1);

        assertThat(describeReceived(got)).containsExactly(describe(small));
        assertThat(receiver.counters().get(UdpCounter.TRUNCATED)).isEqualTo(1);
    }

    @Test
    void shouldSendGsoRunsThatArriveAsIndividualDatagrams() throws IOException {
        try (DatagramChannel plain = DatagramChannel.open(StandardProtocolFamily.INET)) {
            plain.bind(loopback4());
            final InetSocketAddress target = (InetSocketAddress)plain.getLocalAddress();
            final DatagramEngine sender = open(DatagramEngineConfig.builder(loopback4()).gsoMaxSegments(16));
            final PacketBatch out = batch(64, 1500);
            final List<byte[]> expected = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                final byte[] message = payload(SEED, i, i == 39 ? 321 : 1200);
                expected.add(message);
                out.add(message, 0, message.length, target);
            }

            assertThat(sender.sendBatch(out, 1200)).isEqualTo(40);
            final List<byte[]> got = receivePlain(plain, 40);

            assertThat(describeAll(got)).containsExactlyElementsOf(describeAll(expected));
            if (sender.supportsGso()) {
                // 40 datagrams in runs of at most 16 segments: 16 + 16 + 8.
                assertThat(sender.counters().get(UdpCounter.GSO_MESSAGES)).isEqualTo(3);
            }
        }
    }

    @Test
    void shouldSplitGroSuperPacketsAtTheirSegmentBoundaries() throws IOException {
        final DatagramEngine receiver
            = open(DatagramEngineConfig.builder(loopback4()).gro(true).maxDatagramBytes(9000));
        final DatagramEngine sender = DatagramEngines.open(
            EngineKind.MMSG.isAvailable() ? EngineKind.MMSG : kind(),
                DatagramEngineConfig.builder(loopback4()).build());
        track(sender);
        final PacketBatch out = batch(64, 9000);
        final PacketBatch in = track(receiver.newReceiveBatch());
        // Three bursts: 16 x 1452 + a short 100; 5 x 1200 (all full); 3 x 9000 + a 1-byte tail.
        final int[][] bursts = {{1452, 16, 100}, {1200, 5, 0}, {9000, 3, 1}};
        int sequence = 0;
        final List<byte[]> expected = new ArrayList<>();
        for (final int[] burst : bursts) {
            out.clear();
            for (int i = 0; i < burst[1]; i++) {
                final byte[] message = payload(SEED, sequence++, burst[0]);
                expected.add(message);
                out.add(message, 0, message.length, receiver.localAddress());
            }
            if (burst[2] > 0) {
                final byte[] tail = payload(SEED, sequence++, burst[2]);
                expected.add(tail);
                out.add(tail, 0, tail.length, receiver.localAddress());
            }
            assertThat(sender.sendBatch(out, burst[0])).isEqualTo(out.count());
        }

        final List<Received> got = receive(receiver, in, expected.size());

        assertThat(describeReceived(got)).containsExactlyElementsOf(describeAll(expected));
        assertThat(got).extracting(Received::source).containsOnly(sender.localAddress());
        if (receiver.groEnabled() && sender.supportsGso() && countsGroMessages()) {
            assertThat(receiver.counters().get(UdpCounter.GRO_MESSAGES)).isEqualTo(3);
        }
    }

    @Test
    void shouldGroupGsoRunsByDestination() throws IOException {
        final DatagramEngine first = open(loopback4());
        final DatagramEngine second = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(32, 1500);
        final List<byte[]> toFirst = new ArrayList<>();
        final List<byte[]> toSecond = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            final boolean one = (i / 6) % 2 == 0;
            final byte[] message = payload(SEED, i, 1000);
            (one ? toFirst : toSecond).add(message);
            out.add(message, 0, message.length, (one ? first : second).localAddress());
        }

        assertThat(sender.sendBatch(out, 1000)).isEqualTo(24);

        assertThat(describeReceived(receive(first, batch(32, 1500),
            12))).containsExactlyElementsOf(describeAll(toFirst));
        assertThat(describeReceived(receive(second, batch(32, 1500),
            12))).containsExactlyElementsOf(describeAll(toSecond));
    }

    @Test
    void shouldSendToTheConnectedPeerWhenSlotsHaveNoAddress() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(DatagramEngineConfig.builder(loopback4()).connect(receiver.localAddress()));
        final PacketBatch out = batch(8, 1500);
        final List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            final byte[] message = payload(SEED, i, 1200);
            expected.add(message);
            out.add(message, 0, message.length);
        }

        assertThat(sender.sendBatch(out, 1200)).isEqualTo(8);

        assertThat(describeReceived(receive(receiver, batch(8, 1500),
            8))).containsExactlyElementsOf(describeAll(expected));
    }

    @Test
    void shouldCountSlotsWithoutDestinationOnAnUnconnectedSocket() throws IOException {
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(2, 100);
        out.add(new byte[10], 0, 10);

        assertThat(sender.sendBatch(out)).isZero();
        assertThat(sender.counters().get(UdpCounter.SEND_ERRORS)).isEqualTo(1);
    }

    @Test
    void shouldLeaveWhatDoesNotFitTheBatchForTheNextReceive() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(40, 1500);
        final List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            final byte[] message = payload(SEED, i, 200 + i);
            expected.add(message);
            out.add(message, 0, message.length, receiver.localAddress());
        }
        assertThat(sender.sendBatch(out)).isEqualTo(40);

        final PacketBatch small = batch(16, 1500);
        final List<byte[]> got = new ArrayList<>();
        final long deadline = System.nanoTime() + UdpTestSupport.ARRIVAL_TIMEOUT_NS;
        while (got.size() < 40 && System.nanoTime() < deadline) {
            final int n = receiver.receiveBatch(small, 100_000_000L);
            assertThat(n).isBetween(0, 16);
            assertThat(small.count()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                final byte[] bytes = new byte[small.length(i)];
                small.copyTo(i, bytes, 0);
                got.add(bytes);
            }
        }

        assertThat(describeAll(got)).containsExactlyElementsOf(describeAll(expected));
    }

    @Test
    void shouldSendAFullBatchIntactAfterRefusingExtraClaims() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(8, 1500);
        final List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            final byte[] message = payload(SEED, i, 600);
            expected.add(message);
            out.add(message, 0, message.length, receiver.localAddress());
        }
        final byte[] extra = payload(SEED, 99, 600);

        assertThat(out.add(extra, 0, extra.length, receiver.localAddress())).isEqualTo(-1);
        assertThat(out.claim()).isEqualTo(-1);
        assertThat(out.claimRefusals()).isEqualTo(2);
        assertThat(sender.sendBatch(out)).isEqualTo(8);

        assertThat(describeReceived(receive(receiver, batch(16, 1500),
            8))).containsExactlyElementsOf(describeAll(expected));
    }

    @Test
    void shouldReturnZeroWhenNothingArrivesInTime() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final PacketBatch in = batch(8, 1500);

        assertThat(receiver.receiveBatch(in, 0)).isZero();
        final long start = System.nanoTime();
        assertThat(receiver.receiveBatch(in, SHORT_NS)).isZero();
        final long waitedNs = System.nanoTime() - start;

        assertThat(waitedNs).isBetween(SHORT_NS - 5_000_000L, 2_000_000_000L);
        assertThat(in.count()).isZero();
    }

    @Test
    void shouldRefuseUseAfterClose() throws IOException {
        final DatagramEngine engine = open(loopback4());
        final PacketBatch batch = batch(4, 1500);
        batch.add(new byte[10], 0, 10, engine.localAddress());

        engine.close();
        engine.close();

        assertThat(engine.isOpen()).isFalse();
        assertThatThrownBy(() -> engine.sendBatch(batch)).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> engine.receiveBatch(batch, 0)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void shouldWakeABlockedReceiveOnClose() throws Exception {
        final DatagramEngine engine = open(loopback4());
        final PacketBatch batch = batch(8, 1500);
        final CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        final Thread receiver = Thread.ofPlatform().name("contract-receiver").start(() -> {
            try {
                engine.receiveBatch(batch, 20_000_000_000L);
                outcome.complete(null);
            } catch (final Throwable t) {
                outcome.complete(t);
            }
        });
        Thread.sleep(100);

        final long start = System.nanoTime();
        engine.close();
        final Throwable thrown = outcome.get(5, TimeUnit.SECONDS);
        receiver.join(1000);

        assertThat(thrown).isInstanceOf(ClosedChannelException.class);
        assertThat(System.nanoTime() - start).isLessThan(3_000_000_000L);
    }

    @Test
    void shouldWorkOverIpv6Loopback() throws IOException {
        final String why = UdpTestSupport.ipv6Unavailable();
        assumeTrue(why == null, why);
        final DatagramEngine receiver = open(DatagramEngineConfig.builder(loopback6()).maxDatagramBytes(9000));
        final DatagramEngine sender = open(loopback6());
        final PacketBatch out = batch(32, 9000);
        final List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            final byte[] message = payload(SEED, i, i < 19 ? 1400 : 77);
            expected.add(message);
            out.add(message, 0, message.length, receiver.localAddress());
        }
        final byte[] jumbo = payload(SEED, 20, 9000);
        expected.add(jumbo);
        out.add(jumbo, 0, jumbo.length, receiver.localAddress());

        assertThat(sender.sendBatch(out, 1400)).isEqualTo(21);
        final List<Received> got = receive(receiver, batch(32, 9000), 21);

        assertThat(describeReceived(got)).containsExactlyElementsOf(describeAll(expected));
        assertThat(got.get(0).source()).isEqualTo(sender.localAddress());
    }

    @Test
    void shouldReceiveGroOverIpv6Loopback() throws IOException {
        final String why = UdpTestSupport.ipv6Unavailable();
        assumeTrue(why == null, why);
        final DatagramEngine receiver = open(DatagramEngineConfig.builder(loopback6()).gro(true));
        final DatagramEngine sender = open(loopback6());
        final PacketBatch out = batch(32, 1500);
        final List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            final byte[] message = payload(SEED, i, i < 24 ? 1452 : 3);
            expected.add(message);
            out.add(message, 0, message.length, receiver.localAddress());
        }

        assertThat(sender.sendBatch(out, 1452)).isEqualTo(25);
        final List<Received> got = receive(receiver, track(receiver.newReceiveBatch()), 25);

        assertThat(describeReceived(got)).containsExactlyElementsOf(describeAll(expected));
    }

    @Test
    void shouldKeepCountersReadableWhileSending() throws IOException {
        final DatagramEngine receiver = open(loopback4());
        final DatagramEngine sender = open(loopback4());
        final PacketBatch out = batch(16, 1500);
        for (int i = 0; i < 16; i++) {
            out.add(ByteBuffer.allocate(4).putInt(i).array(), 0, 4, receiver.localAddress());
        }
        for (int round = 0; round < 10; round++) {
            assertThat(sender.sendBatch(out)).isEqualTo(16);
        }
        receive(receiver, batch(64, 1500), 160);

        assertThat(sender.counters().get(UdpCounter.DATAGRAMS_SENT)).isEqualTo(160);
        assertThat(receiver.counters().get(UdpCounter.DATAGRAMS_RECEIVED)).isEqualTo(160);
        assertThat(sender.counters().toString()).contains("datagrams sent=160");
    }
}
