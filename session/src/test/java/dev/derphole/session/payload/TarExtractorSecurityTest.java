package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-made hostile or broken streams: each is refused with {@link TarException}, and the destination's
 * parent is left exactly as it was (no partial tree, no temporary directory).
 */
@Timeout(30)
class TarExtractorSecurityTest {
    @TempDir
    Path tmp;

    private Path parent;
    private Path dest;

    @BeforeEach
    void createParent() throws IOException {
        parent = Files.createDirectory(tmp.resolve("parent"));
        dest = parent.resolve("out");
    }

    @Test
    void shouldRefuseParentComponents() throws Exception {
        refuse(new TarBuilder().file("../x", "evil").end(), "tar entry \"../x\" escapes the directory");
        refuse(new TarBuilder().dir("a/").file("a/../../x", "evil").end(),
            "tar entry \"a/../../x\" escapes the directory");
        refuse(new TarBuilder().dir("a/").file("a/b/../c", "evil").end(), "escapes the directory");
        refuse(new TarBuilder().dir("..").end(), "escapes the directory");
    }

    @Test
    void shouldRefuseAbsoluteNames() throws Exception {
        refuse(new TarBuilder().file("/etc/x", "evil").end(), "tar entry \"/etc/x\" has an absolute path");
        refuse(new TarBuilder().dir("a/").pax("path=/etc/x").file("a/x", "evil").end(), "has an absolute path");
    }

    @Test
    void shouldRefuseEscapesHiddenInExtendedHeaders() throws Exception {
        refuse(new TarBuilder().dir("a/").pax("path=a/../../evil").file("a/innocent", "x").end(),
            "tar entry \"a/../../evil\" escapes the directory");
        refuse(new TarBuilder().dir("a/").gnuLongName("a/../../evil").file("a/innocent", "x").end(),
            "escapes the directory");
        refuse(new TarBuilder().dir("a/").pax("path=a/x\0/../../y").file("a/innocent", "x").end(), "NUL");
    }

    @Test
    void shouldRefuseEmptyAndDotComponents() throws Exception {
        refuse(new TarBuilder().dir("a/").file("a//x", "x").end(), "empty or '.' path component");
        refuse(new TarBuilder().dir("./").end(), "empty or '.' path component");
        refuse(new TarBuilder().dir("a/").file("a/./x", "x").end(), "empty or '.' path component");
    }

    @Test
    void shouldRefuseLinksDevicesAndOtherTypes() throws Exception {
        refuse(new TarBuilder().dir("a/").link("a/link", '2', "/etc/passwd").end(),
            "tar entry \"a/link\" is a symbolic link");
        refuse(new TarBuilder().dir("a/").file("a/f", "x").link("a/hard", '1', "a/f").end(), "is a hard link");
        refuse(new TarBuilder().dir("a/").entry("a/dev", '3', 0644, new byte[0]).end(), "is a character device");
        refuse(new TarBuilder().dir("a/").entry("a/dev", '4', 0644, new byte[0]).end(), "is a block device");
        refuse(new TarBuilder().dir("a/").entry("a/fifo", '6', 0644, new byte[0]).end(), "is a fifo");
        refuse(new TarBuilder().dir("a/").entry("a/g", 'g', 0644, new byte[0]).end(), "pax global header");
        refuse(new TarBuilder().dir("a/").pax("GNU.sparse.major=1").file("a/s", "x").end(), "sparse");
    }

    @Test
    void shouldRefuseMoreThanOneTopDirectoryOrAFileAtTheTop() throws Exception {
        refuse(new TarBuilder().dir("a/").dir("b/").end(), "tar entry \"b/\" is outside the top directory \"a\"");
        refuse(new TarBuilder().dir("a/").file("b/x", "x").end(), "is outside the top directory");
        refuse(new TarBuilder().file("x", "x").end(), "tar entry \"x\" is a file outside any directory");
    }

