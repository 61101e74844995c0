package dev.derphole.cli;

import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/** An OutputStream that keeps only the SHA-256 and the byte count of what passes through. Thread-safe. */
final class DigestSink extends OutputStream {
    private final MessageDigest sha256;
    private long bytes;

    DigestSink() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void write(final int b) {
        sha256.update((byte)b);
        bytes++;
    }

    @Override
    public synchronized void write(final byte[] b, final int off, final int len) {
        sha256.update(b, off, len);
        bytes += len;
    }

    synchronized long bytes() {
        return bytes;
    }

    /** Waits (polling, bounded by {@code timeout}) until at least {@code atLeast} bytes went through. */
    void awaitBytes(final long atLeast, final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (bytes() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + bytes() + " bytes arrived");
            }
            Thread.sleep(20);
        }
    }

    /** Hex SHA-256 of everything written (call once, at the end). */
    synchronized String hex() {
        return HexFormat.of().formatHex(sha256.digest());
    }
}
