package dev.derphole.session.payload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The tree of one extraction, rooted at the temporary directory that stands for the stream's top directory:
 * checks each entry's type and name, creates its directories and files, and applies modes and times (files
 * when complete, directories at the end, deepest first). Used by {@link TarExtractor}. Not thread-safe.
 */
final class TarTree {
    private static final int COPY_BUFFER_BYTES = 64 * 1024;
    /** Mode of the top directory when the stream has no entry for it. */
    private static final int DEFAULT_DIRECTORY_MODE = 0755;
    /** Files are private while being written; their own mode is applied once complete. */
    private static final int WRITING_FILE_MODE = 0600;
    /** Times outside +-2^33 s (year 2242) are not applied: no file system needs them and some reject them. */
    private static final long MAX_APPLIED_SECONDS = 1L << 33;
    private static final Set<PosixFilePermission> WRITING_PERMISSIONS = TarExtractor.permissions(WRITING_FILE_MODE);

    private final Path root;
    private final boolean posix;
    private final byte[] buffer = new byte[COPY_BUFFER_BYTES];
    private final Set<String> declaredDirectories = new HashSet<>();
    private final List<Deferred> directories = new ArrayList<>();
    private String top;
    private Deferred topEntry;
    private String lastParent;
    private long entries;
    private long files;
    private long bytes;

    TarTree(final Path root) {
        this.root = root;
        this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Reads every entry of {@code reader} into the tree and returns what was written. */
    TarSummary extract(final TarReader reader) throws IOException, TarException {
        TarReader.Header header;
        while ((header = reader.next()) != null) {
            if (++entries > TarExtractor.MAX_ENTRIES) {
                throw new TarException(TarException.Kind.UNSAFE, "tar stream has more than "
                    + TarExtractor.MAX_ENTRIES + " entries");
            }
            entry(header, reader);
        }
        if (top == null) {
            throw new TarException(TarException.Kind.MALFORMED, "tar stream has no entries");
        }
        // Deepest first: a directory's own mode may forbid writing into it or even entering it.
        for (int i = directories.size() - 1; i >= 0; i--) {
            apply(directories.get(i));
        }
        apply(topEntry != null ? topEntry : new Deferred(root, "", DEFAULT_DIRECTORY_MODE, Long.MIN_VALUE));
        return new TarSummary(top, files, bytes);
    }

    private void entry(final TarReader.Header header, final TarReader reader) throws IOException, TarException {
        final String name = header.name();
        final boolean directory = isDirectory(header);
        final List<String> parts = components(name, directory);
        if (top == null) {
            top = parts.get(0);
        } else if (!top.equals(parts.get(0))) {
            throw unsafe(name, "is outside the top directory " + TarException.quote(top)
                + "; a stream must hold exactly one directory");
        }
        if (directory && header.sizeBytes() != 0) {
            throw new TarException(TarException.Kind.MALFORMED, "tar entry " + TarException.quote(name)
                + " is a directory with data");
        }
        if (parts.size() == 1) {
            if (!directory) {
                throw unsafe(name, "is a file outside any directory; a stream must hold exactly one directory");
            }
            if (topEntry != null) {
                throw duplicate(name);
            }
            topEntry = new Deferred(root, name, header.mode(), header.mtimeSeconds());
            return;
        }
        final Path parent = ensureParent(parts, name);
        final Path target = resolve(parent, parts.get(parts.size() - 1), name);
        if (directory) {
            directory(header, parts, target);
        } else {
            file(header, reader, target);
        }
    }

    private void directory(final TarReader.Header header, final List<String> parts, final Path target)
        throws TarException {
        final String name = header.name();
        if (!declaredDirectories.add(String.join("/", parts))) {
            throw duplicate(name);
        }
        if (declaredDirectories.size() > TarExtractor.MAX_DIRECTORIES) {
            throw new TarException(TarException.Kind.UNSAFE, "tar stream has more than " + TarExtractor.MAX_DIRECTORIES
                + " directories");
        }
        final BasicFileAttributes existing = attributes(target, name);
        if (existing == null) {
            try {
                Files.createDirectory(target);
            } catch (final FileAlreadyExistsException e) {
                throw duplicate(name);
            } catch (final IOException e) {
                throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot create "
                    + TarException.quote(name), e);
            }
        } else if (!existing.isDirectory()) {
            // A file of the same name came first.
            throw duplicate(name);
        }
        directories.add(new Deferred(target, name, header.mode(), header.mtimeSeconds()));
    }

