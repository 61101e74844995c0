package dev.derphole.jmh.lanes;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.derphole.jmh.HotPathBenchmark;

import dev.derphole.lanes.wire.AckFrame;
import dev.derphole.lanes.wire.WireFormat;

/**
 * {@link AckFrame} encode (receiver, into its transmit buffer) and decode (sender, from an opened body), with 0,
 * 8 and 32 selective ranges (32 is StreamConfig's default maximum per ACK). Both cycle through
 * {@link #FRAMES} different frames.
 */
@State(Scope.Thread)
public class AckFrameBenchmark extends HotPathBenchmark {
    /** Distinct frames cycled through (a power of two). */
    private static final int FRAMES = 16;

    @Param({"0", "8", "32"})
    public int ranges;

    private final AckFrame[] frames = new AckFrame[FRAMES];
    private final byte[][] bodies = new byte[FRAMES][];
    private final AckFrame decoded = new AckFrame();
    private final byte[] tx = new byte[WireFormat.HEADER_LENGTH + WireFormat.ACK_RANGES_OFFSET
        + WireFormat.ACK_MAX_RANGES * WireFormat.ACK_RANGE_LENGTH];
    private int next;

    @Setup
    public void setUp() {
        final SplittableRandom random = new SplittableRandom(19);
        for (int f = 0; f < FRAMES; f++) {
            final AckFrame a = new AckFrame();
            a.flags = WireFormat.ACK_FLAG_HAS_ECHO;
            a.cumulative = random.nextLong(1L << 40);
            a.maxOffset = a.cumulative + (32 << 20);
            a.largestPacketNumber = random.nextLong(1L << 32);
            a.ackDelayMicros = random.nextInt(2_000);
            a.duplicateBytes = random.nextInt(1 << 20);
            a.rangeCount = ranges;
            long at = a.cumulative;
            for (int r = 0; r < ranges; r++) {
                at += 1 + random.nextInt(50_000); // a hole, then a received range
                a.rangeStart[r] = at;
                at += 1 + random.nextInt(50_000);
                a.rangeEnd[r] = at;
            }
            frames[f] = a;
            bodies[f] = new byte[a.length()];
            a.encode(bodies[f], 0);
        }
    }

    /** Encodes one ACK body after the clear header, as the receiver's sendAck does. */
    @Benchmark
    public int encode() {
        final AckFrame a = frames[next++ & (FRAMES - 1)];
        return a.encode(tx, WireFormat.HEADER_LENGTH) + tx[WireFormat.HEADER_LENGTH + a.length() - 1];
    }

    /** Decodes (and structurally checks) one ACK body. */
    @Benchmark
    public void decode(final Blackhole bh) {
        final int f = next++ & (FRAMES - 1);
        final byte[] body = bodies[f];
        if (!decoded.decode(body, body.length) || decoded.cumulative != frames[f].cumulative) {
            throw new IllegalStateException("ACK did not decode");
        }
        bh.consume(decoded.maxOffset);
        bh.consume(decoded.largestPacketNumber);
        bh.consume(ranges == 0 ? decoded.duplicateBytes : decoded.rangeEnd[ranges - 1]);
    }
}