    @Test
    void shouldRefuseDuplicates() throws Exception {
        refuse(new TarBuilder().dir("a/").file("a/x", "1").file("a/x", "2").end(),
            "tar entry \"a/x\" repeats an earlier entry");
        refuse(new TarBuilder().dir("a/").dir("a/d/").dir("a/d/").end(), "repeats an earlier entry");
        refuse(new TarBuilder().dir("a/").file("a/x", "1").dir("a/x/").end(), "repeats an earlier entry");
        refuse(new TarBuilder().dir("a/").dir("a/x/").file("a/x", "1").end(), "repeats an earlier entry");
        refuse(new TarBuilder().dir("a/").dir("a/").end(), "repeats an earlier entry");
        refuse(new TarBuilder().dir("a/").file("a/x", "1").file("a/x/y", "2").end(),
            "is inside an earlier entry that is not a directory");
    }

    @Test
    void shouldRefuseTruncatedStreams() throws Exception {
        final byte[] valid = new TarBuilder().dir("a/").entry("a/f", '0', 0644, new byte[1000]).end().bytes();
        // Inside the data, inside the padding, before the end marker, inside the end marker.
        refuse(Arrays.copyOf(valid, 1024 + 100), "truncated");
        refuse(Arrays.copyOf(valid, 1024 + 1000), "truncated");
        refuse(Arrays.copyOf(valid, valid.length - 1024), "truncated");
        refuse(Arrays.copyOf(valid, valid.length - 512), "truncated");
        refuse(Arrays.copyOf(valid, 700), "truncated");
        refuse(new byte[0], "truncated");
        refuse(new TarBuilder().dir("a/").pax("path=a/x").end().bytes(), "extended header");
    }

    @Test
    void shouldRefuseABadChecksumOrMagic() throws Exception {
        final byte[] tar = new TarBuilder().dir("a/").file("a/f", "x").end().bytes();
        tar[512 + 2] ^= 1;
        refuse(tar, "checksum mismatch");
        final byte[] notUstar = new TarBuilder().dir("a/").end().bytes();
        notUstar[257] = 'x';
        TarBuilder.seal(notUstar, 0);
        refuse(notUstar, "bad magic");
        final byte[] noise = new byte[4096];
        Arrays.fill(noise, (byte)'7');
        refuse(noise, "checksum mismatch");
    }

    @Test
    void shouldRefuseSizesAndNumbersThatDoNotFit() throws Exception {
        final byte[] huge = TarBuilder.header("a/f", '0', 0644, 0, "");
        // GNU base-256 size of 2^62: far beyond the limit.
        Arrays.fill(huge, 124, 136, (byte)0);
        huge[124] = (byte)0x80;
        huge[128] = 0x40;
        TarBuilder.seal(huge, 0);
        refuse(new TarBuilder().dir("a/").raw(huge).end(), "too large");
        final byte[] garbage = TarBuilder.header("a/f", '0', 0644, 0, "");
        System.arraycopy("12x4".getBytes(StandardCharsets.US_ASCII), 0, garbage, 124, 4);
        TarBuilder.seal(garbage, 0);
        refuse(new TarBuilder().dir("a/").raw(garbage).end(), "size is not a number");
        refuse(new TarBuilder().dir("a/").pax("size=-1").file("a/f", "x").end(), "bad pax size");
        refuse(new TarBuilder().dir("a/").pax("size=99999999999999999999").file("a/f", "x").end(), "bad pax size");
        refuse(new TarBuilder().dir("a/").entry("a/d/", '5', 0755, new byte[10]).end(), "is a directory with data");
    }

    @Test
    void shouldRefuseOversizedOrMalformedExtendedHeadersBeforeReadingThem() throws Exception {
        final byte[] big = TarBuilder.header("PaxHeaders.0/x", 'x', 0, (1 << 20) + 1, "");
        refuse(new TarBuilder().dir("a/").raw(big).end(), "larger than 1048576 bytes");
        refuse(new TarBuilder().dir("a/").entry("p", 'x', 0, "5 a=\n9 junk\n".getBytes(StandardCharsets.US_ASCII))
            .file("a/f", "x").end(), "bad pax record");
        refuse(new TarBuilder().dir("a/").entry("p", 'x', 0, "13 path=a/b\n".getBytes(StandardCharsets.US_ASCII))
            .file("a/f", "x").end(), "bad pax record");
        refuse(new TarBuilder().dir("a/").pax("path=a/1").pax("path=a/2").file("a/f", "x").end(),
            "two pax extended headers");
    }

