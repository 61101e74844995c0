package dev.derphole.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded in-memory pipe from the thread that receives a stream ({@code receive}'s session, pushing into a sink)
 * to the thread that consumes it (the payload header, then a file or a tar extractor, pulling). One writer, one
 * reader. Unlike {@link java.io.PipedInputStream} it never fails because the writing thread ended: only
 * {@link #fail} or a closed end says the stream is over.
 */
final class BytePipe {
    private final byte[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    // Guarded by lock:
    private long written;
    private long read;
    private boolean writerClosed;
    private boolean readerClosed;
    private String failure;

    BytePipe(final int capacity) {
        this.ring = new byte[capacity];
    }

    /** The writing end; {@code close()} ends the stream (the reader sees EOF after the last byte). */
    OutputStream sink() {
        return new OutputStream() {
            @Override
            public void write(final int b) throws IOException {
                write(new byte[] {(byte)b}, 0, 1);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException {
                put(b, off, len);
            }

            @Override
            public void close() {
                closeWriter();
            }
        };
    }

    /** The reading end; {@code close()} makes later writes fail (the reader gave up). */
    InputStream source() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                final byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException {
                return take(b, off, len);
            }

            @Override
            public void close() {
                closeReader();
            }
        };
    }

    /** Ends the stream with an error: the reader's next read throws it (after nothing more). Any thread. */
    void fail(final String reason) {
        lock.lock();
        try {
            if (failure == null) {
                failure = reason;
            }
            readable.signalAll();
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void put(final byte[] b, final int off, final int len) throws IOException {
        int done = 0;
        lock.lock();
        try {
            while (done < len) {
                while (written - read == ring.length && !readerClosed && failure == null) {
                    writable.awaitUninterruptibly(); // the session ends this by closing or failing the pipe
                }
                if (readerClosed || failure != null || writerClosed) {
                    throw new IOException("the payload's reader stopped" + (failure == null ? "" : ": " + failure));
                }
                final int at = (int)(written % ring.length);
                final int n = Math.min(len - done, Math.min(ring.length - at, (int)(ring.length - (written - read))));
                System.arraycopy(b, off + done, ring, at, n);
                written += n;
                done += n;
                readable.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private int take(final byte[] b, final int off, final int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (written == read && !writerClosed && failure == null) {
                try {
                    readable.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                }
            }
            if (failure != null) {
                throw new IOException(failure);
            }
            if (written == read) {
                return -1;
            }
            final int at = (int)(read % ring.length);
            final int n = Math.min(len, Math.min(ring.length - at, (int)(written - read)));
            System.arraycopy(ring, at, b, off, n);
            read += n;
            writable.signal();
            return n;
        } finally {
            lock.unlock();
        }
    }

    private void closeWriter() {
        lock.lock();
        try {
            writerClosed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void closeReader() {
        lock.lock();
        try {
            readerClosed = true;
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
