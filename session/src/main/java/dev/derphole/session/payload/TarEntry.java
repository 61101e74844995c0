package dev.derphole.session.payload;

import java.nio.file.Path;

/**
 * One planned tar entry: what {@link TarPlan} found and {@link TarWriter} will write.
 *
 * @param source       the file or directory on disk
 * @param name         the tar name, {@code /}-separated, including the top directory; directories end in {@code /}
 * @param directory    true for a directory (no data), false for a regular file
 * @param sizeBytes    the file's size when planned; 0 for a directory
 * @param mode         POSIX permission bits, 0..0777
 * @param mtimeSeconds modification time, seconds since the epoch
 */
record TarEntry(Path source, String name, boolean directory, long sizeBytes, int mode, long mtimeSeconds) {
}
