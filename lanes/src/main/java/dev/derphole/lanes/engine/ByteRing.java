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
 * The bytes live in chunks of up to {@link #CHUNK_BYTES}, each allocated when the producer first writes into it: a
 * 32 MiB array cost 12-25 ms of page faults and zeroing when the sender's stream started (more on a busy 2-core
 * machine, where it held {@code connected-relay} back by up to 78 ms), and a small transfer needs a chunk or two of
 * it. A ring built ahead of its use (the receiver's, before its token is shown) makes them all at once
 * ({@link #allocateAll}) rather than on its engine thread while packets arrive. Readers
 * and writers of a contiguous piece get its chunk ({@link #writable}, {@link #readable}) and the offset there
 * ({@link #index}); a piece never crosses a chunk's end ({@link #contiguous}).
 * <p>
 * Thread-safe for exactly one producer thread and one consumer thread. A chunk is allocated by the producer before
 * it publishes any position inside it, so the release/acquire of the producer position hands the chunk over too.
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

    /** Largest chunk: the source reader's and the sink writer's largest single read or write. */
    public static final int CHUNK_BYTES = 1 << 20;

    private final byte[][] chunks;
    private final int capacity;
    private final int chunkShift;
    private final int chunkMask;
    private final int chunkIndexMask;
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
        this.capacity = capacity;
        final int chunkBytes = Math.min(capacity, CHUNK_BYTES);
        this.chunkShift = Integer.numberOfTrailingZeros(chunkBytes);
        this.chunkMask = chunkBytes - 1;
        this.chunks = new byte[capacity / chunkBytes][];
        this.chunkIndexMask = chunks.length - 1;
    }

    public int capacity() {
        return capacity;
    }

    /** Producer: the chunk holding stream {@code position}, allocated on first use; write at {@link #index}. */
    public byte[] writable(final long position) {
        final int c = (int)(position >>> chunkShift) & chunkIndexMask;
        final byte[] chunk = chunks[c];
        return chunk != null ? chunk : allocate(c);
    }

    private byte[] allocate(final int c) {
        final byte[] chunk = new byte[chunkMask + 1];
        chunks[c] = chunk;
        return chunk;
    }

    /** Consumer: the chunk holding stream {@code position}, below the producer position; read at {@link #index}. */
    public byte[] readable(final long position) {
        return chunks[(int)(position >>> chunkShift) & chunkIndexMask];
    }

    /** Index of a stream position in its chunk. */
    public int index(final long position) {
        return (int)position & chunkMask;
    }

    /** Bytes from {@code position} to the end of its chunk (the longest contiguous piece there). */
    public int contiguous(final long position) {
        return chunkMask + 1 - index(position);
    }

    /** Makes every chunk now, for a ring built ahead of its use (before any other thread sees it); returns it. */
    public ByteRing allocateAll() {
        for (int c = 0; c < chunks.length; c++) {
            if (chunks[c] == null) {
                allocate(c);
            }
        }
        return this;
    }

    /** Bytes of chunks allocated so far (diagnostics, tests). */
    public long allocatedBytes() {
        long bytes = 0;
        for (final byte[] chunk : chunks) {
            bytes += chunk == null ? 0 : chunk.length;
        }
        return bytes;
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

    /**
     * Consumer: copies {@code length} bytes starting at stream {@code position} to {@code dst}, across chunk ends
     * and the wrap.
     */
    public void copyOut(final long position, final byte[] dst, final int dstOffset, final int length) {
        // A piece per chunk: a packet crosses at most one chunk end. No bytes, no piece: a FIN's empty payload may sit
        // where no chunk was made (arraycopy from null throws even for none).
        for (int done = 0; done < length; ) {
            final long at = position + done;
            final int n = Math.min(length - done, contiguous(at));
            System.arraycopy(readable(at), index(at), dst, dstOffset + done, n);
            done += n;
        }
    }

    /**
     * Producer: copies {@code length} bytes from {@code src} into the ring at stream {@code position}, across chunk
     * ends and the wrap.
     */
    public void copyIn(final long position, final byte[] src, final int srcOffset, final int length) {
        for (int done = 0; done < length; ) {
            final long at = position + done;
            final int n = Math.min(length - done, contiguous(at));
            System.arraycopy(src, srcOffset + done, writable(at), index(at), n);
            done += n;
        }
    }
}
