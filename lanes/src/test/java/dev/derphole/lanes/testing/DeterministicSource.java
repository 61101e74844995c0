package dev.derphole.lanes.testing;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An InputStream of {@code length} pseudo-random bytes from a seed (SplitMix64), generated on the fly so
 * gigabytes need no memory, with the SHA-256 of everything read so far. The byte at a position does not depend
 * on how the stream is read. Optionally caps each read at {@code maxRead} bytes to mimic pipes.
 */
public final class DeterministicSource extends InputStream {
    private static final int BLOCK = 8192;
    private static final java.lang.invoke.VarHandle LONGS =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final long length;
    private final MessageDigest digest;
    private final byte[] block = new byte[BLOCK];
    private final int maxRead;
    private long state;
    private long position;
    private int blockPosition = BLOCK;

    public DeterministicSource(final long seed, final long length) {
        this(seed, length, Integer.MAX_VALUE, true);
    }

    /**
     * @param maxRead most bytes returned by one read
     * @param hash    compute SHA-256 (off for throughput runs)
     */
    public DeterministicSource(final long seed, final long length, final int maxRead, final boolean hash) {
        this.state = seed;
        this.length = length;
        this.maxRead = maxRead;
        try {
            this.digest = hash ? MessageDigest.getInstance("SHA-256") : null;
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int read() {
        final byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) {
        if (len == 0) {
            return 0;
        }
        if (position >= length) {
            return -1;
        }
        int n = (int)Math.min(Math.min(len, maxRead), length - position);
        int done = 0;
        while (done < n) {
            if (blockPosition == BLOCK) {
                refill();
            }
            final int c = Math.min(n - done, BLOCK - blockPosition);
            System.arraycopy(block, blockPosition, b, off + done, c);
            blockPosition += c;
            done += c;
        }
        if (digest != null) {
            digest.update(b, off, n);
        }
        position += n;
        return n;
    }

    private void refill() {
        for (int i = 0; i < BLOCK; i += 8) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            LONGS.set(block, i, z);
        }
        blockPosition = 0;
    }

    /** Bytes handed out so far. */
    public long position() {
        return position;
    }

    /** Hex SHA-256 of every byte read; call once, after the end. */
    public String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 of the whole stream computed directly (no transfer). */
    public static String sha256Of(final long seed, final long length) {
        final DeterministicSource s = new DeterministicSource(seed, length);
        final byte[] buf = new byte[1 << 16];
        while (s.read(buf, 0, buf.length) > 0) {
            // consume
        }
        return s.sha256();
    }
}
