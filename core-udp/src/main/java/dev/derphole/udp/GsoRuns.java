package dev.derphole.udp;

/**
 * How slots of a {@link PacketBatch} group into GSO messages. The kernel's rules for one {@code UDP_SEGMENT}
 * send: every segment is {@code segmentBytes} long except the last, which may be shorter; all go to one
 * destination; at most {@code UDP_MAX_SEGMENTS} segments; and the whole payload fits one IP datagram.
 * <p>
 * Stateless; thread-safe; allocation-free.
 */
public final class GsoRuns {
    /** Largest UDP payload of one GSO message: 65535 - 20 (IPv4 header) - 8 (UDP header). */
    public static final int MAX_GSO_BYTES = 65507;

    private GsoRuns() {
    }

    /**
     * Number of slots, starting at {@code start} and before {@code limit}, that go out as one message: 1
     * when {@code segmentBytes} is 0 or slot {@code start} is not exactly {@code segmentBytes} long.
     */
    public static int runLength(
        final PacketBatch batch, final int start, final int limit, final int segmentBytes, final int maxSegments) {
        if (segmentBytes <= 0 || batch.length(start) != segmentBytes) {
            return 1;
        }
        int segments = 1;
        int total = segmentBytes;
        while (segments < maxSegments && start + segments < limit) {
            final int length = batch.length(start + segments);
            if (length == 0 || length > segmentBytes || total + length > MAX_GSO_BYTES
                || !batch.sameAddress(start, start + segments)) {
                break;
            }
            total += length;
            segments++;
            if (length < segmentBytes) {
                break;
            }
        }
        return segments;
    }
}
