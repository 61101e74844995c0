package dev.derphole.udp;

/**
 * The named counters every {@link DatagramEngine} keeps. Stable ids (the ordinal) and labels, so status
 * lines and tests can name each kind of drop instead of reporting "packet dropped".
 * <p>
 * Send-side counters are written only by the thread that owns the engine's send side, receive-side
 * counters only by the receive side (for the epoll engine, partly by its event-loop thread).
 */
public enum UdpCounter {
    /** Datagrams the kernel accepted (each GSO segment counts as one). */
    DATAGRAMS_SENT("datagrams sent"),
    /** Payload bytes of {@link #DATAGRAMS_SENT}. */
    BYTES_SENT("bytes sent"),
    /** Send syscalls (or io_uring submissions, or Netty flushes). */
    SEND_CALLS("send calls"),
    /** Messages sent with a UDP_SEGMENT (GSO) control message of two or more segments. */
    GSO_MESSAGES("gso messages sent"),
    /** Datagrams not sent because the socket had no room (EAGAIN/ENOBUFS) or the send timed out. */
    SHORT_SENDS("short sends"),
    /** Datagrams not sent because the kernel rejected them (bad destination, EMSGSIZE, ...). */
    SEND_ERRORS("send errors"),
    /** Times GSO was switched off after the kernel refused it (EIO: no checksum offload on the route). */
    GSO_FALLBACKS("gso fallbacks"),
    /** Datagrams handed to the caller (each GRO segment counts as one). */
    DATAGRAMS_RECEIVED("datagrams received"),
    /** Payload bytes of {@link #DATAGRAMS_RECEIVED}. */
    BYTES_RECEIVED("bytes received"),
    /** Receive syscalls (or io_uring submissions, or batches taken from the epoll queue). */
    RECEIVE_CALLS("receive calls"),
    /** Received GRO super-packets of two or more segments. */
    GRO_MESSAGES("gro messages received"),
    /** Datagrams dropped because they were larger than the receive slot. */
    TRUNCATED("truncated datagrams"),
    /** Receive errors reported by the kernel (e.g. ICMP port unreachable on a connected socket). */
    RECEIVE_ERRORS("receive errors"),
    /** Datagrams dropped because the engine's own receive queue was full (epoll engine only). */
    RECEIVE_QUEUE_DROPS("receive queue drops"),
    /** GRO segments dropped because a super-packet had more segments than the batch had free slots. */
    RECEIVE_SLOT_OVERFLOWS("receive slot overflows");

    private final String label;

    UdpCounter(final String label) {
        this.label = label;
    }

    /** Human-readable label for status lines. */
    public String label() {
        return label;
    }
}
