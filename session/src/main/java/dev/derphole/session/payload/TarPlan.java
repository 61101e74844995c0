package dev.derphole.session.payload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * What {@code derphole send ./dir} will put in its tar stream, decided before a byte is written: every
 * directory and regular file under {@code dir}, in a deterministic order (siblings sorted by name, a
 * directory before its contents, as Go's {@code filepath.WalkDir}), and therefore the exact stream size,
 * so the receiver's progress is exact from the start.
 * <p>
 * Entry names are relative to the directory's parent, so they start with the directory's own name
 * ({@code photos/}, {@code photos/a.jpg}, {@code photos/sub/}). Only directories and regular files can be
 * sent: a symlink, device, fifo or socket anywhere in the tree fails the plan, naming the path (the
 * receiver refuses them too). Immutable; the files themselves may still change, which {@link TarWriter}
 * detects.
 */
public final class TarPlan {
    /** Permission bits used when the file system has no POSIX view (Windows). */
    private static final int DEFAULT_DIRECTORY_MODE = 0755;
    private static final int DEFAULT_FILE_MODE = 0644;

    private final Path root;
    private final String topDirectory;
    private final List<TarEntry> entries;
    private final long sizeBytes;
    private final long fileCount;
    private final long uncompressedBytes;

    private TarPlan(final Path root, final String topDirectory, final List<TarEntry> entries) {
        this.root = root;
        this.topDirectory = topDirectory;
        this.entries = List.copyOf(entries);
        long size = TarFormat.END_BYTES;
        long files = 0;
        long bytes = 0;
        for (final TarEntry e : this.entries) {
            size += TarFormat.headers(e).length;
            if (!e.directory()) {
                size += TarFormat.padded(e.sizeBytes());
                files++;
                bytes += e.sizeBytes();
            }
        }
        this.sizeBytes = size;
        this.fileCount = files;
        this.uncompressedBytes = bytes;
    }

    /**
     * Walks {@code dir} and plans its tar stream.
     *
     * @throws TarException {@link TarException.Kind#SOURCE} when {@code dir} is not a directory (a symlink to
     *                      one included), when the tree holds anything but directories and regular files, or
     *                      when part of it cannot be read
     */
    public static TarPlan of(final Path dir) throws TarException {
        final Path absolute = dir.toAbsolutePath().normalize();
        final Path fileName = absolute.getFileName();
        if (fileName == null) {
            throw new TarException(TarException.Kind.SOURCE, "cannot send " + quote(dir) + ": it has no name");
        }
        final Attributes top = attributes(absolute, dir);
        if (top.basic.isSymbolicLink()) {
            throw new TarException(TarException.Kind.SOURCE, quote(dir)
                + " is a symbolic link; send the directory it points to instead");
        }
        if (!top.basic.isDirectory()) {
            throw new TarException(TarException.Kind.SOURCE, quote(dir) + " is not a directory");
        }
        final String topName = fileName.toString();
        final List<TarEntry> entries = new ArrayList<>();
        entries.add(entry(absolute, topName + "/", top));
        walk(absolute, dir, topName + "/", entries);
        return new TarPlan(absolute, topName, entries);
    }

    /** The directory being sent, absolute. */
    public Path root() {
        return root;
    }

    /** The directory's own name, the first component of every entry ({@code photos}). */
    public String topDirectory() {
        return topDirectory;
    }

    /** Exact length in bytes of the tar stream {@link TarWriter} writes for this plan, end marker included. */
    public long size() {
        return sizeBytes;
    }

    /** How many regular files the stream carries. */
    public long fileCount() {
        return fileCount;
    }

    /** Total bytes of the regular files, before tar headers and padding. */
    public long uncompressedBytes() {
        return uncompressedBytes;
    }

    /** How many entries (directories, the top one included, and files) the stream carries. */
    public int entryCount() {
        return entries.size();
    }

    List<TarEntry> entries() {
        return entries;
    }

    private static void walk(final Path dir, final Path shown, final String prefix, final List<TarEntry> out)
        throws TarException {
        final List<Child> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (final Path child : stream) {
                final String name = child.getFileName().toString();
                children.add(new Child(child, name, name.getBytes(StandardCharsets.UTF_8)));
            }
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.SOURCE, "cannot list " + quote(shown), e);
        }
        // Byte order of the UTF-8 names, as Go sorts strings, so both tools send the same order.
        children.sort((a, b) -> Arrays.compareUnsigned(a.utf8, b.utf8));
        for (final Child child : children) {
            final Path childShown = shown.resolve(child.name);
            final Attributes attributes = attributes(child.path, childShown);
            final BasicFileAttributes basic = attributes.basic;
            if (basic.isDirectory()) {
                out.add(entry(child.path, prefix + child.name + "/", attributes));
                walk(child.path, childShown, prefix + child.name + "/", out);
            } else if (basic.isRegularFile()) {
                out.add(entry(child.path, prefix + child.name, attributes));
            } else {
                final String what = basic.isSymbolicLink() ? "a symbolic link" : "a device, fifo or socket";
                throw new TarException(TarException.Kind.SOURCE, quote(childShown) + " is " + what
                    + "; only files and directories can be sent");
            }
        }
    }

    private static TarEntry entry(final Path path, final String name, final Attributes attributes) {
        final BasicFileAttributes basic = attributes.basic;
        final boolean directory = basic.isDirectory();
        final int mode = attributes.posix != null ? mode(attributes.posix.permissions())
            : directory ? DEFAULT_DIRECTORY_MODE : DEFAULT_FILE_MODE;
        final Instant mtime = basic.lastModifiedTime().toInstant();
        // Whole seconds, rounded as Go's writer rounds them (ustar has no sub-second field).
        final long seconds = mtime.getEpochSecond() + (mtime.getNano() >= 500_000_000 ? 1 : 0);
        return new TarEntry(path, name, directory, directory ? 0 : basic.size(), mode, seconds);
    }

    /** POSIX permission bits from the JDK's set: the enum runs owner read (0400) down to others execute (01). */
    static int mode(final Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (final PosixFilePermission p : permissions) {
            mode |= 0400 >> p.ordinal();
        }
        return mode;
    }

    private static Attributes attributes(final Path path, final Path shown) throws TarException {
        try {
            if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                final PosixFileAttributes posix =
                    Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return new Attributes(posix, posix);
            }
            return new Attributes(Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS),
                null);
        } catch (final IOException e) {
            throw TarException.fileSystem(TarException.Kind.SOURCE, "cannot read " + quote(shown), e);
        }
    }

    private static String quote(final Path path) {
        return TarException.quote(path.toString());
    }

    private record Child(Path path, String name, byte[] utf8) {
    }

    private record Attributes(BasicFileAttributes basic, PosixFileAttributes posix) {
    }
}
