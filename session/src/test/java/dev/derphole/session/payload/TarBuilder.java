package dev.derphole.session.payload;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Hand-made tar streams for tests, written independently of {@link TarFormat} so that the two check each
 * other: ustar blocks with any name, type, mode and size, pax and GNU long-name headers, raw bytes.
 */
final class TarBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TarBuilder dir(final String name) {
        return entry(name, '5', 0755, new byte[0]);
    }

    TarBuilder file(final String name, final String text) {
        return entry(name, '0', 0644, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A header with {@code data.length} as its size, the data, and padding. */
    TarBuilder entry(final String name, final char type, final int mode, final byte[] data) {
        out.writeBytes(header(name, type, mode, data.length, ""));
        return data(data);
    }

    /** A link-type header ({@code 1} or {@code 2}) pointing at {@code target}. */
    TarBuilder link(final String name, final char type, final String target) {
        out.writeBytes(header(name, type, 0777, 0, target));
        return this;
    }

    /** A pax extended header with these records, each given as {@code key=value}. */
    TarBuilder pax(final String... records) {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (final String record : records) {
            final byte[] kv = (record + "\n").getBytes(StandardCharsets.UTF_8);
            int length = kv.length + 1 + Integer.toString(kv.length + 1).length();
            length = kv.length + 1 + Integer.toString(length).length();
            data.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
            data.writeBytes(kv);
        }
        return entry("PaxHeaders.0/x", 'x', 0, data.toByteArray());
    }

    /** A GNU long-name header ({@code L}): the name and one NUL, as GNU tar writes it. */
    TarBuilder gnuLongName(final String name) {
        final byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        return entry("././@LongLink", 'L', 0644, Arrays.copyOf(utf8, utf8.length + 1));
    }

    TarBuilder raw(final byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    TarBuilder data(final byte[] data) {
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        return this;
    }

    /** The end-of-archive marker: two zero blocks. */
    TarBuilder end() {
        out.writeBytes(new byte[1024]);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** One ustar header block; the name goes whole into the 100-byte field (cut if longer). */
    static byte[] header(final String name, final char type, final int mode, final long size, final String link) {
        final byte[] b = new byte[512];
        final byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, b, 0, Math.min(100, n.length));
        octal(b, 100, 8, mode);
        octal(b, 108, 8, 0);
        octal(b, 116, 8, 0);
        octal(b, 124, 12, size);
        octal(b, 136, 12, 1_700_000_000L);
        b[156] = (byte)type;
        final byte[] l = link.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(l, 0, b, 157, Math.min(100, l.length));
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, b, 257, 8);
        seal(b, 0);
        return b;
    }

    /** Recomputes the checksum of the header block at {@code offset}. */
    static void seal(final byte[] b, final int offset) {
        Arrays.fill(b, offset + 148, offset + 156, (byte)' ');
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += b[offset + i] & 0xff;
        }
        final String digits = String.format("%06o", sum);
        System.arraycopy(digits.getBytes(StandardCharsets.US_ASCII), 0, b, offset + 148, 6);
        b[offset + 154] = 0;
        b[offset + 155] = ' ';
    }

    static void octal(final byte[] b, final int offset, final int length, final long value) {
        final String digits = String.format("%0" + (length - 1) + "o", value);
        System.arraycopy(digits.getBytes(StandardCharsets.US_ASCII), 0, b, offset, length - 1);
        b[offset + length - 1] = 0;
    }
}
