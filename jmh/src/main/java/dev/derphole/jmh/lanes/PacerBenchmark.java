package dev.derphole.jmh.lanes;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.derphole.jmh.HotPathBenchmark;
import dev.derphole.lanes.rate.Pacer;

/**
 * {@link Pacer} per packet as {@code SendEngine.sendData} uses it: ask {@code delayNs} for the datagram; when it
 * must wait, the simulated clock jumps to the send time (the engine parks until then); then {@code onSent}.
 * Datagram sizes and the time between calls come from a seeded table, so both branches (send now, wait) are
 * taken. The rate is 1 GB/s with a 64 KiB burst.
 */
@State(Scope.Thread)
public class PacerBenchmark extends HotPathBenchmark {
    private static final long RATE_BYTES_PER_SECOND = 1_000_000_000L;
    private static final long BURST_BYTES = 64 << 10;
    /** Entries in the size/gap table (a power of two). */
    private static final int TABLE = 1024;
    private static final int[] DATAGRAM_SIZES = {1_435, 1_435, 1_435, 8_227, 61_475};

    private final Pacer pacer = new Pacer();
    private final int[] sizes = new int[TABLE];
    private final long[] gapsNs = new long[TABLE];
    private long nowNs;
    private int next;

    @Setup
    public void setUp() {
        final SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < TABLE; i++) {
            sizes[i] = DATAGRAM_SIZES[random.nextInt(DATAGRAM_SIZES.length)];
            gapsNs[i] = random.nextInt(4_000); // 0-4 µs: sometimes faster than the rate, sometimes slower
        }
        nowNs = 1_000_000_000L;
        pacer.configure(RATE_BYTES_PER_SECOND, BURST_BYTES, nowNs);
    }

    /** One datagram: delay query, wait if needed, send accounting; returns the delay. */
    @Benchmark
    public long delayThenSend() {
        final int i = next++ & (TABLE - 1);
        nowNs += gapsNs[i];
        final long delay = pacer.delayNs(nowNs, sizes[i]);
        if (delay > 0) {
            nowNs += delay;
            if (pacer.delayNs(nowNs, sizes[i]) != 0) {
                throw new IllegalStateException("pacer still says wait after its own delay");
            }
        }
        pacer.onSent(nowNs, sizes[i]);
        return delay;
    }
}
