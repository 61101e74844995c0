package dev.derphole.cli;

/**
 * Formats one {@link ProgressBar} line, tqdm's {@code format_meter} as upstream derphole prints it
 * ({@code pkg/derphole/progress.go}):
 * <pre>
 *  42%|########............| 1.3GiB/3.1GiB [00:07&lt;00:09, 190.2MiB/s]    known total
 * 1.3GiB [00:07, 190.2MiB/s]                                             unknown total (0 or less)
 *   0%|....................| 0B/3.1GiB [00:01&lt;?, ?B/s]                  no rate yet (tqdm's ?)
 * </pre>
 * Sizes are binary with one decimal ({@code 1.5KiB}), plain bytes as an integer ({@code 512B}). Percentage, bar and
 * times are floored, so a line reads 100 % only once every byte is there. Built by hand into the caller's builder:
 * {@code String.format} would follow the default locale and print {@code 1,5KiB} in half of Europe.
 * <p>
 * Stateless; thread-safe.
 */
final class ProgressLine {
    /** Characters in the bar; each stands for 5 %. */
    static final int BAR_WIDTH = 20;
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};
    /** A size in bytes at or above this would round to {@code 1024B}: show KiB instead. */
    private static final double KIB_AT = 1023.5;
    /** A scaled size at or above this would read {@code 1024.0} with one decimal: show the next unit instead. */
    private static final double NEXT_UNIT_AT = 1023.95;
    private static final long NS_PER_SECOND = 1_000_000_000L;

    private ProgressLine() {
    }

    /**
     * Appends the line for {@code bytes} of {@code totalBytes} after {@code elapsedNs}.
     *
     * @param totalBytes     the size when known; 0 or less drops the percentage, bar and remaining time
     * @param bytesPerSecond the current rate; {@code NaN} (no sample yet) prints tqdm's {@code ?}
     */
    static void append(final StringBuilder sb, final long bytes, final long totalBytes, final long elapsedNs,
        final double bytesPerSecond) {
        final long shown = Math.max(0, bytes);
        final boolean rated = !Double.isNaN(bytesPerSecond);
        if (totalBytes <= 0) {
            appendSize(sb, shown);
            sb.append(" [");
            appendDuration(sb, elapsedNs / NS_PER_SECOND);
        } else {
            final int percent = percent(shown, totalBytes);
            if (percent < 100) {
                sb.append(percent < 10 ? "  " : " ");
            }
            sb.append(percent).append("%|");
            // floor(percent / 5) is floor(20 * fraction): the bar never runs ahead of the number beside it.
            final int filled = percent * BAR_WIDTH / 100;
            sb.repeat('#', filled).repeat('.', BAR_WIDTH - filled).append("| ");
            appendSize(sb, shown);
            sb.append('/');
            appendSize(sb, totalBytes);
            sb.append(" [");
            appendDuration(sb, elapsedNs / NS_PER_SECOND);
            sb.append('<');
            if (shown >= totalBytes) {
                appendDuration(sb, 0);
            } else if (rated && bytesPerSecond > 0) {
                appendDuration(sb, (long)((totalBytes - shown) / bytesPerSecond));
            } else {
                sb.append('?');
            }
        }
        sb.append(", ");
        if (rated) {
            appendSize(sb, Math.max(0, bytesPerSecond));
        } else {
            sb.append("?B");
        }
        sb.append("/s]");
    }

    /** Whole percent done, floored and capped at 100. */
    static int percent(final long bytes, final long totalBytes) {
        if (bytes >= totalBytes) {
            return 100;
        }
        // Exact for any real size: 100 * bytes is an exact double below 2^53 / 100 bytes (90 TB).
        return (int)(100.0 * bytes / totalBytes);
    }

    /** {@code bytes} in the bar's units, e.g. {@code 1.5MiB}: for the summary lines around the bar. */
    static String size(final long bytes) {
        final StringBuilder sb = new StringBuilder(12);
        appendSize(sb, bytes);
        return sb.toString();
    }

    /**
     * {@code 1023B}, {@code 1.0KiB}, {@code 1.5MiB}: binary units, one decimal, whole bytes below 1 KiB. Rounded, not
     * floored: a rate of 1000 B/s comes out of the moving average as 999.9999999999999.
     */
    static void appendSize(final StringBuilder sb, final double bytes) {
        int unit = 0;
        double scaled = bytes;
        while (unit < UNITS.length - 1 && scaled >= (unit == 0 ? KIB_AT : NEXT_UNIT_AT)) {
            scaled /= 1024;
            unit++;
        }
        if (unit == 0) {
            sb.append(Math.round(scaled));
        } else {
            final long tenths = Math.round(scaled * 10);
            sb.append(tenths / 10).append('.').append(tenths % 10);
        }
        sb.append(UNITS[unit]);
    }

    /** {@code MM:SS}, or {@code H:MM:SS} from an hour on (tqdm's {@code format_interval}). */
    static void appendDuration(final StringBuilder sb, final long seconds) {
        final long s = Math.max(0, seconds);
        final long hours = s / 3600;
        if (hours > 0) {
            sb.append(hours).append(':');
        }
        twoDigits(sb, s / 60 % 60);
        sb.append(':');
        twoDigits(sb, s % 60);
    }

    private static void twoDigits(final StringBuilder sb, final long value) {
        if (value < 10) {
            sb.append('0');
        }
        sb.append(value);
    }
}
