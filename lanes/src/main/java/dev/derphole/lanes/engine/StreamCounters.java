package dev.derphole.lanes.engine;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Named counters of one stream endpoint, readable from any thread. Most are written only by the engine thread
 * ({@link #add}: a plain read plus an ordered store, no atomic read-modify-write); the few that path receive
 * threads bump (inbound drops, packets after close) use {@link #increment}, which is atomic.
 * <p>
 * Ids are stable; {@link #LABELS} names them for status lines and test assertions.
 */
public final class StreamCounters {
    /** Authenticated packets received. */
    public static final int PACKETS_RECEIVED = 0;
    /** Datagrams handed to a path (every type). */
    public static final int PACKETS_SENT = 1;
    /** DATA payload bytes sent, retransmissions included. */
    public static final int PAYLOAD_BYTES_SENT = 2;
    /** DATA payload bytes sent again after being declared lost. */
    public static final int RETRANSMITTED_BYTES = 3;
    /** DATA packets that were retransmissions. */
    public static final int RETRANSMITTED_PACKETS = 4;
    /** Stream bytes acknowledged (sender) or delivered in order (receiver). */
    public static final int STREAM_BYTES = 5;
    /** Received DATA bytes that were already held or delivered. */
    public static final int DUPLICATE_BYTES = 6;
    /** Received DATA packets that carried no new byte. */
    public static final int DUPLICATE_PACKETS = 7;
    /** Packets whose tag did not verify (tampered, wrong key). */
    public static final int AUTH_FAILURES = 8;
    /** Packets with a packet number already seen or older than the replay window. */
    public static final int REPLAYS = 9;
    /** Packets too short or too long, of a wrong version, type or flags, or with an invalid body. */
    public static final int MALFORMED = 10;
    /** Packets arriving after this endpoint finished. */
    public static final int AFTER_CLOSE = 11;
    /** Datagrams dropped on arrival because the engine's inbound queue was full. */
    public static final int INBOUND_DROPS = 12;
    /** Datagrams a path refused to send (local queue full). */
    public static final int LOCAL_SEND_DROPS = 13;
    /** Congestion events (window reductions). */
    public static final int LOSS_EVENTS = 14;
    /** Retransmission timeouts: probes that went unanswered (persistent congestion). */
    public static final int RTO_EXPIRIES = 15;
    /** Received DATA bytes beyond the advertised credit, dropped. */
    public static final int FLOW_CONTROL_DROPS = 16;
    /** Authenticated packets that contradict the stream state (ignored). */
    public static final int PROTOCOL_VIOLATIONS = 17;
    /** ACK packets sent (receiver) or received (sender). */
    public static final int ACKS = 18;
    /** Path switches applied. */
    public static final int PATH_SWITCHES = 19;
    /** Gauge: smoothed RTT in nanoseconds (sender). */
    public static final int SMOOTHED_RTT_NS = 20;
    /** Gauge: minimum RTT in nanoseconds (sender). */
    public static final int MIN_RTT_NS = 21;
    /** Gauge: congestion window in bytes (sender). */
    public static final int CWND_BYTES = 22;
    /** Packets sealed as DATA. */
    public static final int DATA_PACKETS_SENT = 23;

    /** Probe packets sent when the probe timeout fired (RFC 9002 PTO). */
    public static final int PROBES = 24;

    /** DATA packets sent again at the stream's end before any loss was known (sender; not retransmissions). */
    public static final int TAIL_COPIES = 25;

    private static final int COUNT = 26;

    /** Labels by id. */
    public static final String[] LABELS = {
        "packets-received", "packets-sent", "payload-bytes-sent", "retransmitted-bytes", "retransmitted-packets",
        "stream-bytes", "duplicate-bytes", "duplicate-packets", "auth-failures", "replays", "malformed",
        "after-close", "inbound-drops", "local-send-drops", "loss-events", "rto-expiries", "flow-control-drops",
        "protocol-violations", "acks", "path-switches", "srtt-ns", "min-rtt-ns", "cwnd-bytes", "data-packets-sent",
        "probes", "tail-copies"};

    private final AtomicLongArray values = new AtomicLongArray(COUNT);

    /** Single-writer add (engine thread only for that id). */
    public void add(final int id, final long delta) {
        values.lazySet(id, values.get(id) + delta);
    }

    /** Single-writer gauge set. */
    public void set(final int id, final long value) {
        values.lazySet(id, value);
    }

    /** Atomic increment for counters written by several threads. */
    public void increment(final int id) {
        values.incrementAndGet(id);
    }

    public long get(final int id) {
        return values.get(id);
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < COUNT; i++) {
            sb.append(i == 0 ? "" : " ").append(LABELS[i]).append('=').append(values.get(i));
        }
        return sb.toString();
    }
}
