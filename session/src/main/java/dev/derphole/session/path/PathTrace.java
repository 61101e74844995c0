package dev.derphole.session.path;

import java.util.concurrent.TimeUnit;

/**
 * Diagnostics: with {@code DERPHOLE_TRACE_PATH} set, the direct path's events (validated, dead, recovered, peer
 * addresses learned or updated) on stderr, one {@code path-trace} line each, with milliseconds since the class
 * loaded. Rare events only (a handful per session), so a line costs nothing that matters.
 */
final class PathTrace {
    static final boolean ON = System.getenv("DERPHOLE_TRACE_PATH") != null;
    private static final long START_NS = System.nanoTime();

    private PathTrace() {
    }

    static void log(final String format, final Object... args) {
        if (ON) {
            System.err.println("path-trace +" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - START_NS) + " ms "
                + String.format(format, args));
        }
    }
}
