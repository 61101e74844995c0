package dev.derphole.session.payload;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Copies a body whose length the header fixed. Stateless; thread-safe. */
public final class PayloadBody {
    /** Copy buffer, bytes. */
    private static final int BUFFER_BYTES = 64 * 1024;

    private PayloadBody() {
    }

    /**
     * Copies exactly {@code size} bytes, never reading past them (a sender's trailing bytes stay in {@code in}).
     *
     * @param in   the payload stream, positioned after the header
     * @param out  where the file goes
     * @param size the header's {@link PayloadHeader#size()}
     * @throws PayloadException {@code incomplete file transfer: ...} when {@code in} ends early
     * @throws IOException      when {@code in} or {@code out} fails
     * @throws IllegalArgumentException when {@code size} is negative
     */
    public static void copyFile(final InputStream in, final OutputStream out, final long size)
        throws IOException, PayloadException {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        final byte[] buffer = new byte[(int)Math.min(size, BUFFER_BYTES)];
        long copied = 0;
        while (copied < size) {
            final int n = in.read(buffer, 0, (int)Math.min(buffer.length, size - copied));
            if (n < 0) {
                throw new PayloadException("incomplete file transfer: received " + copied + " of " + size
                    + " bytes");
            }
            out.write(buffer, 0, n);
            copied += n;
        }
    }
}
