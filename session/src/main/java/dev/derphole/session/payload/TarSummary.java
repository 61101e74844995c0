package dev.derphole.session.payload;

/**
 * What {@link TarExtractor#extract} put on disk.
 *
 * @param topDirectory the stream's top directory name (first component of every entry), e.g. {@code photos}
 * @param fileCount    regular files written
 * @param fileBytes    bytes of file data written
 */
public record TarSummary(String topDirectory, long fileCount, long fileBytes) {
}
