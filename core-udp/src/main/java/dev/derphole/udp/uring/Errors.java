package dev.derphole.udp.uring;

/** Small helpers shared by the FFM engines for errno handling and timeouts. Stateless. */
final class Errors {
    private static final int ENETUNREACH = 101;
    private static final int EHOSTUNREACH = 113;

    private Errors() {
    }

    /**
     * Whether a receive error comes from the network (an ICMP error queued on the socket) rather than from a
     * broken socket: counted and skipped, never fatal.
     */
    static boolean isTransientReceiveError(final int errno) {
        return errno == Linux.ECONNREFUSED || errno == ENETUNREACH || errno == EHOSTUNREACH
            || errno == Linux.ENOBUFS;
    }

    /** {@code poll(2)} timeout for {@code nanos}: rounded up to whole milliseconds, at least 1. */
    static int pollMillis(final long nanos) {
        final long millis = (nanos + 999_999) / 1_000_000;
        return (int)Math.max(1, Math.min(Integer.MAX_VALUE, millis));
    }
}
