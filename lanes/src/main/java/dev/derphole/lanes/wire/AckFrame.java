package dev.derphole.lanes.wire;

import static dev.derphole.lanes.wire.WireFormat.ACK_CUMULATIVE_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_DELAY_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_DUPLICATE_BYTES_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_FLAGS_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_KNOWN_FLAGS;
import static dev.derphole.lanes.wire.WireFormat.ACK_LARGEST_PN_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_MAX_OFFSET_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_MAX_RANGES;
import static dev.derphole.lanes.wire.WireFormat.ACK_RANGES_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_RANGE_COUNT_OFFSET;
import static dev.derphole.lanes.wire.WireFormat.ACK_RANGE_LENGTH;

/**
 * A reusable view of one ACK body: flags, cumulative offset, max offset (credit), the largest packet number
 * received and how long the receiver held it, the receiver's duplicate-byte total, and up to
 * {@link WireFormat#ACK_MAX_RANGES} selective ranges above the cumulative offset, each sent as two u32 deltas
 * from it.
 * <pre>
 *  0       1                9                17               25        29               37      38
 * +-------+----------------+----------------+----------------+---------+----------------+-------+------------+
 * | flags | cumulative u64 | max offset u64 | largest pn u64 | delay   | duplicate u64  | count | ranges ... |
 * |       |                | (credit)       |                | µs u32  | bytes          | u8    | count x 8  |
 * +-------+----------------+----------------+----------------+---------+----------------+-------+------------+
 * range i: start - cumulative (u32) | end - cumulative (u32)
 * </pre>
 * Owned by one engine thread; not thread-safe.
 */
public final class AckFrame {
    public int flags;
    public long cumulative;
    public long maxOffset;
    public long largestPacketNumber;
    public long ackDelayMicros;
    public long duplicateBytes;
    public int rangeCount;
    public final long[] rangeStart = new long[ACK_MAX_RANGES];
    public final long[] rangeEnd = new long[ACK_MAX_RANGES];

    /** Encoded length of the current content. */
    public int length() {
        return ACK_RANGES_OFFSET + rangeCount * ACK_RANGE_LENGTH;
    }

    /**
     * Writes the body at {@code body[offset...]}; returns its length. Ranges must lie within 4 GiB above
     * cumulative.
     */
    public int encode(final byte[] body, final int offset) {
        body[offset + ACK_FLAGS_OFFSET] = (byte)flags;
        BigEndian.putLong(body, offset + ACK_CUMULATIVE_OFFSET, cumulative);
        BigEndian.putLong(body, offset + ACK_MAX_OFFSET_OFFSET, maxOffset);
        BigEndian.putLong(body, offset + ACK_LARGEST_PN_OFFSET, largestPacketNumber);
        BigEndian.putInt(body, offset + ACK_DELAY_OFFSET, (int)Math.min(ackDelayMicros, 0xFFFF_FFFFL));
        BigEndian.putLong(body, offset + ACK_DUPLICATE_BYTES_OFFSET, duplicateBytes);
        body[offset + ACK_RANGE_COUNT_OFFSET] = (byte)rangeCount;
        int p = offset + ACK_RANGES_OFFSET;
        for (int i = 0; i < rangeCount; i++) {
            BigEndian.putInt(body, p, (int)(rangeStart[i] - cumulative));
            BigEndian.putInt(body, p + 4, (int)(rangeEnd[i] - cumulative));
            p += ACK_RANGE_LENGTH;
        }
        return p - offset;
    }

    /**
     * Parses {@code body[0, length)}. Checks structure only (lengths, flags, non-negative offsets, non-empty
     * ranges above the cumulative offset); the engine checks the values against its own state.
     *
     * @return false for a malformed body (the frame's content is then undefined)
     */
    public boolean decode(final byte[] body, final int length) {
        if (length < ACK_RANGES_OFFSET) {
            return false;
        }
        flags = body[ACK_FLAGS_OFFSET] & 0xFF;
        cumulative = BigEndian.getLong(body, ACK_CUMULATIVE_OFFSET);
        maxOffset = BigEndian.getLong(body, ACK_MAX_OFFSET_OFFSET);
        largestPacketNumber = BigEndian.getLong(body, ACK_LARGEST_PN_OFFSET);
        ackDelayMicros = BigEndian.getUnsignedInt(body, ACK_DELAY_OFFSET);
        duplicateBytes = BigEndian.getLong(body, ACK_DUPLICATE_BYTES_OFFSET);
        rangeCount = body[ACK_RANGE_COUNT_OFFSET] & 0xFF;
        if ((flags & ~ACK_KNOWN_FLAGS) != 0 || cumulative < 0 || maxOffset < 0 || largestPacketNumber < 0
            || duplicateBytes < 0 || rangeCount > ACK_MAX_RANGES
            || length != ACK_RANGES_OFFSET + rangeCount * ACK_RANGE_LENGTH) {
            return false;
        }
        int p = ACK_RANGES_OFFSET;
        for (int i = 0; i < rangeCount; i++) {
            final long start = BigEndian.getUnsignedInt(body, p);
            final long end = BigEndian.getUnsignedInt(body, p + 4);
            if (start == 0 || end <= start) {
                return false;
            }
            rangeStart[i] = cumulative + start;
            rangeEnd[i] = cumulative + end;
            p += ACK_RANGE_LENGTH;
        }
        return true;
    }
}