    @Test
    void shouldRefuseNamesThatAreNotUtf8() throws Exception {
        final byte[] header = TarBuilder.header("a/x", '0', 0644, 0, "");
        header[2] = (byte)0xff;
        TarBuilder.seal(header, 0);
        refuse(new TarBuilder().dir("a/").raw(header).end(), "not valid UTF-8");
    }

    @Test
    void shouldRefuseAStreamWithNoEntries() throws Exception {
        refuse(new TarBuilder().end(), "no entries");
    }

    @Test
    void shouldPassStreamFailuresThroughAndStillCleanUp() throws Exception {
        final byte[] tar = new TarBuilder().dir("a/").entry("a/f", '0', 0644, new byte[5000]).end().bytes();
        final IOException boom = new IOException("connection reset");
        final InputStream failing = new InputStream() {
            private int at;

            @Override
            public int read() throws IOException {
                if (at >= 2000) {
                    throw boom;
                }
                return tar[at++] & 0xff;
            }
        };
        assertThatThrownBy(() -> TarExtractor.extract(failing, dest)).isSameAs(boom);
        assertThat(Trees.list(parent)).isEmpty();
    }

    @Test
    void shouldRefuseAMissingParent() {
        assertThatThrownBy(() -> TarExtractor.extract(
            new ByteArrayInputStream(new TarBuilder().dir("a/").end().bytes()), tmp.resolve("missing/out")))
            .isInstanceOf(TarException.class)
            .hasMessageContaining("no such file or directory");
    }

    @Test
    void shouldAcceptGnuLongNamesOldTypeFlagsAndImplicitDirectories() throws Exception {
        final String longName = "a/" + "x".repeat(150) + "/" + "y".repeat(200);
        final byte[] tar = new TarBuilder()
            .gnuLongName(longName).file("a/ignored", "long")
            .entry("a/old", '\0', 0640, "old".getBytes(StandardCharsets.UTF_8))
            .entry("a/olddir/", '\0', 0750, new byte[0])
            .file("a/implicit/deep/f.txt", "deep")
            .end().bytes();
        final TarSummary summary = TarExtractor.extract(new ByteArrayInputStream(tar), dest);
        assertThat(summary).isEqualTo(new TarSummary("a", 3, 11));
        assertThat(Files.readString(dest.resolve(longName.substring(2)))).isEqualTo("long");
        assertThat(Files.readString(dest.resolve("old"))).isEqualTo("old");
        assertThat(Files.isDirectory(dest.resolve("olddir"))).isTrue();
        assertThat(Files.readString(dest.resolve("implicit/deep/f.txt"))).isEqualTo("deep");
        assertThat(Trees.list(parent)).containsExactly("out");
    }

    @Test
    void shouldApplyOnlyPermissionBits() throws Exception {
        final byte[] tar = new TarBuilder().entry("a/", '5', 07755, new byte[0])
            .entry("a/suid", '0', 04755, "x".getBytes(StandardCharsets.UTF_8))
            .entry("a/sgid", '0', 02640, "x".getBytes(StandardCharsets.UTF_8))
            .end().bytes();
        TarExtractor.extract(new ByteArrayInputStream(tar), dest);
        assertThat(perms(dest)).isEqualTo("rwxr-xr-x");
        assertThat(perms(dest.resolve("suid"))).isEqualTo("rwxr-xr-x");
        assertThat(perms(dest.resolve("sgid"))).isEqualTo("rw-r-----");
        assertThat(Files.readAttributes(dest.resolve("suid"), "unix:mode").get("mode")).isEqualTo(0100755);
        assertThat(Files.readAttributes(dest, "unix:mode").get("mode")).isEqualTo(040755);
    }

    private void refuse(final TarBuilder tar, final String message) throws IOException {
        refuse(tar.bytes(), message);
    }

    private void refuse(final byte[] tar, final String message) throws IOException {
        assertThatThrownBy(() -> TarExtractor.extract(new ByteArrayInputStream(tar), dest))
            .isInstanceOf(TarException.class)
            .hasMessageContaining(message);
        assertThat(Trees.list(parent)).as("left in the parent directory").isEmpty();
        assertThat(Trees.list(tmp)).containsExactly("parent");
    }

    private static String perms(final Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
