package dev.derphole.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.util.SplittableRandom;

/** Writes deterministic pseudo-random bytes into a process's stdin, hashing them on the way. */
final class PayloadSource {
    private PayloadSource() {
    }

    /** Writes {@code length} bytes from {@code seed} into {@code out}, then closes it; returns the digest. */
    static DigestSink write(final OutputStream out, final long length, final long seed) throws IOException {
        final DigestSink digest = new DigestSink();
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] chunk = new byte[1 << 16];
        long left = length;
        try (out) {
            while (left > 0) {
                final int n = (int)Math.min(chunk.length, left);
                random.nextBytes(chunk);
                out.write(chunk, 0, n);
                digest.write(chunk, 0, n);
                left -= n;
            }
        }
        return digest;
    }

    /**
     * As {@link #write(OutputStream, long, long)}, but after {@code gateAt} bytes waits (at most 120 s) until
     * {@code gate} opens before writing the rest: the test changes the network mid-stream.
     */
    static DigestSink write(final OutputStream out, final long length, final long seed, final long gateAt,
        final java.util.concurrent.CountDownLatch gate) throws IOException, InterruptedException {
        final DigestSink digest = new DigestSink();
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] chunk = new byte[1 << 16];
        long written = 0;
        try (out) {
            while (written < length) {
                if (written == gateAt && !gate.await(120, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IOException("gate never opened");
                }
                final int n = (int)Math.min(chunk.length, Math.min(length - written,
                    written < gateAt ? gateAt - written : Long.MAX_VALUE));
                random.nextBytes(chunk);
                out.write(chunk, 0, n);
                digest.write(chunk, 0, n);
                written += n;
            }
        }
        return digest;
    }

    /** Writes {@code data} and closes; returns its digest. */
    static DigestSink write(final OutputStream out, final byte[] data) throws IOException {
        final DigestSink digest = new DigestSink();
        try (out) {
            out.write(data);
            digest.write(data, 0, data.length);
        }
        return digest;
    }
}
