package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Redraw timing, the moving average of the rate, the last line, and counting, driven by a fake clock. */
@Timeout(30)
class ProgressBarTest {
    private static final long KIB = 1024;
    private static final long MIB = KIB * KIB;
    private static final long GIB = MIB * KIB;
    /** Start of the fake clock: any nanoTime, far from 0 so the bar cannot mistake it for elapsed time. */
    private static final long T0 = 987_654_321_000L;
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    private static final String NL = System.lineSeparator();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void shouldCountTheFirstSampleAtItsRawRate() {
        final ProgressBar bar = new ProgressBar(err, 4 * MIB, true, T0);
        bar.advance(512 * KIB);
        assertThat(bar.tick(T0 + 99 * MS)).as("before the first interval").isFalse();
        assertThat(output()).isEmpty();
        assertThat(bar.tick(T0 + SECOND)).isTrue();
        // An average left at its zero start would read 153.6KiB/s (0.3 of the sample) and 23 s to go.
        assertThat(output()).isEqualTo("\r 12%|##..................| 512.0KiB/4.0MiB [00:01<00:07, 512.0KiB/s]");
    }

    @Test
    void shouldAverageLaterSamplesWithTheBiasCorrection() {
        final ProgressBar bar = new ProgressBar(err, 4 * MIB, true, T0);
        bar.advance(512 * KIB);
        bar.tick(T0 + SECOND);
        bar.advance(MIB);
        clear();
        assertThat(bar.tick(T0 + 2 * SECOND)).isTrue();
        // (0.3 * 1 MiB/s + 0.7 * 0.3 * 512 KiB/s) / (1 - 0.7^2) = 832,692.7 B/s = 813.2 KiB/s; 2.5 MiB left: 3.1 s.
        // A mean of the two samples would read 768.0KiB/s; two spaces clear the end of the longer line before.
        assertThat(output()).isEqualTo("\r 37%|#######.............| 1.5MiB/4.0MiB [00:02<00:03, 813.2KiB/s]  ");
    }

    @Test
    void shouldShowNoRateBeforeTheFirstByte() {
        final ProgressBar bar = new ProgressBar(err, 4 * MIB, true, T0);
        bar.tick(T0 + SECOND);
        assertThat(output()).isEqualTo("\r  0%|....................| 0B/4.0MiB [00:01<?, ?B/s]");
        bar.advance(MIB);
        clear();
        bar.tick(T0 + 2 * SECOND);
        assertThat(output()).as("the wait before the first byte is no sample")
            .isEqualTo("\r 25%|#####...............| 1.0MiB/4.0MiB [00:02<00:03, 1.0MiB/s]");
    }

    @Test
    void shouldRedrawAtMostTenTimesPerSecond() {
        final ProgressBar bar = new ProgressBar(err, 100 * MIB, true, T0);
        int redraws = 0;
        for (int ms = 1; ms <= 1_000; ms++) {
            bar.advance(100 * KIB);
            redraws += bar.tick(T0 + ms * MS) ? 1 : 0;
        }
        assertThat(redraws).isEqualTo(10);
        assertThat(output().chars().filter(c -> c == '\r').count()).isEqualTo(10);
        assertThat(output()).endsWith(" 97%|###################.| 97.7MiB/100.0MiB [00:01<00:00, 97.7MiB/s]");
    }

    @Test
    void shouldPadAShorterLineOverTheRestOfTheLongerOne() {
        final ProgressBar bar = new ProgressBar(err, 0, true, T0);
        bar.advance(1_000);
        bar.tick(T0 + SECOND);
        bar.tick(T0 + 2 * SECOND);
        // A stalled second: the rate falls to (0.7 * 0.3 * 1000) / 0.51 = 411.8 B/s (412B/s), one character shorter.
        assertThat(output()).isEqualTo("\r1000B [00:01, 1000B/s]" + "\r1000B [00:02, 412B/s] ");
    }

