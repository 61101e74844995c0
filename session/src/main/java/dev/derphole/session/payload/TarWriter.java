package dev.derphole.session.payload;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.Arrays;

/**
 * Writes a {@link TarPlan} as a tar stream: for each entry its ustar header (preceded by a pax extended
 * header when the name does not fit ustar), then a file's bytes padded to 512, and finally two zero blocks.
 * The output is what Go's {@code archive/tar} writes for the same tree, with uid/gid 0 and no user or group
 * names (the receiver ignores them and they would only leak the sender's account).
 * <p>
 * Exactly {@link TarPlan#size()} bytes are written or the call fails: a file that shrank or grew since the
 * plan stops the stream with {@link TarException.Kind#CHANGED} before a wrong byte is written, so the
 * receiver sees a short stream, never a corrupt one. Stateless.
 */
public final class TarWriter {
    /** Copy buffer: large enough for few system calls, small enough to stay off the humongous-object path. */
    private static final int COPY_BUFFER_BYTES = 64 * 1024;

    private TarWriter() {
    }

    /**
     * Writes the stream for {@code plan} to {@code out}; does not close or flush {@code out}.
     *
     * @return the number of bytes written, always {@code plan.size()}
     * @throws IOException  when {@code out} fails (passed through unchanged)
     * @throws TarException when a file cannot be read ({@link TarException.Kind#SOURCE}) or changed size since
     *                      the plan ({@link TarException.Kind#CHANGED})
     */
    public static long write(final TarPlan plan, final OutputStream out) throws IOException, TarException {
        final byte[] buffer = new byte[COPY_BUFFER_BYTES];
        long written = 0;
        for (final TarEntry entry : plan.entries()) {
            final byte[] headers = TarFormat.headers(entry);
            if (entry.directory()) {
                out.write(headers);
                written += headers.length;
                continue;
            }
            // Open before writing the header, so that a vanished file fails without a dangling header.
            try (Source in = Source.open(entry)) {
                out.write(headers);
                written += headers.length;
                written += copy(entry, in, out, buffer);
            }
        }
        Arrays.fill(buffer, 0, TarFormat.END_BYTES, (byte)0);
        out.write(buffer, 0, TarFormat.END_BYTES);
        written += TarFormat.END_BYTES;
        if (written != plan.size()) {
            throw new IllegalStateException("tar writer wrote " + written + " bytes, planned " + plan.size());
        }
        return written;
    }

    /** Copies exactly the planned size plus padding; the file must end exactly there. */
    private static long copy(final TarEntry entry, final Source in, final OutputStream out, final byte[] buffer)
        throws IOException, TarException {
        final long size = entry.sizeBytes();
        long remaining = size;
        while (remaining > 0) {
            final int n = in.read(buffer, (int)Math.min(buffer.length, remaining));
            if (n < 0) {
                throw new TarException(TarException.Kind.CHANGED, name(entry) + " shrank while sending (planned "
                    + size + " bytes, it now has " + (size - remaining) + "); send it again");
            }
            out.write(buffer, 0, n);
            remaining -= n;
        }
        if (in.read(buffer, 1) > 0) {
            throw new TarException(TarException.Kind.CHANGED, name(entry) + " grew while sending (planned " + size
                + " bytes); send it again");
        }
        final int pad = (int)(TarFormat.padded(size) - size);
        Arrays.fill(buffer, 0, pad, (byte)0);
        out.write(buffer, 0, pad);
        return size + pad;
    }

    private static String name(final TarEntry entry) {
        return TarException.quote(entry.source().toString());
    }

    /** A source file whose failures become {@link TarException}s, told apart from the output stream's. */
    private static final class Source implements AutoCloseable {
        private final TarEntry entry;
        private final InputStream in;

        private Source(final TarEntry entry, final InputStream in) {
            this.entry = entry;
            this.in = in;
        }

        static Source open(final TarEntry entry) throws TarException {
            try {
                // NOFOLLOW_LINKS: a file swapped for a symlink since the plan must not smuggle in its target.
                return new Source(entry, Files.newInputStream(entry.source(), LinkOption.NOFOLLOW_LINKS));
            } catch (final IOException e) {
                throw TarException.fileSystem(TarException.Kind.SOURCE, "cannot read " + name(entry), e);
            }
        }

        int read(final byte[] buffer, final int length) throws TarException {
            try {
                return in.read(buffer, 0, length);
            } catch (final IOException e) {
                throw TarException.fileSystem(TarException.Kind.SOURCE, "cannot read " + name(entry), e);
            }
        }

        @Override
        public void close() throws TarException {
            try {
                in.close();
            } catch (final IOException e) {
                throw TarException.fileSystem(TarException.Kind.SOURCE, "cannot read " + name(entry), e);
            }
        }
    }
}
