package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with GNU tar, when it is installed (reported as skipped otherwise): GNU tar extracts
 * our stream, and we extract what {@code tar --format=pax} writes.
 */
@Timeout(60)
class TarInteropTest {
    @TempDir
    Path tmp;

    /** bin/test installs GNU tar where it is missing: interop is checked on every run, never skipped. */
    @BeforeAll
    static void requireGnuTar() throws InterruptedException {
        assertThat(gnuTarAvailable()).as("GNU tar on the PATH (bin/test installs it)").isTrue();
    }

    @Test
    void shouldBeExtractableByGnuTar() throws Exception {
        final Path top = tree(tmp.resolve("src"));
        final Path archive = tmp.resolve("ours.tar");
        try (OutputStream out = Files.newOutputStream(archive)) {
            assertThat(TarWriter.write(TarPlan.of(top), out)).isEqualTo(Files.size(archive));
        }
        final Path out = Files.createDirectory(tmp.resolve("gnu-out"));
        run("tar", "-x", "-p", "-f", archive.toString(), "-C", out.toString());
        assertThat(Trees.snapshot(out.resolve("photos"))).isEqualTo(Trees.snapshot(top));
        assertThat(Trees.list(out)).containsExactly("photos");
    }

    @Test
    void shouldExtractWhatGnuTarWritesInPaxFormat() throws Exception {
        final Path top = tree(tmp.resolve("src"));
        final Path archive = tmp.resolve("gnu.tar");
        run("tar", "--format=pax", "-c", "-f", archive.toString(), "-C", top.getParent().toString(), "photos");
        final Path dest = tmp.resolve("ours-out");
        try (InputStream in = Files.newInputStream(archive)) {
            final TarSummary summary = TarExtractor.extract(in, dest);
            assertThat(summary.topDirectory()).isEqualTo("photos");
            assertThat(summary.fileCount()).isEqualTo(4);
        }
        assertThat(Trees.snapshot(dest)).isEqualTo(Trees.snapshot(top));
    }

    @Test
    void shouldExtractWhatGnuTarWritesInItsOwnFormat() throws Exception {
        final Path top = tree(tmp.resolve("src"));
        final Path archive = tmp.resolve("gnu.tar");
        run("tar", "--format=gnu", "-c", "-f", archive.toString(), "-C", top.getParent().toString(), "photos");
        final Path dest = tmp.resolve("ours-out");
        try (InputStream in = Files.newInputStream(archive)) {
            TarExtractor.extract(in, dest);
        }
        assertThat(Trees.snapshot(dest)).isEqualTo(Trees.snapshot(top));
    }

    /** A tree that needs pax: a long name, a path over 255 bytes, a non-ASCII name, an empty directory. */
    private static Path tree(final Path root) throws IOException {
        final Path top = root.resolve("photos");
        Trees.write(top.resolve("a.txt"), "alpha\n");
        Trees.write(top.resolve("sub/" + "l".repeat(130)), "long");
        Trees.write(top.resolve("x".repeat(100) + "/" + "y".repeat(100) + "/" + "z".repeat(80)), "deep");
        Trees.write(top.resolve("caf\u00e9.txt"), "unicode");
        Files.createDirectories(top.resolve("empty"));
        return top;
    }

    private static void run(final String... command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        assertThat(p.exitValue()).as("%s exit status, output: %s", List.of(command), output).isZero();
    }

    private static boolean gnuTarAvailable() throws InterruptedException {
        try {
            final Process p = new ProcessBuilder("tar", "--version").redirectErrorStream(true).start();
            final String version;
            try (InputStream in = p.getInputStream()) {
                version = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && version.contains("GNU tar");
        } catch (final IOException e) {
            return false;
        }
    }
}
