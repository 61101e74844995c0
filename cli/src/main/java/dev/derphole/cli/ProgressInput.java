package dev.derphole.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * A payload body that counts what is read from it on a {@link ProgressBar}, started at the first read: a sender's
 * body is first read once the receiver claimed the code, and the wait before that is not the transfer's time.
 * One reading thread; {@link #finish} and {@link #abort} from the same thread once reading ended.
 */
final class ProgressInput extends FilterInputStream {
    private final PrintStream out;
    private final long totalBytes;
    private final boolean enabled;
    private ProgressBar bar;

    /**
     * @param totalBytes the body's size, or 0 when unknown
     * @param enabled    false: count nothing, print nothing
     */
    ProgressInput(final InputStream in, final PrintStream out, final long totalBytes, final boolean enabled) {
        super(in);
        this.out = out;
        this.totalBytes = totalBytes;
        this.enabled = enabled;
    }

    @Override
    public int read() throws IOException {
        final int b = in.read();
        count(b < 0 ? -1 : 1);
        return b;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) throws IOException {
        final int n = in.read(b, off, len);
        count(n);
        return n;
    }

    private void count(final int n) {
        if (!enabled) {
            return;
        }
        if (bar == null) {
            bar = ProgressBar.start(out, totalBytes, true);
        }
        if (n > 0) {
            bar.advance(n);
        }
    }

    /** The last line at 100 %, if a bar was shown. */
    void finish() {
        if (bar != null) {
            bar.finish();
        }
    }

    /** Ends the bar's line where the transfer stopped, if a bar was shown. */
    void abort() {
        if (bar != null) {
            bar.abort();
        }
    }
}
