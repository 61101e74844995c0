package dev.derphole.lanes.repair;

/**
 * A set of byte ranges {@code [start, end)} kept sorted, disjoint and merged (touching ranges join), with a
 * fixed capacity. Used for the receiver's out-of-order bytes, the sender's selectively acknowledged bytes and
 * its queue of ranges to retransmit. Removing from the front (the cumulative point moving up) is O(1);
 * other inserts and removals shift the shorter side of two parallel arrays. No allocation after construction.
 * <p>
 * Owned by one engine thread; not thread-safe.
 */
public final class RangeSet {
    private final long[] starts;
    private final long[] ends;
    private final int capacity;
    private int head;
    private int size;

    /** @param capacity most disjoint ranges held */
    public RangeSet(final int capacity) {
        this.capacity = capacity;
        this.starts = new long[capacity];
        this.ends = new long[capacity];
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public boolean isFull() {
        return size == capacity;
    }

    public void clear() {
        head = 0;
        size = 0;
    }

    /** Start of range {@code i} (0 = lowest). */
    public long start(final int i) {
        return starts[head + i];
    }

    /** End (exclusive) of range {@code i}. */
    public long end(final int i) {
        return ends[head + i];
    }

    /** Index of the first range whose end is greater than {@code position} (size() when none). */
    public int firstEndingAfter(final long position) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (ends[head + mid] > position) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Index of the range holding {@code position}, or -1. */
    public int indexContaining(final long position) {
        final int i = firstEndingAfter(position);
        return i < size && starts[head + i] <= position ? i : -1;
    }

    /** True when every byte of {@code [start, end)} is in the set (always for an empty range). */
    public boolean covers(final long start, final long end) {
        if (start >= end) {
            return true;
        }
        final int i = firstEndingAfter(start);
        return i < size && starts[head + i] <= start && ends[head + i] >= end;
    }

    /**
     * Adds {@code [start, end)}.
     *
     * @return bytes newly covered (0 when all were present), or -1 when the range would need a new entry and the
     *         set is full (nothing changed)
     */
    public long add(final long start, final long end) {
        if (start >= end) {
            return 0;
        }
        // First range that overlaps or touches [start, end): its end >= start.
        final int i = firstEndingAfter(start - 1);
        int j = i;
        long covered = 0;
        long newStart = start;
        long newEnd = end;
        while (j < size && starts[head + j] <= end) {
            final long a = starts[head + j];
            final long b = ends[head + j];
            covered += Math.max(0, Math.min(b, end) - Math.max(a, start));
            newStart = Math.min(newStart, a);
            newEnd = Math.max(newEnd, b);
            j++;
        }
        if (j == i) {
            if (size == capacity) {
                return -1;
            }
            insertAt(i, start, end);
        } else {
            starts[head + i] = newStart;
            ends[head + i] = newEnd;
            deleteAt(i + 1, j - i - 1);
        }
        return end - start - covered;
    }

    /**
     * Adds {@code [start, end)}; when the set is full, widens the nearest range to take it instead (the set then
     * over-approximates, which callers tolerate: for a repair queue it means resending some bytes twice).
     */
    public void addOrWiden(final long start, final long end) {
        if (add(start, end) >= 0) {
            return;
        }
        int i = firstEndingAfter(start);
        if (i == size) {
            i = size - 1;
        }
        final long newStart = Math.min(start, starts[head + i]);
        long newEnd = Math.max(end, ends[head + i]);
        int j = i + 1;
        while (j < size && starts[head + j] <= newEnd) {
            newEnd = Math.max(newEnd, ends[head + j]);
            j++;
        }
        int k = i;
        while (k > 0 && ends[head + k - 1] >= newStart) {
            k--;
        }
        final long mergedStart = Math.min(newStart, starts[head + k]);
        starts[head + k] = mergedStart;
        ends[head + k] = newEnd;
        deleteAt(k + 1, j - k - 1);
    }

    /**
     * Removes {@code [start, end)}. When that would split a range and the set is full, the range is kept whole
     * (callers use removal for "no longer needed", so keeping extra is safe).
     */
    public void remove(final long start, final long end) {
        if (start >= end) {
            return;
        }
        int i = firstEndingAfter(start);
        while (i < size && starts[head + i] < end) {
            final long a = starts[head + i];
            final long b = ends[head + i];
            if (a < start && b > end) {
                if (size < capacity) {
                    ends[head + i] = start;
                    insertAt(i + 1, end, b);
                }
                return;
            }
            if (a < start) {
                ends[head + i] = start;
                i++;
            } else if (b > end) {
                starts[head + i] = end;
                return;
            } else {
                deleteAt(i, 1);
            }
        }
    }

    /** Removes everything below {@code position}. */
    public void removeBelow(final long position) {
        while (size > 0 && ends[head] <= position) {
            head++;
            size--;
        }
        if (size == 0) {
            head = 0;
        } else if (starts[head] < position) {
            starts[head] = position;
        }
    }

    private void insertAt(final int i, final long start, final long end) {
        if (head > 0 && (i < size / 2 || head + size == capacity)) {
            System.arraycopy(starts, head, starts, head - 1, i);
            System.arraycopy(ends, head, ends, head - 1, i);
            head--;
        } else {
            if (head + size == capacity) {
                System.arraycopy(starts, head, starts, 0, size);
                System.arraycopy(ends, head, ends, 0, size);
                head = 0;
            }
            System.arraycopy(starts, head + i, starts, head + i + 1, size - i);
            System.arraycopy(ends, head + i, ends, head + i + 1, size - i);
        }
        starts[head + i] = start;
        ends[head + i] = end;
        size++;
    }

    private void deleteAt(final int i, final int count) {
        if (count == 0) {
            return;
        }
        if (i == 0) {
            head += count;
        } else {
            System.arraycopy(starts, head + i + count, starts, head + i, size - i - count);
            System.arraycopy(ends, head + i + count, ends, head + i, size - i - count);
        }
        size -= count;
        if (size == 0) {
            head = 0;
        }
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            sb.append(i == 0 ? "" : ", ").append(start(i)).append('-').append(end(i));
        }
        return sb.append(']').toString();
    }
}
