package dev.derphole.session.transfer;

import java.util.function.Supplier;

import dev.derphole.lanes.StreamException;
import dev.derphole.lanes.StreamStats;

/**
 * How every one-shot session runs its stream end to the end, whichever way the data flows: {@code stream-complete}
 * on success, a one-line {@link TransferException} on failure, and in either case the {@code stats} and
 * {@code direct-stats} lines.
 */
final class StreamRun {
    /** The stream end's own run: a sender's send or a receiver's receive. */
    @FunctionalInterface
    interface Body {
        long run() throws StreamException;
    }

    private StreamRun() {
    }

    /**
     * @param finished called once the stream ended, before any line: later path changes are not worth one
     * @param goneHint what to add to a vanished peer's message, e.g. " (the sender left the relay)"
     * @return the stream's length in bytes
     */
    static long toEnd(final Body body, final Runnable finished, final SessionEvents events,
        final Supplier<StreamStats> stats, final DirectAttempt direct, final Supplier<String> goneHint)
        throws TransferException {
        try {
            final long bytes = body.run();
            finished.run();
            events.status("stream-complete");
            return bytes;
        } catch (final StreamException e) {
            throw StreamFailures.of(e, goneHint.get());
        } finally {
            finished.run();
            events.status(StatsLine.of(stats.get()));
            final String directStats = direct.summary();
            if (directStats != null) {
                events.status(directStats);
            }
        }
    }
}
