package dev.derphole.lanes.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A single-producer single-consumer ring of stream bytes addressed by absolute stream position. The producer
 * owns {@code [producerPosition, consumerPosition + capacity)} and may write there in any order; it publishes
 * with a release store of {@link #publishProducer}. The consumer owns {@code [consumerPosition,
 * producerPosition)}, may read it as often as it likes, and frees space with {@link #publishConsumer}.
 * <p>
 * The sender uses it with the source reader as producer and the engine as consumer (bytes stay until the
 * peer acknowledges them, so retransmissions read them again); the receiver uses it with the engine as
 * producer (writing out of order above the contiguous position, the reorder buffer) and the sink writer as
 * consumer. The end of the stream is published once with {@link #finish}.
 * <p>
 * Thread-safe for exactly one producer thread and one consumer thread.
 */
public final class ByteRing {
    private static final VarHandle PRODUCER;
    private static final VarHandle CONSUMER;
    private static final VarHandle END;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            PRODUCER = lookup.findVarHandle(ByteRing.class, "producerPosition", long.class);
            CONSUMER = lookup.findVarHandle(ByteRing.class, "consumerPosition", long.class);
            END = lookup.findVarHandle(ByteRing.class, "endPosition", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final byte[] buffer;
    private final int capacity;
    private final int mask;
    @SuppressWarnings("unused") // accessed through PRODUCER
    private long producerPosition;
    @SuppressWarnings("unused") // accessed through CONSUMER
    private long consumerPosition;
    @SuppressWarnings("unused") // accessed through END
    private long endPosition = -1;

    /** @param capacity bytes; a power of two */
    public ByteRing(final int capacity) {
        if (capacity < 1024 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity must be a power of two >= 1024: " + capacity);
        }
        this.buffer = new byte[capacity];
        this.capacity = capacity;
        this.mask = capacity - 1;
    }

    public int capacity() {
        return capacity;
    }

    /** The backing array, for callers that read or write a contiguous piece at {@link #index}. */
    public byte[] buffer() {
        return buffer;
    }

    /** Array index of a stream position. */
    public int index(final long position) {
        return (int)position & mask;
    }

    /** Bytes from {@code position} to the end of the backing array (the longest contiguous piece there). */
    public int contiguous(final long position) {
        return capacity - index(position);
    }

    public long producerPosition() {
        return (long)PRODUCER.getAcquire(this);
    }

    public void publishProducer(final long position) {
        PRODUCER.setRelease(this, position);
    }

    public long consumerPosition() {
        return (long)CONSUMER.getAcquire(this);
    }

    public void publishConsumer(final long position) {
        CONSUMER.setRelease(this, position);
    }

    /** Final stream length once the producer has seen the end, else -1. */
    public long endPosition() {
        return (long)END.getAcquire(this);
    }

    /** Publishes the end of the stream (producer only, once, after the last {@link #publishProducer}). */
    public void finish(final long end) {
        END.setRelease(this, end);
    }

    /** Copies {@code length} bytes starting at stream {@code position} to {@code dst}, across the wrap if needed. */
    public void copyOut(final long position, final byte[] dst, final int dstOffset, final int length) {
        final int index = index(position);
        final int first = Math.min(length, capacity - index);
        System.arraycopy(buffer, index, dst, dstOffset, first);
        if (first < length) {
            System.arraycopy(buffer, 0, dst, dstOffset + first, length - first);
        }
    }

    /** Copies {@code length} bytes from {@code src} into the ring at stream {@code position}, across the wrap. */
    public void copyIn(final long position, final byte[] src, final int srcOffset, final int length) {
        final int index = index(position);
        final int first = Math.min(length, capacity - index);
        System.arraycopy(src, srcOffset, buffer, index, first);
        if (first < length) {
            System.arraycopy(src, srcOffset + first, buffer, 0, length - first);
        }
    }
}
