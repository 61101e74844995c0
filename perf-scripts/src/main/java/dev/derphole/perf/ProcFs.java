package dev.derphole.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What Linux tells about a process in {@code /proc}: resident memory ({@code VmRSS}, and its high-water mark
 * {@code VmHWM}, from {@code /proc/PID/status}) and CPU time (user + system, through {@link ProcessHandle}, which
 * reads {@code /proc/PID/stat} with the right clock tick). Stateless; thread-safe.
 */
final class ProcFs {
    /** Returned when a value cannot be read (process gone, no /proc). */
    static final long UNKNOWN = -1;

    private ProcFs() {
    }

    /** Resident set size in KiB, or {@link #UNKNOWN}. */
    static long rssKb(final long pid) {
        return statusKb(readStatus(pid), "VmRSS");
    }

    /** Peak resident set size in KiB since the process started, or {@link #UNKNOWN}. */
    static long hwmKb(final long pid) {
        return statusKb(readStatus(pid), "VmHWM");
    }

    /** CPU time (user + system) the process has used so far in nanoseconds, or {@link #UNKNOWN}. */
    static long cpuNs(final long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos)
            .orElse(UNKNOWN);
    }

    /**
     * The value of a {@code Name:   1234 kB} line of a {@code /proc/PID/status} text.
     *
     * @return the number (KiB), or {@link #UNKNOWN} when the text is null or has no such line
     */
    static long statusKb(final String status, final String field) {
        if (status == null) {
            return UNKNOWN;
        }
        final String prefix = field + ":";
        for (final String line : status.split("\n")) {
            if (!line.startsWith(prefix)) {
                continue;
            }
            final String rest = line.substring(prefix.length()).strip();
            final int space = rest.indexOf(' ');
            final String number = space < 0 ? rest : rest.substring(0, space);
            try {
                return Long.parseLong(number);
            } catch (final NumberFormatException e) {
                return UNKNOWN;
            }
        }
        return UNKNOWN;
    }

    private static String readStatus(final long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return null;
        }
    }
}
