package dev.derphole.lanes.send;

import java.io.IOException;
import java.io.InputStream;

import dev.derphole.lanes.engine.ByteRing;
import dev.derphole.lanes.engine.Signal;

/**
 * Reads the source into the send ring on its own daemon thread (the ring's producer): reads as much as fits
 * contiguously (at most {@link #MAX_READ_BYTES}), publishes, wakes the engine, and parks while the ring is
 * full until the engine frees space. At end of stream it publishes the final length. A read that never returns
 * (an idle terminal) only keeps this daemon thread; the engine is not blocked by it.
 */
final class SourceReader implements Runnable {
    /** Largest single read from the source. */
    private static final int MAX_READ_BYTES = 1 << 20;
    /** Longest park while the ring is full (the engine signals sooner). */
    private static final long FULL_PARK_NS = 50_000_000L;

    private final InputStream source;
    private final ByteRing ring;
    private final Signal engine;
    private final Signal self = new Signal();
    private volatile IOException error;
    private volatile boolean stopped;

    SourceReader(final InputStream source, final ByteRing ring, final Signal engine) {
        this.source = source;
        this.ring = ring;
        this.engine = engine;
    }

    /** Starts the reader thread. */
    void start() {
        final Thread thread = new Thread(this, "derphole-stream-source");
        thread.setDaemon(true);
        thread.start();
    }

    /** The engine freed ring space. */
    void onSpaceFreed() {
        self.signal();
    }

    /** The engine is done; the reader exits at its next chance. */
    void stop() {
        stopped = true;
        self.signal();
    }

    /** The read failure, if the source failed. */
    IOException error() {
        return error;
    }

    @Override
    public void run() {
        self.bindOwner();
        long position = 0;
        try {
            while (!stopped) {
                self.beginCycle();
                final long free = ring.capacity() - (position - ring.consumerPosition());
                if (free <= 0) {
                    self.idle(FULL_PARK_NS);
                    continue;
                }
                final int length = (int)Math.min(Math.min(free, ring.contiguous(position)), MAX_READ_BYTES);
                final int n = source.read(ring.writable(position), ring.index(position), length);
                if (n < 0) {
                    ring.finish(position);
                    engine.signal();
                    return;
                }
                if (n > 0) {
                    position += n;
                    ring.publishProducer(position);
                    engine.signal();
                }
            }
        } catch (final IOException | RuntimeException e) {
            error = e instanceof IOException io ? io : new IOException(e.toString(), e);
            engine.signal();
        }
    }
}