    private void file(final TarReader.Header header, final TarReader reader, final Path target)
        throws IOException, TarException {
        final String name = header.name();
        final Set<OpenOption> options =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        final FileAttribute<?>[] attributes = posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(WRITING_PERMISSIONS)}
            : new FileAttribute<?>[0];
        final SeekableByteChannel channel;
        try {
            // CREATE_NEW: an earlier entry of the same name (or a case-folded twin) is never overwritten.
            channel = Files.newByteChannel(target, options, attributes);
        } catch (final FileAlreadyExistsException e) {
            throw duplicate(name);
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot create "
                + TarException.quote(name), e);
        }
        boolean copied = false;
        try {
            int n;
            while ((n = reader.read(buffer, buffer.length)) > 0) {
                write(channel, n, name);
            }
            copied = true;
        } finally {
            if (!copied) {
                closeQuietly(channel);
            }
        }
        try {
            channel.close();
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot write "
                + TarException.quote(name), e);
        }
        files++;
        bytes += header.sizeBytes();
        apply(new Deferred(target, name, header.mode(), header.mtimeSeconds()));
    }

    private void write(final SeekableByteChannel out, final int length, final String name) throws TarException {
        final ByteBuffer data = ByteBuffer.wrap(buffer, 0, length);
        try {
            while (data.hasRemaining()) {
                out.write(data);
            }
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot write "
                + TarException.quote(name), e);
        }
    }

    /** Closes a file being abandoned; the tree is about to be deleted, so its own failure does not matter. */
    private static void closeQuietly(final SeekableByteChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignored) {
            // The exception already on its way out says what went wrong.
        }
    }

    /** Makes sure every directory above the entry exists (creating missing ones), and returns the last. */
    private Path ensureParent(final List<String> parts, final String name) throws TarException {
        final String parentKey = String.join("/", parts.subList(0, parts.size() - 1));
        Path dir = root;
        if (parentKey.equals(lastParent)) {
            for (int i = 1; i < parts.size() - 1; i++) {
                dir = dir.resolve(parts.get(i));
            }
            return dir;
        }
        for (int i = 1; i < parts.size() - 1; i++) {
            dir = resolve(dir, parts.get(i), name);
            final BasicFileAttributes existing = attributes(dir, name);
            if (existing == null) {
                try {
                    Files.createDirectory(dir);
                } catch (final IOException e) {
                    throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot create "
                        + TarException.quote(name), e);
                }
            } else if (!existing.isDirectory()) {
                throw unsafe(name, "is inside an earlier entry that is not a directory");
            }
        }
        // Entries of one directory come together, so this saves a stat per ancestor for most files.
        lastParent = parentKey;
        return dir;
    }

    /**
     * {@code dir/component}, refusing components that this file system would read as more than one name
     * (a backslash on Windows) or as a root, and anything that normalises outside the temporary root.
     */
    private Path resolve(final Path dir, final String component, final String name) throws TarException {
        final Path child;
        try {
            final Path part = root.getFileSystem().getPath(component);
            if (part.getRoot() != null || part.getNameCount() != 1 || !part.toString().equals(component)) {
                throw unsafe(name, "has a name this system cannot store safely");
            }
            child = dir.resolve(part);
        } catch (final InvalidPathException e) {
            throw unsafe(name, "has a name this system cannot store safely");
        }
        if (!child.normalize().startsWith(root) || child.normalize().equals(root)) {
            throw unsafe(name, "escapes the directory");
        }
        return child;
    }

    private void apply(final Deferred d) throws TarException {
        try {
            if (posix) {
                // Permission bits only: setuid, setgid and sticky from a peer are never applied.
                Files.setPosixFilePermissions(d.path, TarExtractor.permissions(d.mode & 0777));
            }
            if (d.mtimeSeconds > -MAX_APPLIED_SECONDS && d.mtimeSeconds < MAX_APPLIED_SECONDS) {
                Files.setLastModifiedTime(d.path, FileTime.from(d.mtimeSeconds, TimeUnit.SECONDS));
            }
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot set the mode of "
                + TarException.quote(d.name), e);
        }
    }

    private static BasicFileAttributes attributes(final Path path, final String name) throws TarException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (final NoSuchFileException e) {
            return null;
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.DESTINATION, "cannot read "
                + TarException.quote(name), e);
        }
    }

    /** Regular file ({@code 0}, or NUL without a trailing slash) or directory ({@code 5}); nothing else. */
    private static boolean isDirectory(final TarReader.Header header) throws TarException {
        final byte type = header.type();
        if (type == TarFormat.TYPE_DIRECTORY) {
            return true;
        }
        if (type == TarFormat.TYPE_FILE_OLD) {
            // Pre-POSIX tars mark directories with a trailing slash only (Go reader.go does the same).
            return header.name().endsWith("/");
        }
        if (type == TarFormat.TYPE_FILE) {
            return false;
        }
        final String what = switch (type) {
            case '1' -> "a hard link";
            case '2' -> "a symbolic link";
            case '3' -> "a character device";
            case '4' -> "a block device";
            case '6' -> "a fifo";
            case '7' -> "a contiguous file";
            case 'g' -> "a pax global header";
            case 'S' -> "a sparse file";
            default -> type >= 0x21 && type < 0x7f ? "of type '" + (char)type + "'"
                : String.format("of type 0x%02x", type & 0xff);
        };
        throw unsafe(header.name(), "is " + what + "; only files and directories are accepted");
    }

    /** The name's components, each checked; directories may end in {@code /}, files may not. */
    private static List<String> components(final String name, final boolean directory) throws TarException {
        if (name.isEmpty()) {
            throw new TarException(TarException.Kind.MALFORMED, "tar entry has an empty name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > TarExtractor.MAX_NAME_BYTES) {
            throw unsafe(name, "has a name longer than " + TarExtractor.MAX_NAME_BYTES + " bytes");
        }
        if (name.indexOf('\0') >= 0) {
            throw unsafe(name, "has a NUL in its name");
        }
        if (name.charAt(0) == '/') {
            throw unsafe(name, "has an absolute path");
        }
        String body = name;
        if (body.endsWith("/")) {
            if (!directory) {
                throw unsafe(name, "is a file whose name ends in '/'");
            }
            body = body.substring(0, body.length() - 1);
        }
        final List<String> parts = List.of(body.split("/", -1));
        for (final String part : parts) {
            if (part.equals("..")) {
                throw unsafe(name, "escapes the directory");
            }
        }
        for (final String part : parts) {
            if (part.isEmpty() || part.equals(".")) {
                throw unsafe(name, "has an empty or '.' path component");
            }
        }
        return parts;
    }

    private static TarException duplicate(final String name) {
        return unsafe(name, "repeats an earlier entry");
    }

    private static TarException unsafe(final String name, final String what) {
        return new TarException(TarException.Kind.UNSAFE, "tar entry " + TarException.quote(name) + " " + what);
    }

    /** A mode and time to apply once an entry is complete (directories: once everything is written). */
    private record Deferred(Path path, String name, int mode, long mtimeSeconds) {
    }
}
