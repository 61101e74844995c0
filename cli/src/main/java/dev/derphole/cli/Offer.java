package dev.derphole.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.derphole.session.payload.DirectoryMetadata;
import dev.derphole.session.payload.PayloadHeader;
import dev.derphole.session.payload.PayloadKind;
import dev.derphole.session.payload.TarException;
import dev.derphole.session.payload.TarPlan;
import dev.derphole.session.payload.TarWriter;

/**
 * What {@code send} offers: an existing file, an existing directory (as a tar stream whose size is known before
 * it is written), the argument as text, or stdin as text. The body is opened only once a receiver claimed the
 * code, so a file is read at its state then.
 */
final class Offer {
    /** Bytes buffered between the tar writer's thread and the session. */
    private static final int TAR_PIPE_BYTES = 1 << 20;

    private final PayloadHeader header;
    private final Path path;
    private final TarPlan plan;
    private final byte[] text;

    private Offer(final PayloadHeader header, final Path path, final TarPlan plan, final byte[] text) {
        this.header = header;
        this.path = path;
        this.plan = plan;
        this.text = text;
    }

    /**
     * @param what the argument of {@code send}, or null for stdin
     * @throws UserFacingException for a directory that cannot be sent (a symbolic link or device inside it)
     */
    static Offer of(final String what) {
        if (what == null) {
            return new Offer(PayloadHeader.of(PayloadKind.TEXT), null, null, null);
        }
        final Path path = Path.of(what);
        if (Files.isRegularFile(path)) {
            try {
                return new Offer(PayloadHeader.file(name(path), Files.size(path)), path, null, null);
            } catch (final IOException e) {
                throw UserFacingException.runtime("cannot read " + what + ": " + e.getMessage());
            }
        }
        if (Files.isDirectory(path)) {
            try {
                final TarPlan plan = TarPlan.of(path);
                return new Offer(PayloadHeader.directory(name(path), plan.size(),
                    new DirectoryMetadata(plan.fileCount(), plan.uncompressedBytes())), path, plan, null);
            } catch (final TarException e) {
                throw UserFacingException.runtime("cannot send " + what + ": " + e.getMessage());
            }
        }
        return new Offer(PayloadHeader.of(PayloadKind.TEXT), null, null, what.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code 1 file}, {@code 3 files}. */
    static String files(final long count) {
        return count + (count == 1 ? " file" : " files");
    }

    private static String name(final Path path) {
        final Path name = path.toAbsolutePath().normalize().getFileName();
        return name == null ? "root" : name.toString();
    }

    PayloadHeader header() {
        return header;
    }

    /** Body bytes when known (a file, a directory's tar, the argument's text); 0 for stdin. */
    long size() {
        return text != null ? text.length : header.size();
    }

    /** Shows a progress bar: a file or a directory. */
    boolean hasProgress() {
        return header.kind() != PayloadKind.TEXT;
    }

    /** What {@code send} says it sends, e.g. {@code Sending 1.2MiB file named "x"}. */
    String summary() {
        return switch (header.kind()) {
            case FILE -> "Sending " + ProgressLine.size(header.size()) + " file named \"" + header.name() + "\"";
            case DIRECTORY_TAR -> "Sending directory (" + files(plan.fileCount()) + ", "
                + ProgressLine.size(plan.uncompressedBytes()) + ") named \"" + header.name() + "\"";
            default -> text != null ? "Sending text message (" + ProgressLine.size(text.length) + ")"
                : "Sending text from stdin";
        };
    }

    /** Opens the body: the file, a tar stream written on a thread of its own, the text, or {@code stdin}. */
    InputStream openBody(final InputStream stdin) throws IOException {
        if (header.kind() == PayloadKind.FILE) {
            return new ExactLength(Files.newInputStream(path), header.size(), path);
        }
        if (plan != null) {
            final BytePipe pipe = new BytePipe(TAR_PIPE_BYTES);
            Thread.ofPlatform().daemon().name("derphole-tar").start(() -> {
                try (var out = pipe.sink()) {
                    TarWriter.write(plan, out);
                } catch (final IOException | TarException e) {
                    pipe.fail("cannot send " + path + ": " + e.getMessage());
                }
            });
            return pipe.source();
        }
        return text != null ? new ByteArrayInputStream(text) : stdin;
    }

    /**
     * A file read as exactly the size its header announced: a file still growing (a log) is cut there, one that
     * shrank fails the transfer instead of leaving the receiver to wait for bytes that never come.
     */
    private static final class ExactLength extends java.io.FilterInputStream {
        private final Path path;
        private long left;

        ExactLength(final InputStream in, final long size, final Path path) {
            super(in);
            this.left = size;
            this.path = path;
        }

        @Override
        public int read() throws IOException {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            final int n = in.read(b, off, (int)Math.min(len, left));
            if (n < 0) {
                throw new IOException(path + " shrank while being sent (" + left + " bytes short)");
            }
            left -= n;
            return n;
        }
    }
}
