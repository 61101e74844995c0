package dev.derphole.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.LockSupport;

import dev.derphole.udp.uring.SharedCallShape;

/**
 * Payload output to a pipe that writes only into room the pipe has, instead of blocking inside {@code write(2)}
 * on a full pipe. A blocked writer is woken each time the reader frees a little (8 KiB for {@code openssl dgst}),
 * writes that much and blocks again: measured on loopback, the receiver's stdout was full 40 % of the time and its
 * writer thread switched ~40,000 times per GiB. Here a write waits (short sleeps, backing off) until a quarter of
 * the pipe is free and then fills it in one call. A reader that stops altogether is met with a plain blocking
 * write after {@link #MAX_SPINS} waits, so a stalled pipe costs no CPU.
 * <p>
 * Not a pipe (a file, a terminal) or no native access: every write goes straight through. {@code close()} only
 * flushes (stdout stays open).
 * <p>
 * Owned by the one thread that writes the payload (the stream's sink writer); not thread-safe.
 */
final class PipeOutput extends OutputStream {
    /** First wait while the pipe is too full, in ns (a fast reader drains a quarter of 1 MiB in ~0.15 ms). */
    private static final long FIRST_WAIT_NS = 100_000L;
    /** Longest single wait, in ns. */
    private static final long MAX_WAIT_NS = 2_000_000L;
    /** Waits in a row before falling back to a blocking write (the reader may have stopped). */
    private static final int MAX_SPINS = 16;

    private final OutputStream out;
    private final int fd;
    private final int pipeBytes;
    private final MemorySegment cell;
    /** errno of the FIONREAD calls (the shared FFM call shape captures it). */
    private final MemorySegment state;

    /**
     * @param out       the raw descriptor's stream (unbuffered)
     * @param fd        its descriptor number
     * @param pipeBytes the pipe's size ({@link PipeBuffers#grow}), or 0 or less when {@code fd} is not a pipe
     */
    PipeOutput(final OutputStream out, final int fd, final int pipeBytes) {
        this.out = out;
        this.fd = fd;
        this.pipeBytes = pipeBytes;
        // A confined arena would tie the cell to the constructing thread; the sink writer is another one.
        final Arena arena = Arena.ofAuto();
        this.cell = pipeBytes > 0 ? arena.allocate(ValueLayout.JAVA_INT) : null;
        this.state = pipeBytes > 0 ? SharedCallShape.newCallState(arena) : null;
    }

    @Override
    public void write(final int b) throws IOException {
        out.write(b);
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException {
        if (cell == null) {
            out.write(b, off, len);
            return;
        }
        int offset = off;
        int remaining = len;
        long waitNs = FIRST_WAIT_NS;
        int spins = 0;
        while (remaining > 0) {
            final int queued = PipeBuffers.queued(fd, cell, state);
            final int free = queued < 0 ? remaining : pipeBytes - queued;
            if (free >= Math.min(remaining, pipeBytes / 4) || spins >= MAX_SPINS) {
                final int n = spins >= MAX_SPINS ? remaining : Math.min(remaining, free);
                out.write(b, offset, n);
                offset += n;
                remaining -= n;
                waitNs = FIRST_WAIT_NS;
                spins = 0;
                continue;
            }
            LockSupport.parkNanos(this, waitNs);
            waitNs = Math.min(MAX_WAIT_NS, waitNs * 2);
            spins++;
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