    @Test
    void shouldEndAtOneHundredPercentWithTheAverageRateAndANewline() {
        final ProgressBar bar = new ProgressBar(err, 3 * GIB, true, T0);
        bar.advance(GIB);
        bar.tick(T0 + SECOND);
        bar.advance(2 * GIB - 1);
        clear();
        bar.finish(T0 + 10 * SECOND);
        assertThat(output()).isEqualTo("\r100%|####################| 3.0GiB/3.0GiB [00:10<00:00, 307.2MiB/s]" + NL);
        clear();
        bar.finish(T0 + 11 * SECOND);
        bar.abort(T0 + 11 * SECOND);
        assertThat(bar.tick(T0 + 12 * SECOND)).isFalse();
        assertThat(output()).as("nothing after the last line").isEmpty();
    }

    @Test
    void shouldEndAnUnknownTotalWithTheCountAndANewline() {
        final ProgressBar bar = new ProgressBar(err, 0, true, T0);
        bar.advance(3 * MIB);
        bar.finish(T0 + 2 * SECOND);
        assertThat(output()).isEqualTo("\r3.0MiB [00:02, 1.5MiB/s]" + NL);
    }

    @Test
    void shouldEndTheLineWithoutClaimingCompletionOnAbort() {
        final ProgressBar bar = new ProgressBar(err, 4 * MIB, true, T0);
        bar.advance(512 * KIB);
        bar.tick(T0 + SECOND);
        bar.advance(512 * KIB);
        clear();
        bar.abort(T0 + SECOND + 500 * MS);
        // The rate of the last redraw; two spaces clear the end of the longer line before.
        assertThat(output()).isEqualTo("\r 25%|#####...............| 1.0MiB/4.0MiB [00:01<00:06, 512.0KiB/s]  " + NL);
        clear();
        bar.finish(T0 + 2 * SECOND);
        assertThat(output()).as("a finish after the abort").isEmpty();
    }

    @Test
    void shouldPrintNothingOnAnAbortBeforeTheFirstRedraw() {
        final ProgressBar bar = new ProgressBar(err, 4 * MIB, true, T0);
        bar.advance(KIB);
        bar.abort(T0 + 50 * MS);
        assertThat(output()).isEmpty();
    }

    @Test
    void shouldPrintNothingWhenDisabled() {
        final ProgressBar bar = new ProgressBar(err, 4 * MIB, false, T0);
        bar.advance(MIB);
        assertThat(bar.tick(T0 + SECOND)).isFalse();
        bar.finish(T0 + 2 * SECOND);
        final ProgressBar aborted = new ProgressBar(err, 0, false, T0);
        aborted.tick(T0 + SECOND);
        aborted.abort(T0 + 2 * SECOND);
        final ProgressBar started = ProgressBar.start(err, MIB, false);
        assertThat(started.ticking()).as("no ticker").isFalse();
        started.finish();
        assertThat(output()).isEmpty();
        assertThat(bar.bytes()).as("it still counts").isEqualTo(MIB);
    }

    @Test
    void shouldStopTheTickerOnFinish() {
        final ProgressBar bar = ProgressBar.start(err, KIB, true);
        assertThat(bar.ticking()).isTrue();
        bar.set(KIB);
        bar.finish();
        assertThat(bar.ticking()).isFalse();
        assertThat(output()).as("a last line even if the ticker drew before it")
            .containsPattern("\r100%\\|#{20}\\| 1\\.0KiB/1\\.0KiB \\[\\d\\d:\\d\\d<00:00, [^\r]+/s] *" + NL + "$");
        final ProgressBar aborted = ProgressBar.start(err, KIB, true);
        aborted.abort();
        assertThat(aborted.ticking()).isFalse();
    }

    @Test
    void shouldLoseNoBytesAdvancedFromManyThreads() throws InterruptedException {
        final ProgressBar bar = new ProgressBar(err, 0, true, T0);
        final int threads = 4;
        final int adds = 200_000;
        final CountDownLatch go = new CountDownLatch(1);
        final List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (final InterruptedException e) {
                    return;
                }
                for (int n = 0; n < adds; n++) {
                    bar.advance(3);
                }
            }));
        }
        go.countDown();
        // Redraws read the count meanwhile, as the ticker would.
        for (int ms = 100; ms <= 100_000 && workers.stream().anyMatch(Thread::isAlive); ms += 100) {
            bar.tick(T0 + ms * MS);
        }
        for (final Thread worker : workers) {
            worker.join();
        }
        assertThat(bar.bytes()).isEqualTo(3L * threads * adds);
    }

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void clear() {
        bytes.reset();
    }
}
