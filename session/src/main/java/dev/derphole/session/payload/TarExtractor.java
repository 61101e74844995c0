package dev.derphole.session.payload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Materialises a received tar stream as a new directory, all or nothing: entries go into a fresh hidden
 * sibling of the destination ({@code .name.derphole-partial-NNNN}, same parent, so the final step is one
 * {@code rename(2)}), and on any failure that temporary tree is deleted before the exception leaves.
 * <p>
 * The stream must hold exactly one top directory and nothing but directories and regular files inside it:
 * absolute names, {@code ..} or {@code .} components, NUL, links, devices, fifos, duplicate entries, bad
 * checksums or numbers and truncation are all refused with {@link TarException} (the upstream Go tool had
 * to fix several of these). Only permission bits (0777) are applied, never setuid, setgid or sticky, and
 * never owners. Directory modes and times are applied last, deepest first, so a read-only directory can
 * still be filled. The caller's stream is read up to the end-of-archive marker and not closed. Stateless.
 */
public final class TarExtractor {
    /** Most entries (files and directories) in one stream. */
    public static final int MAX_ENTRIES = 1 << 24;
    /** Most directory entries: each costs memory until its mode is applied at the end. */
    public static final int MAX_DIRECTORIES = 1 << 20;
    /** Longest entry name in UTF-8 bytes (Linux {@code PATH_MAX}). */
    public static final int MAX_NAME_BYTES = 4096;
    /** Marks temporary trees: {@code .name.derphole-partial-NNNN}. */
    public static final String PARTIAL_MARKER = ".derphole-partial-";

    /** Bytes of the destination's name kept in the temporary name, so that it stays under NAME_MAX (255). */
    private static final int TEMP_NAME_BYTES = 128;

    private TarExtractor() {
    }

    /**
     * Reads a tar stream from {@code in} and creates {@code destination} holding the top directory's contents.
     *
     * @param destination the directory to create; it must not exist, and its parent must
     * @return the top directory's name in the stream and what was written
     * @throws IOException  when {@code in} fails (passed through unchanged); nothing is left on disk
     * @throws TarException when the stream is malformed or unsafe, or the destination exists or cannot be
     *                      written; nothing is left on disk
     */
    public static TarSummary extract(final InputStream in, final Path destination) throws IOException, TarException {
        final Path dest = destination.toAbsolutePath().normalize();
        final Path parent = dest.getParent();
        final Path fileName = dest.getFileName();
        if (parent == null || fileName == null) {
            throw new TarException(TarException.Kind.DESTINATION, "cannot extract into " + quote(destination));
        }
        if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            throw new TarException(TarException.Kind.DESTINATION, quote(destination) + " already exists");
        }
        final Path temp;
        try {
            temp = Files.createTempDirectory(parent, "." + shorten(fileName.toString()) + PARTIAL_MARKER);
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot create a directory in "
                + quote(parent), e);
        }
        try {
            final TarSummary summary = new TarTree(temp).extract(new TarReader(in));
            // Files.move with ATOMIC_MOVE is rename(2), which would replace an empty directory created since
            // the first check; look again right before it (renameat2 RENAME_NOREPLACE is not reachable from Java).
            if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
                throw new TarException(TarException.Kind.DESTINATION, quote(destination) + " already exists");
            }
            try {
                Files.move(temp, dest, StandardCopyOption.ATOMIC_MOVE);
            } catch (final IOException e) {
                throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot create " + quote(destination),
                    e);
            }
            return summary;
        } catch (final Throwable t) {
            deleteTree(temp, t);
            throw t;
        }
    }

    /** Deletes the temporary tree; a failure to do so is attached to the exception that caused the cleanup. */
    private static void deleteTree(final Path root, final Throwable cause) {
        try {
            delete(root, isPosix(root));
        } catch (final IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private static void delete(final Path path, final boolean posix) throws IOException {
        final BasicFileAttributes attributes =
            Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isDirectory()) {
            if (posix) {
                // A directory made read-only (or unreadable) by its entry must be opened up to be emptied.
                Files.setPosixFilePermissions(path, permissions(0700));
            }
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (final Path child : children) {
                    delete(child, posix);
                }
            }
        }
        Files.delete(path);
    }

    /** The destination's name cut to {@link #TEMP_NAME_BYTES} UTF-8 bytes on a code point boundary. */
    private static String shorten(final String name) {
        int bytes = 0;
        int end = 0;
        while (end < name.length()) {
            final int cp = name.codePointAt(end);
            final int length = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + length > TEMP_NAME_BYTES) {
                break;
            }
            bytes += length;
            end += Character.charCount(cp);
        }
        return name.substring(0, end);
    }

    private static String quote(final Path path) {
        return TarException.quote(path.toString());
    }

    private static boolean isPosix(final Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** The JDK's permission set for POSIX bits; the enum runs owner read (0400) down to others execute (01). */
    static Set<PosixFilePermission> permissions(final int mode) {
        final Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        for (final PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (0400 >> p.ordinal())) != 0) {
                out.add(p);
            }
        }
        return out;
    }
}
