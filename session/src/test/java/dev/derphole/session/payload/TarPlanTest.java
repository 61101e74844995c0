package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What {@link TarPlan} includes, in which order, and what it refuses. */
@Timeout(30)
class TarPlanTest {
    @TempDir
    Path tmp;

    @Test
    void shouldListTheTopDirectoryThenEntriesInByteOrderWithDirectoriesBeforeTheirContents() throws Exception {
        final Path photos = tmp.resolve("photos");
        Trees.write(photos.resolve("b.jpg"), "bb");
        Trees.write(photos.resolve("a.jpg"), "a");
        Trees.write(photos.resolve("a/z.txt"), "zzz");
        Trees.write(photos.resolve("B/c.txt"), "");
        Files.createDirectories(photos.resolve("a/empty"));

        final TarPlan plan = TarPlan.of(photos);
        // Byte order: "B" < "a" < "a.jpg" < "b.jpg" (Go sorts names as bytes); "a/" comes with its contents.
        assertThat(plan.entries()).extracting(TarEntry::name).containsExactly(
            "photos/", "photos/B/", "photos/B/c.txt", "photos/a/", "photos/a/empty/", "photos/a/z.txt",
            "photos/a.jpg", "photos/b.jpg");
        assertThat(plan.fileCount()).isEqualTo(4);
        assertThat(plan.uncompressedBytes()).isEqualTo(6);
        assertThat(plan.entryCount()).isEqualTo(8);
        // Eight headers, three non-empty files of one block each, end marker.
        assertThat(plan.size()).isEqualTo(8 * 512 + 3 * 512 + 1024);
        assertThat(plan.topDirectory()).isEqualTo("photos");
        assertThat(plan.root()).isEqualTo(photos.toAbsolutePath());
    }

    @Test
    void shouldRefuseASymlinkAnywhereNamingItsPath() throws Exception {
        final Path photos = tmp.resolve("photos");
        Trees.write(photos.resolve("sub/real.txt"), "r");
        Files.createSymbolicLink(photos.resolve("sub/link"), photos.resolve("sub/real.txt"));
        assertThatThrownBy(() -> TarPlan.of(photos))
            .isInstanceOf(TarException.class)
            .hasMessageContaining(photos.resolve("sub/link").toString())
            .hasMessageContaining("is a symbolic link")
            .satisfies(e -> assertThat(((TarException)e).kind()).isEqualTo(TarException.Kind.SOURCE));
    }

    @Test
    void shouldRefuseASymlinkToADirectoryAsTheDirectoryItself() throws Exception {
        final Path photos = Files.createDirectories(tmp.resolve("photos"));
        final Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, photos);
        assertThatThrownBy(() -> TarPlan.of(link))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("is a symbolic link");
    }

    @Test
    void shouldRefuseAFifo() throws Exception {
        final Path photos = Files.createDirectories(tmp.resolve("photos"));
        final Path fifo = photos.resolve("pipe");
        assertThat(mkfifo(fifo)).as("mkfifo (coreutils; bin/test installs it)").isTrue();
        assertThatThrownBy(() -> TarPlan.of(photos))
            .isInstanceOf(TarException.class)
            .hasMessageContaining(fifo.toString())
            .hasMessageContaining("device, fifo or socket");
    }

    @Test
    void shouldRefuseAFileOrAMissingPath() throws Exception {
        final Path file = tmp.resolve("file.txt");
        Trees.write(file, "x");
        assertThatThrownBy(() -> TarPlan.of(file))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> TarPlan.of(tmp.resolve("missing")))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("no such file or directory");
    }

    private static boolean mkfifo(final Path path) throws InterruptedException {
        try {
            final Process p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        }
    }
}
