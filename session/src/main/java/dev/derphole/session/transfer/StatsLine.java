package dev.derphole.session.transfer;

import dev.derphole.lanes.StreamStats;

/**
 * The one-line transfer summary {@code --verbose} prints at the end: enough to see why a transfer was slow. Built
 * without {@link String#format}: its first call in a process (parsing the pattern, the formatter's classes, cold)
 * took ~20 ms between the stream's end and the process's exit, on both sides. Numbers read the same in every locale
 * (a decimal point, which the benchmarks parse).
 */
final class StatsLine {
    private StatsLine() {
    }

    static String of(final StreamStats s) {
        final double retransmitPercent = s.payloadBytesSent() == 0 ? 0
            : 100.0 * s.retransmittedBytes() / s.payloadBytesSent();
        final StringBuilder line = new StringBuilder(256).append("stats bytes=").append(s.streamBytes())
            .append(" packets-sent=").append(s.packetsSent()).append(" packets-received=").append(s.packetsReceived())
            .append(" retransmitted=");
        hundredths(line, retransmitPercent).append("% loss-events=").append(s.lossEvents()).append(" probes=")
            .append(s.probes()).append(" rtt=");
        hundredths(line, s.smoothedRttNanos() / 1e6).append("ms window=").append(s.windowBytes())
            .append(" inbound-drops=").append(s.inboundDrops()).append(" duplicates=").append(s.duplicatePackets())
            .append(" auth-failures=").append(s.authFailures()).append(" tail-copies=").append(s.tailCopies());
        return line.toString();
    }

    /** {@code value} (not negative) with two decimals, rounded half up as {@code %.2f} does. */
    static StringBuilder hundredths(final StringBuilder line, final double value) {
        final long rounded = Math.round(value * 100);
        final long fraction = rounded % 100;
        return line.append(rounded / 100).append(fraction < 10 ? ".0" : ".").append(fraction);
    }
}
