package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A tree written by {@link TarWriter} and read back by {@link TarExtractor} is the same tree. */
@Timeout(60)
class TarRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void shouldRoundTripNestedDirectoriesEmptyEntriesLargeFilesAndLongNames() throws Exception {
        final Path photos = tmp.resolve("src/photos");
        Trees.write(photos.resolve("a.txt"), "alpha\n");
        Trees.write(photos.resolve("sub/deeper/b.txt"), "beta");
        Files.createDirectories(photos.resolve("empty-dir/nested-empty"));
        Files.createFile(photos.resolve("sub/empty.bin"));
        final byte[] big = new byte[(1 << 20) + 123];
        new SplittableRandom(7).nextBytes(big);
        Files.write(photos.resolve("sub/big.bin"), big);
        // 120-byte file name: too long for ustar even with the prefix field, so a pax header carries it.
        final String longFile = "f".repeat(120);
        Trees.write(photos.resolve("sub/" + longFile), "long");
        // ~150 bytes in all but splittable at a '/': plain ustar with the prefix field.
        final String splittable = "d".repeat(60) + "/" + "e".repeat(80);
        Trees.write(photos.resolve(splittable), "split");
        // Over 255 bytes in all: only pax can carry it.
        final String deep = "g".repeat(90) + "/" + "h".repeat(90) + "/" + "i".repeat(90) + "/j.txt";
        Trees.write(photos.resolve(deep), "deep");

        final TarPlan plan = TarPlan.of(photos);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final long written = TarWriter.write(plan, out);
        assertThat(written).isEqualTo(plan.size()).isEqualTo(out.size());
        assertThat(plan.fileCount()).isEqualTo(7);
        assertThat(plan.uncompressedBytes()).isEqualTo(6 + 4 + big.length + 4 + 5 + 4);
        assertThat(plan.topDirectory()).isEqualTo("photos");

