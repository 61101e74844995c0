package dev.derphole.session.payload;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * A directory could not be sent or received as a tar stream. The message is one line for the user
 * ({@code tar entry "../x" escapes the directory}); {@link #kind()} lets callers pick an exit code or a
 * hint without parsing text. Failures of the caller's own byte stream are not wrapped: they stay the
 * {@link IOException} the stream threw.
 */
public final class TarException extends Exception {
    /** Why the directory or stream was refused. */
    public enum Kind {
        /** The directory to send holds something tar cannot carry (a symlink, device, fifo) or cannot be read. */
        SOURCE,
        /** A file changed size between planning and sending; the stream stops short instead of lying. */
        CHANGED,
        /** The stream is not a well-formed tar stream: bad checksum, bad field, truncated. */
        MALFORMED,
        /** An entry would escape the directory, is a link or device, or repeats an earlier entry. */
        UNSAFE,
        /** The destination exists already or cannot be written. */
        DESTINATION
    }

    private final Kind kind;

    /** A refusal with a one-line message for the user. */
    public TarException(final Kind kind, final String message) {
        super(message);
        this.kind = kind;
    }

    /** A refusal caused by a lower-level failure, kept as the cause for {@code --verbose}. */
    public TarException(final Kind kind, final String message, final Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** Why the directory or stream was refused. */
    public Kind kind() {
        return kind;
    }

    /** {@code what: reason} for a file-system failure, with the reason in words rather than a bare path. */
    static TarException fileSystem(final Kind kind, final String what, final IOException e) {
        return new TarException(kind, what + ": " + reason(e), e);
    }

    /** Words for a file-system failure; the JDK's messages for these are often just the path. */
    static String reason(final IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** {@code "name"} for a message: control characters escaped, long names shortened. */
    static String quote(final String name) {
        final int maxCodePoints = 200;
        final StringBuilder sb = new StringBuilder(Math.min(name.length(), maxCodePoints) + 8).append('"');
        int count = 0;
        for (int i = 0; i < name.length(); count++) {
            if (count == maxCodePoints) {
                sb.append("...");
                break;
            }
            final int cp = name.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '"' || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff)) {
                // Names come from the peer: never print raw control characters to the user's terminal.
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        }
        return sb.append('"').toString();
    }
}
