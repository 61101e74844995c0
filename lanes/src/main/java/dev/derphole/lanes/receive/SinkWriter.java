package dev.derphole.lanes.receive;

import java.io.IOException;
import java.io.OutputStream;

import dev.derphole.lanes.engine.ByteRing;
import dev.derphole.lanes.engine.Signal;

/**
 * Writes in-order bytes from the receive ring to the sink on its own daemon thread (the ring's consumer):
 * writes what the engine published (contiguous pieces of at most {@link #MAX_WRITE_BYTES}), frees the space,
 * wakes the engine (which may advertise more credit), flushes whenever it has caught up, and flushes and
 * reports once it has written the final byte.
 */
final class SinkWriter implements Runnable {
    /** Largest single write to the sink. */
    private static final int MAX_WRITE_BYTES = 1 << 20;
    /** Longest park while there is nothing to write (the engine signals sooner). */
    private static final long IDLE_PARK_NS = 50_000_000L;

    private final OutputStream sink;
    private final ByteRing ring;
    private final Signal engine;
    private final Signal self = new Signal();
    private volatile IOException error;
    private volatile boolean flushed;
    private volatile boolean stopped;

    SinkWriter(final OutputStream sink, final ByteRing ring, final Signal engine) {
        this.sink = sink;
        this.ring = ring;
        this.engine = engine;
    }

    void start() {
        final Thread thread = new Thread(this, "derphole-stream-sink");
        thread.setDaemon(true);
        thread.start();
    }

    /** The engine published more bytes or the end. */
    void onData() {
        self.signal();
    }

    void stop() {
        stopped = true;
        self.signal();
    }

    IOException error() {
        return error;
    }

    /** True once every byte up to the end was written and flushed. */
    boolean isFlushed() {
        return flushed;
    }

    @Override
    public void run() {
        self.bindOwner();
        long position = ring.consumerPosition(); // 0, unless the engine continues a stream (startAt)
        long signalledAt = position;
        try {
            while (!stopped) {
                self.beginCycle();
                final long available = ring.producerPosition() - position;
                if (available > 0) {
                    final int length = (int)Math.min(Math.min(available, ring.contiguous(position)), MAX_WRITE_BYTES);
                    sink.write(ring.readable(position), ring.index(position), length);
                    position += length;
                    ring.publishConsumer(position);
                    final boolean caughtUp = ring.producerPosition() == position;
                    if (caughtUp) {
                        sink.flush(); // caught up: do not leave interactive bytes in a buffer
                    }
                    // The engine reads our position every cycle; wake it only for a sizeable window update (it
                    // advertises credit in quarters of the ring), not after every write.
                    if (position - signalledAt >= ring.capacity() / 8) {
                        signalledAt = position;
                        engine.signal();
                    }
                    continue;
                }
                final long end = ring.endPosition();
                if (end >= 0 && position == end) {
                    sink.flush();
                    flushed = true;
                    engine.signal();
                    return;
                }
                self.idle(IDLE_PARK_NS);
            }
        } catch (final IOException | RuntimeException e) {
            error = e instanceof IOException io ? io : new IOException(e.toString(), e);
            engine.signal();
        }
    }
}
