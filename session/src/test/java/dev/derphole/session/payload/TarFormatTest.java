package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bytes {@link TarWriter} writes, field by field, as Go's {@code archive/tar} writes them. */
@Timeout(30)
class TarFormatTest {
    private static final long MTIME = 1_700_000_000L;

    @TempDir
    Path tmp;

    @Test
    void shouldWriteTheDocumentedUstarHeaderForATinyTree() throws Exception {
        final Path top = tmp.resolve("t");
        Trees.write(top.resolve("a.txt"), "hi\n");
        Files.setPosixFilePermissions(top.resolve("a.txt"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setPosixFilePermissions(top, PosixFilePermissions.fromString("rwxr-x---"));
        Files.setLastModifiedTime(top.resolve("a.txt"), FileTime.from(MTIME, TimeUnit.SECONDS));
        Files.setLastModifiedTime(top, FileTime.from(MTIME + 1, TimeUnit.SECONDS));

        final TarPlan plan = TarPlan.of(top);
        final byte[] tar = write(plan);
        // Directory header, file header, one data block, end marker.
        assertThat(plan.size()).isEqualTo(512 + 512 + 512 + 1024);
        assertThat(tar).hasSize(2560);

        final byte[] dir = Arrays.copyOfRange(tar, 0, 512);
        assertThat(field(dir, 0, 100)).isEqualTo("t/" + "\0".repeat(98));
        assertThat(field(dir, 100, 8)).isEqualTo("0000750\0");
        assertThat(field(dir, 108, 8)).isEqualTo("0000000\0");
        assertThat(field(dir, 116, 8)).isEqualTo("0000000\0");
        assertThat(field(dir, 124, 12)).isEqualTo("00000000000\0");
        assertThat(field(dir, 136, 12)).isEqualTo("14524770401\0");
        assertThat(field(dir, 156, 1)).isEqualTo("5");
        assertThat(field(dir, 157, 100)).isEqualTo("\0".repeat(100));
        assertThat(field(dir, 257, 6)).isEqualTo("ustar\0");
        assertThat(field(dir, 263, 2)).isEqualTo("00");
        assertThat(field(dir, 265, 64)).isEqualTo("\0".repeat(64));
        assertThat(field(dir, 329, 8)).isEqualTo("0000000\0");
        assertThat(field(dir, 337, 8)).isEqualTo("0000000\0");
        assertThat(field(dir, 345, 167)).isEqualTo("\0".repeat(167));
        assertChecksum(dir);

        final byte[] file = Arrays.copyOfRange(tar, 512, 1024);
        assertThat(field(file, 0, 8)).isEqualTo("t/a.txt\0");
        assertThat(field(file, 100, 8)).isEqualTo("0000640\0");
        assertThat(field(file, 124, 12)).isEqualTo("00000000003\0");
        assertThat(field(file, 136, 12)).isEqualTo("14524770400\0");
        assertThat(field(file, 156, 1)).isEqualTo("0");
        assertThat(field(file, 257, 8)).isEqualTo("ustar\u000000");
        assertChecksum(file);

        assertThat(field(tar, 1024, 512)).isEqualTo("hi\n" + "\0".repeat(509));
        assertThat(Arrays.copyOfRange(tar, 1536, 2560)).containsOnly(0);
    }

    @Test
    void shouldSplitANameOfUpTo256BytesIntoPrefixAndNameWithoutPax() throws Exception {
        final String dirs = "d".repeat(60) + "/" + "e".repeat(60);
        final Path top = tmp.resolve("t");
        Trees.write(top.resolve(dirs + "/" + "f".repeat(90)), "x");
        final TarPlan plan = TarPlan.of(top);
        final byte[] tar = write(plan);
        // Four plain headers (t/, d.../, d.../e.../, the file), one data block, end marker: no pax anywhere.
        assertThat(plan.size()).isEqualTo(4 * 512 + 512 + 1024);
        final byte[] file = Arrays.copyOfRange(tar, 3 * 512, 4 * 512);
        assertThat(field(file, 156, 1)).isEqualTo("0");
        assertThat(cString(file, 0, 100)).isEqualTo("f".repeat(90));
        assertThat(cString(file, 345, 155)).isEqualTo("t/" + dirs);
        assertChecksum(file);
    }

    @Test
    void shouldCarryANameThatUstarCannotHoldInAPaxHeader() throws Exception {
        final Path top = tmp.resolve("t");
        final String name = "n".repeat(120);
        Trees.write(top.resolve(name), "x");
        final byte[] tar = write(TarPlan.of(top));

        final byte[] pax = Arrays.copyOfRange(tar, 512, 1024);
        assertThat(field(pax, 156, 1)).isEqualTo("x");
        assertThat(cString(pax, 0, 100)).isEqualTo("t/PaxHeaders.0/" + "n".repeat(85));
        assertThat(field(pax, 257, 8)).isEqualTo("ustar\u000000");
        assertChecksum(pax);
        final String record = "132 path=t/" + name + "\n";
        assertThat(record).hasSize(132);
        assertThat(field(pax, 124, 12)).isEqualTo(String.format("%011o\0", record.length()));
        assertThat(field(tar, 1024, record.length())).isEqualTo(record);

        final byte[] header = Arrays.copyOfRange(tar, 1536, 2048);
        assertThat(field(header, 156, 1)).isEqualTo("0");
        // The ustar name is the best effort for pax-unaware readers: the first 100 bytes.
        assertThat(field(header, 0, 100)).isEqualTo(("t/" + name).substring(0, 100));
        assertChecksum(header);
        assertThat(field(tar, 2048, 1)).isEqualTo("x");
    }

    @Test
    void shouldUsePaxForNonAsciiNamesKeepingTheAsciiPartInTheUstarName() throws Exception {
        final TarEntry entry = new TarEntry(tmp, "t/caf\u00e9.txt", false, 5, 0644, MTIME);
        final byte[] headers = TarFormat.headers(entry);
        assertThat(headers).hasSize(3 * 512);
        final byte[] record = "20 path=t/caf\u00e9.txt\n".getBytes(StandardCharsets.UTF_8);
        assertThat(record).hasSize(20);
        assertThat(Arrays.copyOfRange(headers, 512, 512 + record.length)).isEqualTo(record);
        assertThat(cString(headers, 0, 100)).isEqualTo("t/PaxHeaders.0/caf.txt");
        assertThat(cString(headers, 1024, 100)).isEqualTo("t/caf.txt");
    }

    @Test
    void shouldUsePaxForSizesAndTimesThatOctalCannotHold() {
        final TarEntry entry = new TarEntry(tmp, "t/huge.bin", false, 1L << 33, 0644, -1);
        final byte[] headers = TarFormat.headers(entry);
        assertThat(new String(headers, 512, 31, StandardCharsets.US_ASCII))
            .isEqualTo("12 mtime=-1\n" + "19 size=8589934592\n");
        // The ustar fields say 0, as Go's writer does when a value went to the pax header.
        assertThat(field(headers, 1024 + 124, 12)).isEqualTo("00000000000\0");
        assertThat(field(headers, 1024 + 136, 12)).isEqualTo("00000000000\0");
    }

    @Test
    void shouldCountItsOwnDigitsInPaxRecordLengths() {
        for (int valueLength = 80; valueLength < 110; valueLength++) {
            final String value = "v".repeat(valueLength);
            final String record = new String(TarFormat.paxRecords(Map.of("path", value)), StandardCharsets.UTF_8);
            final int declared = Integer.parseInt(record.substring(0, record.indexOf(' ')));
            assertThat(declared).as("record for a %d-byte value", valueLength).isEqualTo(record.length());
            assertThat(record).endsWith(" path=" + value + "\n");
        }
    }

    @Test
    void shouldSplitOnlyWherePrefixAndNameBothFit() {
        assertThat(TarFormat.ustarSplit(ascii("a".repeat(100)))).isEqualTo(-1);
        assertThat(TarFormat.ustarSplit(ascii("a".repeat(50) + "/" + "b".repeat(60)))).isEqualTo(50);
        assertThat(TarFormat.ustarSplit(ascii("a".repeat(155) + "/" + "b".repeat(100)))).isEqualTo(155);
        assertThat(TarFormat.ustarSplit(ascii("a".repeat(156) + "/" + "b".repeat(10)))).isEqualTo(-1);
        assertThat(TarFormat.ustarSplit(ascii("a".repeat(10) + "/" + "b".repeat(101)))).isEqualTo(-1);
        assertThat(TarFormat.ustarSplit(ascii("/" + "b".repeat(101)))).isEqualTo(-1);
        // A directory's trailing slash is not a split point.
        assertThat(TarFormat.ustarSplit(ascii("a".repeat(150) + "/"))).isEqualTo(-1);
    }

    private static byte[] write(final TarPlan plan) throws IOException, TarException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(TarWriter.write(plan, out)).isEqualTo(plan.size());
        return out.toByteArray();
    }

    /** The checksum field is six octal digits, NUL, space, and equals the byte sum with itself as spaces. */
    private static void assertChecksum(final byte[] block) {
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += i >= 148 && i < 156 ? ' ' : block[i] & 0xff;
        }
        assertThat(field(block, 148, 8)).isEqualTo(String.format("%06o\0 ", sum));
    }

    private static String field(final byte[] b, final int offset, final int length) {
        return new String(b, offset, length, StandardCharsets.ISO_8859_1);
    }

    private static String cString(final byte[] b, final int offset, final int length) {
        int end = offset;
        while (end < offset + length && b[end] != 0) {
            end++;
        }
        return new String(b, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static byte[] ascii(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
