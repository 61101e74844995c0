package dev.derphole.session.payload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/** File trees for tests: a comparable snapshot of a tree, and deletion that copes with read-only directories. */
final class Trees {
    private Trees() {
    }

    static boolean posix(final Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Every entry under {@code root} (relative, {@code /}-separated; directories end in {@code /}) mapped to
     * its kind, permission bits and, for files, size and SHA-256.
     */
    static SortedMap<String, String> snapshot(final Path root) throws IOException {
        final SortedMap<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (final Path p : (Iterable<Path>)walk::iterator) {
                final BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
                final String rel = root.relativize(p).toString().replace('\\', '/');
                final String mode = posix(p) ? PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                    LinkOption.NOFOLLOW_LINKS)) : "";
                if (a.isDirectory()) {
                    out.put(rel + "/", "dir " + mode);
                } else if (a.isRegularFile()) {
                    out.put(rel, "file " + mode + " " + a.size() + " " + sha256(p));
                } else {
                    out.put(rel, "other");
                }
            }
        }
        return out;
    }

    static String sha256(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names directly in {@code dir}. */
    static List<String> list(final Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Deletes {@code path} and everything under it, opening up directories whose mode forbids it. */
    static void delete(final Path path) throws IOException {
        final BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isDirectory()) {
            if (posix(path)) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
            }
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (final Path child : children) {
                    delete(child);
                }
            }
        }
        Files.delete(path);
    }

    static void write(final Path file, final String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
