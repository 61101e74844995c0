package dev.derphole.perf;

/**
 * Traffic counters summed over every pair of a load at one instant; two of them bound a window.
 *
 * @param sent      packets the senders handed to their client or socket
 * @param delivered packets the receivers got
 * @param bytes     payload bytes the receivers got
 * @param lost      packets the receivers found missing by sequence number
 * @param late      packets that arrived after a later one (must stay 0)
 */
record Totals(long sent, long delivered, long bytes, long lost, long late) {
    static final Totals ZERO = new Totals(0, 0, 0, 0, 0);

    Totals plus(final Totals o) {
        return new Totals(sent + o.sent, delivered + o.delivered, bytes + o.bytes, lost + o.lost, late + o.late);
    }

    /** What happened between {@code earlier} and this snapshot. */
    Totals minus(final Totals earlier) {
        return new Totals(sent - earlier.sent, delivered - earlier.delivered, bytes - earlier.bytes,
            lost - earlier.lost, late - earlier.late);
    }

    /** Lost share of what should have arrived, in percent (0 when nothing was due). */
    double lossPercent() {
        final long due = delivered + lost;
        return due == 0 ? 0 : 100.0 * lost / due;
    }
}
