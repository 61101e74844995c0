package dev.derphole.session.payload;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Where {@code derphole receive [-o PATH]} puts a file or a directory (upstream {@code ResolveOutputPath} and
 * {@code ResolveDirectoryOutput}). Only looks at the file system; creates nothing. The header's name is checked
 * again here (the basename rule of {@link PayloadHeader}), so a name that could leave the chosen directory never
 * gets a target. Stateless; thread-safe.
 */
public final class ReceiveTarget {
    private ReceiveTarget() {
    }

    /**
     * The file to write: {@code -o DIR} (an existing directory, or a symbolic link to one) gives
     * {@code DIR/name}; any other {@code -o PATH} is the file itself (an existing file is replaced); without
     * {@code -o} it is {@code name} in the working directory.
     *
     * @param workingDir where a relative path is resolved
     * @param output     the {@code -o} argument, or {@code null} or empty when not given
     * @param name       the header's name
     * @return the file's path
     * @throws PayloadException for an unsafe name, an unusable path, or {@code PATH/} that is no directory
     */
    public static Path file(final Path workingDir, final String output, final String name) throws PayloadException {
        checkName(name);
        if (output == null || output.isEmpty()) {
            return workingDir.resolve(name);
        }
        final Path path = resolve(workingDir, output);
        if (Files.isDirectory(path)) {
            return path.resolve(name);
        }
        // "-o downloads/" means a directory; never quietly create a file named "downloads".
        if (output.endsWith("/") || output.endsWith(path.getFileSystem().getSeparator())) {
            throw new PayloadException("output directory does not exist: " + output);
        }
        return checkLastElement(path, output);
    }

    /**
     * The top directory to extract into: {@code -o DIR} (an existing directory) gives {@code DIR/name}; a
     * {@code -o PATH} that does not exist is the top directory itself; without {@code -o} it is {@code name}
     * in the working directory.
     *
     * @param workingDir where a relative path is resolved
     * @param output     the {@code -o} argument, or {@code null} or empty when not given
     * @param name       the header's name
     * @return the top directory's path; the tar's top-level entry is renamed to it
     * @throws PayloadException for an unsafe name, an unusable path, or a {@code PATH} that exists and is not a
     *                          directory
     */
    public static Path directory(final Path workingDir, final String output, final String name)
        throws PayloadException {
        checkName(name);
        if (output == null || output.isEmpty()) {
            return workingDir.resolve(name);
        }
        final Path path = resolve(workingDir, output);
        if (Files.isDirectory(path)) {
            return path.resolve(name);
        }
        // NOFOLLOW: a dangling symbolic link exists too, and extracting through it would leave PATH.
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new PayloadException("output path exists and is not a directory: " + output);
        }
        return checkLastElement(path, output);
    }

    private static void checkName(final String name) throws PayloadException {
        final String problem = PayloadHeader.nameProblem(name);
        if (problem != null) {
            throw new PayloadException(problem);
        }
    }

    private static Path resolve(final Path workingDir, final String output) throws PayloadException {
        try {
            return workingDir.resolve(output);
        } catch (final InvalidPathException e) {
            throw new PayloadException("invalid output path " + PayloadException.quote(output));
        }
    }

    /** A path that does not exist must still name something: {@code missing/..} names no file. */
    private static Path checkLastElement(final Path path, final String output) throws PayloadException {
        final Path last = path.getFileName();
        if (last == null || last.toString().equals(".") || last.toString().equals("..")) {
            throw new PayloadException("output path names no file: " + output);
        }
        return path;
    }
}
