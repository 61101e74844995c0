package dev.derphole.lanes.repair;

/**
 * What the sender sent, by packet number: for DATA packets the byte range, FIN bit, send time, path epoch,
 * whether the packet still counts as in flight, the lane it went on with its number among that lane's DATA
 * packets (for per-lane loss detection), and its lane's delivery state at its send (for delivery-rate samples,
 * see {@link Scoreboard}); control packets occupy their number without a record. A ring
 * of parallel primitive arrays indexed by {@code packetNumber & mask}; a slot remembers its packet number so
 * a stale slot is never mistaken for a newer packet.
 * <p>
 * Owned by the sender engine thread; not thread-safe. No allocation after construction.
 */
public final class SentPacketLog {
    private static final byte IN_FLIGHT = 1;
    private static final byte FIN = 2;
    private static final byte RETRANSMISSION = 4;
    private static final byte COPIED = 8;

    private final int capacity;
    private final int mask;
    private final long[] packetNumbers;
    private final long[] offsets;
    private final long[] sentNs;
    private final long[] deliveredAtSend;
    private final long[] deliveredNsAtSend;
    private final long[] firstSentNsAtSend;
    private final int[] lengths;
    private final int[] epochs;
    private final byte[] flags;
    private final byte[] lanes;
    private final long[] laneSequences;
    private long oldest;
    private long next;

    /** @param capacity most packet numbers between the oldest in flight and the newest; a power of two */
    public SentPacketLog(final int capacity) {
        if (capacity < 64 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two >= 64: " + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        packetNumbers = new long[capacity];
        java.util.Arrays.fill(packetNumbers, -1L);
        offsets = new long[capacity];
        sentNs = new long[capacity];
        deliveredAtSend = new long[capacity];
        deliveredNsAtSend = new long[capacity];
        firstSentNsAtSend = new long[capacity];
        lengths = new int[capacity];
        epochs = new int[capacity];
        flags = new byte[capacity];
        lanes = new byte[capacity];
        laneSequences = new long[capacity];
    }

    public int capacity() {
        return capacity;
    }

    /** Lowest packet number that may still be in flight. */
    public long oldest() {
        return oldest;
    }

    /** One past the highest packet number recorded. */
    public long next() {
        return next;
    }

    /** True when a DATA packet numbered {@code packetNumber} can be recorded while keeping {@code reserve} free. */
    public boolean hasRoom(final long packetNumber, final int reserve) {
        return packetNumber - oldest < capacity - reserve;
    }

    /**
     * Records a DATA packet as in flight on {@code lane}, the {@code laneSequence}-th DATA packet of that lane, with
     * that lane's delivery state at this moment: bytes delivered so far, when that count last grew, and the start
     * of the send interval then. The caller checked {@link #hasRoom}.
     */
    public void recordData(
        final long packetNumber, final long offset, final int length, final boolean fin, final boolean retransmission,
        final int epoch, final long nowNs, final int lane, final long laneSequence, final long delivered,
        final long deliveredNs, final long firstSentNs) {
        final int i = (int)packetNumber & mask;
        lanes[i] = (byte)lane;
        laneSequences[i] = laneSequence;
        deliveredAtSend[i] = delivered;
        deliveredNsAtSend[i] = deliveredNs;
        firstSentNsAtSend[i] = firstSentNs;
        packetNumbers[i] = packetNumber;
        offsets[i] = offset;
        lengths[i] = length;
        sentNs[i] = nowNs;
        epochs[i] = epoch;
        flags[i] = (byte)(IN_FLIGHT | (fin ? FIN : 0) | (retransmission ? RETRANSMISSION : 0));
        next = packetNumber + 1;
    }

    /** Notes a control packet number and its send time (never in flight; a slot still in flight is left alone). */
    public void recordControl(final long packetNumber, final int epoch, final long nowNs) {
        final int i = (int)packetNumber & mask;
        if (packetNumber - oldest < capacity && (flags[i] & IN_FLIGHT) == 0) {
            packetNumbers[i] = packetNumber;
            flags[i] = 0;
            sentNs[i] = nowNs;
            epochs[i] = epoch;
            lengths[i] = 0;
            lanes[i] = 0;
        }
        next = packetNumber + 1;
        if (oldest == packetNumber) {
            advanceOldest();
        }
    }

    /** True when {@code packetNumber} is a DATA packet still counted in flight. */
    public boolean isInFlight(final long packetNumber) {
        final int i = (int)packetNumber & mask;
        return packetNumbers[i] == packetNumber && (flags[i] & IN_FLIGHT) != 0;
    }

    /** True when {@code packetNumber} is recorded (DATA, in flight or not). */
    public boolean isKnown(final long packetNumber) {
        return packetNumber >= 0 && packetNumbers[(int)packetNumber & mask] == packetNumber;
    }

    public long offset(final long packetNumber) {
        return offsets[(int)packetNumber & mask];
    }

    public int length(final long packetNumber) {
        return lengths[(int)packetNumber & mask];
    }

    public long sentNs(final long packetNumber) {
        return sentNs[(int)packetNumber & mask];
    }

    /** Bytes the sender had seen delivered when it sent this packet. */
    public long deliveredAtSend(final long packetNumber) {
        return deliveredAtSend[(int)packetNumber & mask];
    }

    /** When that delivered count had last grown. */
    public long deliveredNsAtSend(final long packetNumber) {
        return deliveredNsAtSend[(int)packetNumber & mask];
    }

    /** Start of the send interval the packet belongs to (send time of the newest packet delivered before it). */
    public long firstSentNsAtSend(final long packetNumber) {
        return firstSentNsAtSend[(int)packetNumber & mask];
    }

    public int epoch(final long packetNumber) {
        return epochs[(int)packetNumber & mask];
    }

    /** The lane a DATA packet was sent on. */
    public int lane(final long packetNumber) {
        return lanes[(int)packetNumber & mask];
    }

    /** The packet's position among the DATA packets of its lane. */
    public long laneSequence(final long packetNumber) {
        return laneSequences[(int)packetNumber & mask];
    }

    public boolean isFin(final long packetNumber) {
        return (flags[(int)packetNumber & mask] & FIN) != 0;
    }

    public boolean isRetransmission(final long packetNumber) {
        return (flags[(int)packetNumber & mask] & RETRANSMISSION) != 0;
    }

    /** A copy of the packet's range went out under another number (a tail copy), which may arrive instead. */
    public void markCopied(final long packetNumber) {
        flags[(int)packetNumber & mask] |= COPIED;
    }

    public boolean isCopied(final long packetNumber) {
        return (flags[(int)packetNumber & mask] & COPIED) != 0;
    }

    /** Takes a packet out of flight (acknowledged or declared lost). */
    public void clearInFlight(final long packetNumber) {
        flags[(int)packetNumber & mask] &= (byte)~IN_FLIGHT;
        if (packetNumber == oldest) {
            advanceOldest();
        }
    }

    private void advanceOldest() {
        while (oldest < next) {
            final int i = (int)oldest & mask;
            if (packetNumbers[i] == oldest && (flags[i] & IN_FLIGHT) != 0) {
                return;
            }
            oldest++;
        }
    }
}
