package dev.derphole.session.transfer;

import dev.derphole.lanes.StreamStats;

/** The one-line transfer summary {@code --verbose} prints at the end: enough to see why a transfer was slow. */
final class StatsLine {
    private StatsLine() {
    }

    static String of(final StreamStats s) {
        final double retransmitPercent = s.payloadBytesSent() == 0 ? 0
            : 100.0 * s.retransmittedBytes() / s.payloadBytesSent();
        return String.format("stats bytes=%d packets-sent=%d packets-received=%d retransmitted=%.2f%% "
                + "loss-events=%d probes=%d rtt=%.2fms window=%d inbound-drops=%d duplicates=%d auth-failures=%d"
                + " tail-copies=%d",
            s.streamBytes(), s.packetsSent(), s.packetsReceived(), retransmitPercent, s.lossEvents(), s.probes(),
            s.smoothedRttNanos() / 1e6, s.windowBytes(), s.inboundDrops(), s.duplicatePackets(), s.authFailures(),
            s.tailCopies());
    }
}
