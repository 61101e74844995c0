package dev.derphole.udp.uring;

import static dev.derphole.udp.UdpTestSupport.loopback4;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.udp.DatagramEngine;
import dev.derphole.udp.DatagramEngineConfig;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;
import dev.derphole.udp.PacketBatch;

/**
 * The FFM engines' send and receive paths allocate nothing per datagram once warm: measured with the
 * thread's allocated-bytes counter over 10,240 datagrams each way (as Tailscale's {@code ...NoAlloc} tests).
 * <p>
 * Per <i>call</i> the JDK may allocate one 40-byte segment: {@code SharedUtils.checkCaptureSegment} slices
 * the errno capture segment on every downcall, which C2's escape analysis usually (not always) removes.
 * So the bound is per datagram: any per-datagram object (at least 16 bytes each) would exceed it. The one
 * per-call step of the receive path, reading the clocks for receive stamps, is measured on its own, since an
 * object per call hides under a per-datagram bound when calls bring many datagrams.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NativeEngineAllocationTest {
    private static final int ROUNDS = 160;
    /** Enough rounds for C2 to compile the send and receive paths. */
    private static final int WARMUP_ROUNDS = 3000;
    private static final int PER_ROUND = 64;
    private static final int CLOCK_READS = 20_000;

    @ParameterizedTest
    @CsvSource({"URING, false", "URING, true", "MMSG, false", "MMSG, true"})
    void shouldNotAllocatePerDatagramOnceWarm(final EngineKind kind, final boolean gsoAndGro) throws IOException {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (DatagramEngine receiver = DatagramEngines.open(kind,
                 DatagramEngineConfig.builder(loopback4()).gro(gsoAndGro).build());
             DatagramEngine sender = DatagramEngines.open(kind, DatagramEngineConfig.builder(loopback4()).build());
             PacketBatch out = new PacketBatch(PER_ROUND, 1452);
             PacketBatch in = receiver.newReceiveBatch()) {
            final byte[] payload = new byte[1452];
            while (out.add(payload, 0, payload.length, receiver.localAddress()) >= 0) {
                // fill every slot
            }
            final int gso = gsoAndGro ? 1452 : 0;
            exchange(sender, receiver, out, in, gso, WARMUP_ROUNDS);

            final long before = threads.getCurrentThreadAllocatedBytes();
            final long received = exchange(sender, receiver, out, in, gso, ROUNDS);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertThat(received).isGreaterThan(ROUNDS * PER_ROUND * 9L / 10);
            assertThat(allocated).as("bytes allocated for %d datagrams", received).isLessThan(2 * received);
        }
    }

    @Test
    void shouldNotAllocateWhenReadingTheClocksForReceiveStamps() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            final ReceiveClock clock = new ReceiveClock(arena);
            long sum = 0;
            for (int i = 0; i < 2000; i++) {
                sum += convert(clock, 1000);
            }
            // The best of several tries: until C2 has replaced C1's code, each read keeps the JDK's capture slice.
            long fewest = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 20 && fewest >= CLOCK_READS; attempt++) {
                final long before = threads.getCurrentThreadAllocatedBytes();
                sum += convert(clock, CLOCK_READS);
                fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
            }

            assertThat(sum).isNotZero();
            // An object per read would cost at least 16 bytes each.
            assertThat(fewest).as("bytes allocated for %d clock reads", CLOCK_READS).isLessThan(CLOCK_READS);
        }
    }

    /** Converts {@code reads} stamps, each with a fresh clock read as a receive call makes it. */
    private static long convert(final ReceiveClock clock, final int reads) {
        long sum = 0;
        for (int i = 0; i < reads; i++) {
            clock.invalidate();
            sum += clock.toNanoTime(1_700_000_000_000_000_000L + i);
        }
        return sum;
    }

    /** Sends {@code rounds} full batches and receives what arrives after each; returns datagrams received. */
    private static long exchange(final DatagramEngine sender, final DatagramEngine receiver, final PacketBatch out,
        final PacketBatch in, final int gso, final int rounds) throws IOException {
        long received = 0;
        for (int r = 0; r < rounds; r++) {
            sender.sendBatch(out, gso);
            int got = 0;
            int n;
            while (got < PER_ROUND && (n = receiver.receiveBatch(in, 50_000_000L)) > 0) {
                got += n;
            }
            received += got;
        }
        return received;
    }
}
