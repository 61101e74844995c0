package dev.derphole.perf;

/** Traffic running through a forwarder: N sender → receiver pairs. Closing stops and joins every thread. */
interface Load extends AutoCloseable {
    /** Counters summed over every pair, now. */
    Totals totals();

    @Override
    void close();
}
