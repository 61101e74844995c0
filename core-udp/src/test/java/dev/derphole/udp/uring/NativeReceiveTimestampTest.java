package dev.derphole.udp.uring;

import static dev.derphole.udp.UdpTestSupport.loopback4;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;
import dev.derphole.udp.UdpCounter;
import dev.derphole.udp.UdpTestSupport;

/**
 * The FFM engines stamp every received datagram with the kernel's receive time on the {@code nanoTime} clock.
 * Two flights sent {@link #GAP_NS} apart and received together tell a kernel stamp from one taken when the
 * receive call ran: the first flight's stamps must lie before the gap's end, the second's after it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NativeReceiveTimestampTest {
    private static final long GAP_NS = 20_000_000L;
    /** Clock slack for the first batch of the GRO case (see there). */
    private static final long SLACK_NS = 1_000_000L;

    /** A received datagram's stamp and the {@code nanoTime} just after the receive call that returned it. */
    private record Stamp(long receivedNs, long returnedNs) {
    }

    @ParameterizedTest
    @EnumSource(value = EngineKind.class, names = {"URING", "MMSG"})
    void shouldStampEachDatagramWhenItArrivedNotWhenItWasRead(final EngineKind kind) throws IOException {
        try (DatagramEngine receiver = DatagramEngines.open(kind, DatagramEngineConfig.builder(loopback4()).build());
             DatagramEngine sender = DatagramEngines.open(kind, DatagramEngineConfig.builder(loopback4()).build());
             PacketBatch out = new PacketBatch(8, 1500);
             PacketBatch in = new PacketBatch(8, 1500)) {
            assertThat(receiver.receiveTimestamps()).isTrue();
            final long before = System.nanoTime();
            send(sender, out, receiver, 1, 0);
            LockSupport.parkNanos(GAP_NS);
            final long between = System.nanoTime();
            send(sender, out, receiver, 4, 0);
            LockSupport.parkNanos(GAP_NS);

            final List<Stamp> stamps = receive(receiver, in, 5);

            assertThat(stamps).hasSize(5);
            assertThat(stamps.get(0).receivedNs()).as("first flight").isBetween(before, between);
            for (final Stamp stamp : stamps.subList(1, 5)) {
                assertThat(stamp.receivedNs()).as("second flight").isBetween(between, stamp.returnedNs());
            }
            assertNonDecreasing(stamps);
        }
    }

    @ParameterizedTest
    @EnumSource(value = EngineKind.class, names = {"URING", "MMSG"})
    void shouldGiveEverySegmentOfAGroSuperPacketTheSameStamp(final EngineKind kind) throws IOException {
        try (DatagramEngine receiver = DatagramEngines.open(kind,
                 DatagramEngineConfig.builder(loopback4()).gro(true).build());
             DatagramEngine sender = DatagramEngines.open(kind, DatagramEngineConfig.builder(loopback4()).build());
             PacketBatch out = new PacketBatch(16, 1200);
             PacketBatch in = receiver.newReceiveBatch()) {
            final long before = System.nanoTime();
            send(sender, out, receiver, 16, 1200);
            LockSupport.parkNanos(GAP_NS);
            final long between = System.nanoTime();
            send(sender, out, receiver, 16, 1200);

            final List<Stamp> stamps = receive(receiver, in, 32);

            assertThat(stamps).hasSize(32);
            // The kernel stamps a GRO batch when it hands it on, and a deferred softirq may do that after the gap
            // (seen once: 0.3 ms after it); so the first batch is only known to come before the second. Once (a
            // clean-clone suite run) a first batch's stamp also fell outside [before, second batch] by an amount
            // the report did not show (the stamp is CLOCK_REALTIME moved onto nanoTime): a millisecond of slack,
            // a twentieth of the gap, and the numbers in the message.
            final long secondNs = stamps.get(16).receivedNs();
            assertThat(stamps.subList(0, 16)).extracting(Stamp::receivedNs).allSatisfy(ns -> assertThat(ns)
                .as("first batch at %d, sent after %d, second batch at %d", ns, before, secondNs)
                .isBetween(before - SLACK_NS, secondNs + SLACK_NS));
            assertThat(stamps.subList(16, 32)).extracting(Stamp::receivedNs)
                .allSatisfy(ns -> assertThat(ns).isBetween(between, stamps.get(31).returnedNs()));
            // In order within each batch; across them only within the slack above (a clean-clone run saw the last
            // of the first batch stamped 0.17 ms after the first of the second: the late flush again).
            assertNonDecreasing(stamps.subList(0, 16));
            assertNonDecreasing(stamps.subList(16, 32));
            if (receiver.groEnabled() && sender.supportsGso()) {
                assertThat(receiver.counters().get(UdpCounter.GRO_MESSAGES)).isEqualTo(2);
                assertThat(stamps.subList(0, 16)).extracting(Stamp::receivedNs)
                    .containsOnly(stamps.get(0).receivedNs());
                assertThat(stamps.subList(16, 32)).extracting(Stamp::receivedNs)
                    .containsOnly(stamps.get(16).receivedNs());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = EngineKind.class, names = {"URING", "MMSG"})
    void shouldLeaveReceiveTimesZeroWhenStampsAreOff(final EngineKind kind) throws IOException {
        for (final boolean gro : new boolean[] {false, true}) {
            final DatagramEngineConfig config =
                DatagramEngineConfig.builder(loopback4()).gro(gro).receiveTimestamps(false).build();
            try (DatagramEngine receiver = DatagramEngines.open(kind, config);
                 DatagramEngine sender = DatagramEngines.open(kind, DatagramEngineConfig.builder(loopback4()).build());
                 PacketBatch out = new PacketBatch(4, 1200);
                 PacketBatch in = receiver.newReceiveBatch()) {
                assertThat(receiver.receiveTimestamps()).isFalse();
                send(sender, out, receiver, 4, 1200);

                final List<Stamp> stamps = receive(receiver, in, 4);

                assertThat(stamps).as("gro %s", gro).hasSize(4).extracting(Stamp::receivedNs).containsOnly(0L);
            }
        }
    }

    /** Sends {@code count} datagrams of the batch's slot size to {@code receiver}, as GSO runs when {@code gso}. */
    private static void send(final DatagramEngine sender, final PacketBatch out, final DatagramEngine receiver,
        final int count, final int gso) throws IOException {
        out.clear();
        final byte[] payload = new byte[out.slotCapacity()];
        for (int i = 0; i < count; i++) {
            out.add(payload, 0, payload.length, receiver.localAddress());
        }
        assertThat(sender.sendBatch(out, gso)).isEqualTo(count);
    }

    /** Receives until {@code count} datagrams arrived or the arrival timeout passed. */
    private static List<Stamp> receive(final DatagramEngine receiver, final PacketBatch in, final int count)
        throws IOException {
        final List<Stamp> stamps = new ArrayList<>();
        final long deadline = System.nanoTime() + UdpTestSupport.ARRIVAL_TIMEOUT_NS;
        while (stamps.size() < count && System.nanoTime() < deadline) {
            final int n = receiver.receiveBatch(in, 100_000_000L);
            final long returned = System.nanoTime();
            for (int i = 0; i < n; i++) {
                stamps.add(new Stamp(in.receivedNs(i), returned));
            }
        }
        return stamps;
    }

    private static void assertNonDecreasing(final List<Stamp> stamps) {
        for (int i = 1; i < stamps.size(); i++) {
            assertThat(stamps.get(i).receivedNs()).as("stamp %d", i)
                .isGreaterThanOrEqualTo(stamps.get(i - 1).receivedNs());
        }
    }
}