        final Path dest = tmp.resolve("out/received");
        Files.createDirectories(dest.getParent());
        final TarSummary summary = TarExtractor.extract(new ByteArrayInputStream(out.toByteArray()), dest);
        assertThat(summary).isEqualTo(new TarSummary("photos", 7, plan.uncompressedBytes()));
        assertThat(Trees.snapshot(dest)).isEqualTo(Trees.snapshot(photos));
        assertThat(Trees.snapshot(dest)).containsKeys("empty-dir/nested-empty/", "sub/empty.bin", deep,
            "sub/" + longFile);
        assertThat(Trees.list(dest.getParent())).containsExactly("received");
    }

    @Test
    void shouldPreservePermissionBitsAndModificationTimes() throws Exception {
        final Path top = tmp.resolve("src/top");
        Trees.write(top.resolve("private/secret.txt"), "s");
        Trees.write(top.resolve("run.sh"), "#!/bin/sh\n");
        Trees.write(top.resolve("readonly-dir/inside.txt"), "r");
        Files.setPosixFilePermissions(top.resolve("private/secret.txt"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(top.resolve("private"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.setPosixFilePermissions(top.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(top.resolve("run.sh"), FileTime.from(1_600_000_000L, TimeUnit.SECONDS));
        Files.setLastModifiedTime(top.resolve("private"), FileTime.from(1_500_000_000L, TimeUnit.SECONDS));
        // Read-only directory: the extractor must apply its mode only after filling it.
        Files.setPosixFilePermissions(top.resolve("readonly-dir"), PosixFilePermissions.fromString("r-x------"));
        try {
            final byte[] tar = tarOf(top);
            final Path dest = tmp.resolve("dest");
            TarExtractor.extract(new ByteArrayInputStream(tar), dest);

            assertThat(perms(dest.resolve("private"))).isEqualTo("rwxr-x---");
            assertThat(perms(dest.resolve("private/secret.txt"))).isEqualTo("rw-------");
            assertThat(perms(dest.resolve("run.sh"))).isEqualTo("rwxr-xr-x");
            assertThat(perms(dest.resolve("readonly-dir"))).isEqualTo("r-x------");
            assertThat(Files.readString(dest.resolve("readonly-dir/inside.txt"))).isEqualTo("r");
            assertThat(Files.getLastModifiedTime(dest.resolve("run.sh")).to(TimeUnit.SECONDS))
                .isEqualTo(1_600_000_000L);
            assertThat(Files.getLastModifiedTime(dest.resolve("private")).to(TimeUnit.SECONDS))
                .isEqualTo(1_500_000_000L);
            assertThat(Trees.snapshot(dest)).isEqualTo(Trees.snapshot(top));
        } finally {
            Files.setPosixFilePermissions(top.resolve("readonly-dir"), PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void shouldRoundTripUnicodeNames() throws Exception {
        // The build runs tests under LC_ALL=C.UTF-8 (pom.xml), as bin/lib/launch.sh runs the tools.
        final Path top = tmp.resolve("src/fotos-\u00e9t\u00e9");
        Trees.write(top.resolve("\u65e5\u672c/\u00fcber-\ud83d\ude00.txt"), "emoji");
        final TarPlan plan = TarPlan.of(top);
        final byte[] tar = tarOf(top);
        assertThat((long)tar.length).isEqualTo(plan.size());
        final Path dest = tmp.resolve("dest");
        final TarSummary summary = TarExtractor.extract(new ByteArrayInputStream(tar), dest);
        assertThat(summary.topDirectory()).isEqualTo("fotos-\u00e9t\u00e9");
        assertThat(Files.readString(dest.resolve("\u65e5\u672c/\u00fcber-\ud83d\ude00.txt"))).isEqualTo("emoji");
        assertThat(Trees.snapshot(dest)).isEqualTo(Trees.snapshot(top));
    }

    @Test
    void shouldRefuseAnExistingDestinationAndLeaveItAlone() throws Exception {
        final Path top = tmp.resolve("src/top");
        Trees.write(top.resolve("a.txt"), "a");
        final byte[] tar = tarOf(top);
        final Path parent = Files.createDirectories(tmp.resolve("parent"));
        final Path dest = Files.createDirectory(parent.resolve("dest"));
        Trees.write(dest.resolve("mine.txt"), "keep");

        assertThatThrownBy(() -> TarExtractor.extract(new ByteArrayInputStream(tar), dest))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("already exists")
            .satisfies(e -> assertThat(((TarException)e).kind()).isEqualTo(TarException.Kind.DESTINATION));
        assertThat(Trees.list(parent)).containsExactly("dest");
        assertThat(Trees.list(dest)).containsExactly("mine.txt");
    }

    @Test
    void shouldStopRatherThanWriteACorruptStreamWhenAFileGrows() throws Exception {
        final Path top = tmp.resolve("src/top");
        Trees.write(top.resolve("a.txt"), "aaaa");
        Trees.write(top.resolve("b.txt"), "bbbb");
        final TarPlan plan = TarPlan.of(top);
        Files.writeString(top.resolve("a.txt"), "more", StandardOpenOption.APPEND);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThatThrownBy(() -> TarWriter.write(plan, out))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("a.txt")
            .hasMessageContaining("grew while sending")
            .satisfies(e -> assertThat(((TarException)e).kind()).isEqualTo(TarException.Kind.CHANGED));
        // Header and the planned 4 bytes only: no padding, nothing of b.txt, no end marker.
        assertThat(out.size()).isEqualTo(512 + 512 + 4);
        assertThat((long)out.size()).isLessThan(plan.size());
    }

    @Test
    void shouldStopRatherThanWriteACorruptStreamWhenAFileShrinksOrVanishes() throws Exception {
        final Path top = tmp.resolve("src/top");
        Trees.write(top.resolve("a.txt"), "aaaa");
        Trees.write(top.resolve("b.txt"), "bbbb");
        final TarPlan plan = TarPlan.of(top);
        Files.writeString(top.resolve("a.txt"), "a");
        Files.delete(top.resolve("b.txt"));

        assertThatThrownBy(() -> TarWriter.write(plan, new ByteArrayOutputStream()))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("a.txt")
            .hasMessageContaining("shrank while sending");
        Files.writeString(top.resolve("a.txt"), "aaaa");
        assertThatThrownBy(() -> TarWriter.write(plan, new ByteArrayOutputStream()))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("b.txt")
            .hasMessageContaining("no such file");
    }

    private static byte[] tarOf(final Path dir) throws IOException, TarException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter.write(TarPlan.of(dir), out);
        return out.toByteArray();
    }

    private static String perms(final Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
