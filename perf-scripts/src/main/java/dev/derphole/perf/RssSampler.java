package dev.derphole.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Samples a forwarder's resident memory (summed over its processes) once per {@link #PERIOD_MS}, so a report can
 * show whether memory stays flat during a run. Runs on its own platform thread, which is the only writer of the
 * sample list; readers take a copy under the list's lock.
 */
final class RssSampler implements AutoCloseable {
    /** Sampling period in milliseconds. */
    static final long PERIOD_MS = 1000;

    /** One sample: when ({@link System#nanoTime()}) and how much (KiB). */
    record Sample(long atNs, long kb) {
    }

    /** Smallest and largest sample in a window; {@link ProcFs#UNKNOWN} both when there was none. */
    record Range(long minKb, long maxKb) {
        /** max / min, or 0 when unknown. */
        double growth() {
            return minKb > 0 ? (double)maxKb / minKb : 0;
        }
    }

    private final LongSupplier rssKb;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;

    /** Starts sampling {@code rssKb} now and then every period. */
    RssSampler(final LongSupplier rssKb) {
        this.rssKb = rssKb;
        thread = Thread.ofPlatform().daemon().name("rss-sampler").start(this::run);
    }

    private void run() {
        while (!stop) {
            final long kb = rssKb.getAsLong();
            final Sample s = new Sample(System.nanoTime(), kb);
            synchronized (samples) {
                samples.add(s);
            }
            try {
                Thread.sleep(PERIOD_MS);
            } catch (final InterruptedException e) {
                return;
            }
        }
    }

    /** Min and max of the samples taken in [{@code fromNs}, {@code toNs}]. */
    Range range(final long fromNs, final long toNs) {
        final List<Sample> copy;
        synchronized (samples) {
            copy = List.copyOf(samples);
        }
        return range(copy, fromNs, toNs);
    }

    /** Min and max of the known samples of {@code samples} taken in [{@code fromNs}, {@code toNs}]. */
    static Range range(final List<Sample> samples, final long fromNs, final long toNs) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (final Sample s : samples) {
            if (s.atNs() - fromNs >= 0 && toNs - s.atNs() >= 0 && s.kb() >= 0) {
                min = Math.min(min, s.kb());
                max = Math.max(max, s.kb());
            }
        }
        return min == Long.MAX_VALUE ? new Range(ProcFs.UNKNOWN, ProcFs.UNKNOWN) : new Range(min, max);
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(PERIOD_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
