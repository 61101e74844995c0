package dev.derphole.lanes.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** An OutputStream that counts bytes, hashes them (SHA-256) and keeps the first {@code keepBytes} of them. */
public final class DigestSink extends OutputStream {
    private final MessageDigest digest;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int keepBytes;
    private volatile long count;
    private volatile int flushes;

    public DigestSink() {
        this(0, true);
    }

    public DigestSink(final int keepBytes, final boolean hash) {
        this.keepBytes = keepBytes;
        try {
            this.digest = hash ? MessageDigest.getInstance("SHA-256") : null;
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void write(final int b) {
        write(new byte[] {(byte)b}, 0, 1);
    }

    @Override
    public void write(final byte[] b, final int off, final int len) {
        if (digest != null) {
            digest.update(b, off, len);
        }
        final int keep = Math.min(len, Math.max(0, keepBytes - kept.size()));
        if (keep > 0) {
            kept.write(b, off, keep);
        }
        count = count + len;
    }

    @Override
    public void flush() {
        flushes = flushes + 1;
    }

    public long count() {
        return count;
    }

    public int flushes() {
        return flushes;
    }

    public byte[] kept() {
        return kept.toByteArray();
    }

    public String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
