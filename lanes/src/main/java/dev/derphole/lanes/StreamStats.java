package dev.derphole.lanes;

import dev.derphole.lanes.engine.StreamCounters;

/**
 * A snapshot of one endpoint's counters (see {@link StreamCounters} for each one's meaning).
 *
 * @param streamBytes          bytes acknowledged as received (sender) or delivered to the sink (receiver)
 * @param packetsSent          datagrams sent, every type
 * @param packetsReceived      authenticated datagrams received
 * @param payloadBytesSent     DATA payload bytes sent, retransmissions included
 * @param retransmittedBytes   DATA payload bytes sent again
 * @param retransmittedPackets DATA packets sent again
 * @param duplicateBytes       DATA bytes received twice (receiver)
 * @param duplicatePackets     DATA packets that brought nothing new (receiver)
 * @param authFailures         packets with a bad tag or the wrong key
 * @param replays              packets with a packet number already seen or too old
 * @param malformed            packets of wrong length, version, type or layout
 * @param afterClose           packets that arrived after this endpoint finished
 * @param inboundDrops         datagrams dropped because the engine's inbound queue was full
 * @param protocolViolations   authenticated packets contradicting the stream state
 * @param flowControlDrops     DATA bytes received beyond the advertised credit (receiver)
 * @param lossEvents           congestion window reductions
 * @param probes               probe timeouts answered with a probe packet (sender)
 * @param rtoExpiries          retransmission timeouts (unanswered probes: persistent congestion)
 * @param acks                 ACKs sent (receiver) or received (sender)
 * @param pathSwitches         path switches applied
 * @param smoothedRttNanos     smoothed round-trip time (sender), 0 if unknown
 * @param minRttNanos          minimum round-trip time (sender), 0 if unknown
 * @param windowBytes          congestion window (sender)
 * @param tailCopies           DATA packets copied at the stream's end before any loss was known (sender)
 */
public record StreamStats(
    long streamBytes,
    long packetsSent,
    long packetsReceived,
    long payloadBytesSent,
    long retransmittedBytes,
    long retransmittedPackets,
    long duplicateBytes,
    long duplicatePackets,
    long authFailures,
    long replays,
    long malformed,
    long afterClose,
    long inboundDrops,
    long protocolViolations,
    long flowControlDrops,
    long lossEvents,
    long probes,
    long rtoExpiries,
    long acks,
    long pathSwitches,
    long smoothedRttNanos,
    long minRttNanos,
    long windowBytes,
    long tailCopies) {
    /** Snapshot of {@code c}. */
    public static StreamStats of(final StreamCounters c) {
        return new StreamStats(
            c.get(StreamCounters.STREAM_BYTES),
            c.get(StreamCounters.PACKETS_SENT),
            c.get(StreamCounters.PACKETS_RECEIVED),
            c.get(StreamCounters.PAYLOAD_BYTES_SENT),
            c.get(StreamCounters.RETRANSMITTED_BYTES),
            c.get(StreamCounters.RETRANSMITTED_PACKETS),
            c.get(StreamCounters.DUPLICATE_BYTES),
            c.get(StreamCounters.DUPLICATE_PACKETS),
            c.get(StreamCounters.AUTH_FAILURES),
            c.get(StreamCounters.REPLAYS),
            c.get(StreamCounters.MALFORMED),
            c.get(StreamCounters.AFTER_CLOSE),
            c.get(StreamCounters.INBOUND_DROPS),
            c.get(StreamCounters.PROTOCOL_VIOLATIONS),
            c.get(StreamCounters.FLOW_CONTROL_DROPS),
            c.get(StreamCounters.LOSS_EVENTS),
            c.get(StreamCounters.PROBES),
            c.get(StreamCounters.RTO_EXPIRIES),
            c.get(StreamCounters.ACKS),
            c.get(StreamCounters.PATH_SWITCHES),
            c.get(StreamCounters.SMOOTHED_RTT_NS),
            c.get(StreamCounters.MIN_RTT_NS),
            c.get(StreamCounters.CWND_BYTES),
            c.get(StreamCounters.TAIL_COPIES));
    }
}
