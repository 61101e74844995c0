package dev.derphole.cli;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The progress line of {@code send} and {@code receive} on stderr, redrawn in place ({@code \r}) at most ten times a
 * second in tqdm's format ({@link ProgressLine}). The rate is a bias-corrected exponential moving average of the rate
 * between two redraws (tqdm's {@code EMA}, smoothing 0.3): the first sample counts in full instead of a third, and
 * a stall pulls the rate down and the remaining time up instead of freezing both. The last line,
 * {@link #finish()}, shows 100 % and the average rate of the whole transfer, and ends with a newline; {@link #abort()}
 * ends the line where the transfer stopped. A bar built disabled ({@code --hide-progress}, {@code --silent}) counts
 * but never prints.
 * <p>
 * Threads: transfer threads count with {@link #advance} or {@link #set}, one atomic add or store (no lock, no
 * allocation, no formatting), from any number of threads. Redraws run on one daemon ticker thread, or on whoever
 * calls {@link #tick} (tests, with a fake clock); the bar's monitor orders them with the last line, never the count.
 */
public final class ProgressBar {
    /** Shortest gap between two redraws, in ns: ten a second, upstream's and tqdm's {@code mininterval}. */
    static final long REDRAW_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Weight of the newest sample in the moving average of the rate (tqdm's {@code smoothing}). */
    static final double SMOOTHING = 0.3;
    /** Shortest sleep of the ticker, in ns, so a clock that stands still cannot make it spin. */
    private static final long MIN_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final double NS_PER_SECOND = 1e9;

    private final AtomicLong bytes = new AtomicLong();
    private final PrintStream out;
    private final long totalBytes;
    private final boolean enabled;
    private final long startNs;
    private final StringBuilder line = new StringBuilder(96);
    private volatile boolean closed;
    private volatile Thread ticker;
    /** When the last redraw (or the start) was, in ns; written under the monitor, read by the ticker to sleep. */
    private volatile long lastDrawNs;
    // Guarded by this:
    private long lastDrawBytes;
    private boolean sampled;
    private double average;
    /** (1 - SMOOTHING)^samples: the weight the average's zero start still has, divided out as tqdm does. */
    private double startWeight = 1;
    private int lastLength;
    private boolean drawn;

    /** A bar with no ticker: redraws happen only on {@link #tick}. Tests give {@code startNs} from a fake clock. */
    ProgressBar(final PrintStream out, final long totalBytes, final boolean enabled, final long startNs) {
        this.out = out;
        this.totalBytes = totalBytes;
        this.enabled = enabled;
        this.startNs = startNs;
        this.lastDrawNs = startNs;
    }

    /**
     * Starts a bar at 0 bytes now, with its ticker when enabled.
     *
     * @param out        where the line goes: the terminal's stderr
     * @param totalBytes the size, or 0 (or less) when unknown
     * @param enabled    false for {@code --hide-progress} or a level that hides it: the bar then prints nothing
     */
    public static ProgressBar start(final PrintStream out, final long totalBytes, final boolean enabled) {
        final ProgressBar bar = new ProgressBar(out, totalBytes, enabled, System.nanoTime());
        if (enabled) {
            bar.ticker = Thread.ofPlatform().daemon().name("derphole-progress").start(bar::runTicker);
        }
        return bar;
    }

    /** Counts {@code count} more bytes done. Any thread; one atomic add. */
    public void advance(final long count) {
        bytes.getAndAdd(count);
    }

    /** Sets the bytes done so far, for a caller that keeps its own count. Any thread; one volatile store. */
    public void set(final long count) {
        bytes.set(count);
    }

    /** Bytes done so far. */
    public long bytes() {
        return bytes.get();
    }

    /** Ends the line at 100 %, with the average rate of the whole transfer and a newline; stops the ticker. */
    public void finish() {
        finish(System.nanoTime());
    }

    /** Ends the line where the transfer stopped (never at 100 % unless it got there) with a newline. */
    public void abort() {
        abort(System.nanoTime());
    }

    /**
     * Redraws when {@link #REDRAW_INTERVAL_NS} has passed since the last redraw, adding a rate sample.
     *
     * @return whether it redrew
     */
    synchronized boolean tick(final long nowNs) {
        if (!enabled || closed || nowNs - lastDrawNs < REDRAW_INTERVAL_NS) {
            return false;
        }
        final long current = bytes.get();
        // Until the first byte the peer is still setting up: that wait is no throughput, so the rate stays "?".
        if (sampled || current > lastDrawBytes) {
            final double seconds = (nowNs - lastDrawNs) / NS_PER_SECOND;
            final double sample = Math.max(0, current - lastDrawBytes) / seconds;
            average = SMOOTHING * sample + (1 - SMOOTHING) * average;
            startWeight *= 1 - SMOOTHING;
            sampled = true;
        }
        lastDrawBytes = current;
        lastDrawNs = nowNs;
        draw(current, nowNs, sampled ? average / (1 - startWeight) : Double.NaN, false);
        return true;
    }

    /** {@link #finish()} at {@code nowNs}; a second finish or abort does nothing. */
    void finish(final long nowNs) {
        if (!close() || !enabled) {
            return;
        }
        synchronized (this) {
            // The caller says the transfer is complete: a count short of the size (bytes not counted) reads 100 %.
            final long shown = Math.max(bytes.get(), totalBytes);
            final long elapsedNs = nowNs - startNs;
            draw(shown, nowNs, elapsedNs > 0 ? shown * NS_PER_SECOND / elapsedNs : Double.NaN, true);
        }
    }

    /** {@link #abort()} at {@code nowNs}: redraws the state at failure and ends the line, if one was drawn. */
    void abort(final long nowNs) {
        if (!close() || !enabled) {
            return;
        }
        synchronized (this) {
            if (drawn) {
                draw(bytes.get(), nowNs, sampled ? average / (1 - startWeight) : Double.NaN, true);
            }
        }
    }

    /** Marks the bar closed (first call only) and stops the ticker; no redraw can follow the one the caller makes. */
    private boolean close() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
        }
        final Thread t = ticker;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(); // outside the monitor: the ticker may be waiting for it inside tick
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt(); // closed is set, so the ticker cannot draw again anyway
            }
        }
        return true;
    }

    /** Whether the ticker thread runs (tests: {@link #finish()} and {@link #abort()} must stop it). */
    boolean ticking() {
        final Thread t = ticker;
        return t != null && t.isAlive();
    }

    private void runTicker() {
        while (!closed) {
            final long nowNs = System.nanoTime();
            tick(nowNs);
            // Sleep until the next redraw is due; an early wake-up is refused by tick and sleeps the rest.
            LockSupport.parkNanos(this, Math.max(MIN_PARK_NS, lastDrawNs + REDRAW_INTERVAL_NS - nowNs));
        }
    }

    /** Writes {@code \r} and the line, padded over the rest of a longer previous one (tqdm's status_printer). */
    private void draw(final long current, final long nowNs, final double bytesPerSecond, final boolean last) {
        line.setLength(0);
        line.append('\r');
        ProgressLine.append(line, current, totalBytes, nowNs - startNs, bytesPerSecond);
        final int length = line.length() - 1;
        if (length < lastLength) {
            line.repeat(' ', lastLength - length);
        }
        lastLength = last ? 0 : length;
        drawn = true;
        if (last) {
            line.append(System.lineSeparator());
        }
        out.append(line);
        out.flush(); // a PrintStream flushes by itself only at a newline, and a redraw has none
    }
}
