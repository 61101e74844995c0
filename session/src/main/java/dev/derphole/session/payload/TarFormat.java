package dev.derphole.session.payload;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ustar header layout (POSIX.1-1988 and POSIX.1-2001 pax) and how Go's {@code archive/tar} fills it, so
 * that both sides agree byte for byte with the upstream tool. Offsets are of the 512-byte header block:
 * <pre>
 *   0 name[100]   100 mode[8]    108 uid[8]      116 gid[8]      124 size[12]   136 mtime[12]
 * 148 chksum[8]   156 typeflag   157 linkname[100]                257 magic[6]   263 version[2]
 * 265 uname[32]   297 gname[32]  329 devmajor[8] 337 devminor[8]  345 prefix[155]
 * </pre>
 * Numbers are zero-padded octal ending in NUL; the checksum is six octal digits, NUL, space (Go
 * {@code writer.go}, {@code format.go}). Stateless.
 */
final class TarFormat {
    /** Every header and the data after it come in blocks of this many bytes. */
    static final int BLOCK = 512;
    static final int NAME_OFFSET = 0;
    static final int NAME_LENGTH = 100;
    static final int MODE_OFFSET = 100;
    static final int UID_OFFSET = 108;
    static final int GID_OFFSET = 116;
    static final int SIZE_OFFSET = 124;
    static final int MTIME_OFFSET = 136;
    static final int NUMBER_LENGTH = 8;
    static final int LONG_NUMBER_LENGTH = 12;
    static final int CHECKSUM_OFFSET = 148;
    static final int TYPE_OFFSET = 156;
    static final int MAGIC_OFFSET = 257;
    static final int DEVMAJOR_OFFSET = 329;
    static final int DEVMINOR_OFFSET = 337;
    static final int PREFIX_OFFSET = 345;
    static final int PREFIX_LENGTH = 155;

    static final byte TYPE_FILE = '0';
    /** Pre-POSIX tars mark regular files with NUL. */
    static final byte TYPE_FILE_OLD = 0;
    static final byte TYPE_DIRECTORY = '5';
    static final byte TYPE_PAX = 'x';
    static final byte TYPE_GNU_LONG_NAME = 'L';

    /** {@code ustar\0} then version {@code 00}: POSIX ustar and pax. */
    static final byte[] MAGIC_USTAR = {'u', 's', 't', 'a', 'r', 0, '0', '0'};
    /** {@code ustar  \0}: GNU tar's own format (no prefix field). */
    static final byte[] MAGIC_GNU = {'u', 's', 't', 'a', 'r', ' ', ' ', 0};

    /** The end-of-archive marker: two zero blocks. */
    static final int END_BYTES = 2 * BLOCK;

    private TarFormat() {
    }

    /** {@code n} rounded up to whole blocks. */
    static long padded(final long n) {
        return (n + BLOCK - 1) & -BLOCK;
    }

    /**
     * The header block(s) for {@code entry}: one ustar block, or a pax extended header ({@code x} block plus
     * records) and then the block, when the name (non-ASCII or too long to split), the size or the mtime does
     * not fit ustar. Go's writer picks the same format for the same header.
     */
    static byte[] headers(final TarEntry entry) {
        final String name = entry.name();
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        final boolean ascii = isAscii(nameBytes);
        final int split = ascii ? ustarSplit(nameBytes) : -1;
        final boolean nameFits = ascii && (nameBytes.length <= NAME_LENGTH || split > 0);
        final long size = entry.directory() ? 0 : entry.sizeBytes();

        final Map<String, String> pax = new TreeMap<>();
        if (!ascii || nameBytes.length > NAME_LENGTH) {
            pax.put("path", name);
        }
        if (!fitsOctal(LONG_NUMBER_LENGTH, entry.mtimeSeconds())) {
            pax.put("mtime", Long.toString(entry.mtimeSeconds()));
        }
        if (!fitsOctal(LONG_NUMBER_LENGTH, size)) {
            pax.put("size", Long.toString(size));
        }
        final boolean usePax = !nameFits || pax.containsKey("mtime") || pax.containsKey("size");

        final byte[] block = new byte[BLOCK];
        if (!usePax) {
            if (nameBytes.length <= NAME_LENGTH) {
                putString(block, NAME_OFFSET, NAME_LENGTH, nameBytes);
            } else {
                putString(block, PREFIX_OFFSET, PREFIX_LENGTH, Arrays.copyOfRange(nameBytes, 0, split));
                putString(block, NAME_OFFSET, NAME_LENGTH, Arrays.copyOfRange(nameBytes, split + 1, nameBytes.length));
            }
        } else {
            // Best effort for readers that ignore pax: the ASCII part of the name, cut to the field (Go toASCII).
            putString(block, NAME_OFFSET, NAME_LENGTH, toAscii(nameBytes));
        }
        putOctal(block, MODE_OFFSET, NUMBER_LENGTH, entry.mode());
        putOctal(block, UID_OFFSET, NUMBER_LENGTH, 0);
        putOctal(block, GID_OFFSET, NUMBER_LENGTH, 0);
        putOctal(block, SIZE_OFFSET, LONG_NUMBER_LENGTH, fitsOctal(LONG_NUMBER_LENGTH, size) ? size : 0);
        final long mtime = entry.mtimeSeconds();
        putOctal(block, MTIME_OFFSET, LONG_NUMBER_LENGTH, fitsOctal(LONG_NUMBER_LENGTH, mtime) ? mtime : 0);
        block[TYPE_OFFSET] = entry.directory() ? TYPE_DIRECTORY : TYPE_FILE;
        putOctal(block, DEVMAJOR_OFFSET, NUMBER_LENGTH, 0);
        putOctal(block, DEVMINOR_OFFSET, NUMBER_LENGTH, 0);
        System.arraycopy(MAGIC_USTAR, 0, block, MAGIC_OFFSET, MAGIC_USTAR.length);
        seal(block);
        if (!usePax) {
            return block;
        }

        final byte[] records = paxRecords(pax);
        final byte[] out = new byte[BLOCK + (int)padded(records.length) + BLOCK];
        final byte[] paxHeader = new byte[BLOCK];
        putString(paxHeader, NAME_OFFSET, NAME_LENGTH, paxHeaderName(name));
        putOctal(paxHeader, MODE_OFFSET, NUMBER_LENGTH, 0);
        putOctal(paxHeader, UID_OFFSET, NUMBER_LENGTH, 0);
        putOctal(paxHeader, GID_OFFSET, NUMBER_LENGTH, 0);
        putOctal(paxHeader, SIZE_OFFSET, LONG_NUMBER_LENGTH, records.length);
        putOctal(paxHeader, MTIME_OFFSET, LONG_NUMBER_LENGTH, 0);
        paxHeader[TYPE_OFFSET] = TYPE_PAX;
        System.arraycopy(MAGIC_USTAR, 0, paxHeader, MAGIC_OFFSET, MAGIC_USTAR.length);
        seal(paxHeader);
        System.arraycopy(paxHeader, 0, out, 0, BLOCK);
        System.arraycopy(records, 0, out, BLOCK, records.length);
        System.arraycopy(block, 0, out, out.length - BLOCK, BLOCK);
        return out;
    }

    /** Pax records {@code "%d %s=%s\n"}, where the decimal length counts the whole record including itself. */
    static byte[] paxRecords(final Map<String, String> records) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final Map.Entry<String, String> r : records.entrySet()) {
            final byte[] kv = (r.getKey() + "=" + r.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
            int length = kv.length + 1 + Integer.toString(kv.length + 1).length();
            // Adding the length's own digits can add a digit (e.g. 98 + 2 digits = 100).
            length = kv.length + 1 + Integer.toString(length).length();
            out.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(kv);
        }
        return out.toByteArray();
    }

    /**
     * Where a name longer than 100 bytes splits into prefix (up to 155 bytes) and name (1..100 bytes): the
     * index of the {@code /} between them, or -1 when it cannot be split (Go {@code splitUSTARPath}).
     */
    static int ustarSplit(final byte[] name) {
        int length = name.length;
        if (length <= NAME_LENGTH) {
            return -1;
        } else if (length > PREFIX_LENGTH + 1) {
            length = PREFIX_LENGTH + 1;
        } else if (name[length - 1] == '/') {
            length--;
        }
        int slash = -1;
        for (int i = length - 1; i >= 0; i--) {
            if (name[i] == '/') {
                slash = i;
                break;
            }
        }
        final int suffixLength = name.length - slash - 1;
        if (slash <= 0 || suffixLength > NAME_LENGTH || suffixLength == 0 || slash > PREFIX_LENGTH) {
            return -1;
        }
        return slash;
    }

    /** Whether {@code x} fits a {@code length}-byte octal field with its NUL (Go {@code fitsInOctal}). */
    static boolean fitsOctal(final int length, final long x) {
        return x >= 0 && x < 1L << (3 * (length - 1));
    }

    /** Computes and stores the checksum: the unsigned byte sum with the checksum field counted as spaces. */
    static void seal(final byte[] block) {
        Arrays.fill(block, CHECKSUM_OFFSET, CHECKSUM_OFFSET + NUMBER_LENGTH, (byte)' ');
        final long sum = unsignedSum(block);
        putOctal(block, CHECKSUM_OFFSET, NUMBER_LENGTH - 1, sum);
        block[CHECKSUM_OFFSET + NUMBER_LENGTH - 1] = ' ';
    }

    /** The unsigned byte sum of a header, with the checksum field counted as eight spaces. */
    static long unsignedSum(final byte[] block) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            final boolean inChecksum = i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + NUMBER_LENGTH;
            sum += inChecksum ? ' ' : block[i] & 0xff;
        }
        return sum;
    }

    /** The signed byte sum, which some old writers (Sun tar) produced; Go accepts both. */
    static long signedSum(final byte[] block) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            final boolean inChecksum = i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + NUMBER_LENGTH;
            sum += inChecksum ? ' ' : block[i];
        }
        return sum;
    }

    private static void putOctal(final byte[] block, final int offset, final int length, final long x) {
        final String digits = Long.toOctalString(x);
        // Zero-padded to length - 1 digits, then NUL.
        final int pad = length - 1 - digits.length();
        for (int i = 0; i < pad; i++) {
            block[offset + i] = '0';
        }
        for (int i = 0; i < digits.length(); i++) {
            block[offset + pad + i] = (byte)digits.charAt(i);
        }
        block[offset + length - 1] = 0;
    }

    private static void putString(final byte[] block, final int offset, final int length, final byte[] s) {
        System.arraycopy(s, 0, block, offset, Math.min(s.length, length));
        if (s.length > length && block[offset + length - 1] == '/') {
            // A cut name ending in '/' would read as a directory to pax-unaware readers (Go formatString).
            int n = length - 1;
            while (n > 0 && block[offset + n - 1] == '/') {
                n--;
            }
            block[offset + n] = 0;
        }
    }

    /** The name Go gives a pax header: {@code dir/PaxHeaders.0/file}, ASCII only, cut to 100 bytes. */
    private static byte[] paxHeaderName(final String name) {
        final int slash = name.lastIndexOf('/');
        final String dir = slash < 0 ? "" : name.substring(0, slash);
        final String file = slash < 0 ? name : name.substring(slash + 1);
        final String joined = (dir.isEmpty() ? "" : dir + "/") + "PaxHeaders.0" + (file.isEmpty() ? "" : "/" + file);
        byte[] ascii = toAscii(joined.getBytes(StandardCharsets.UTF_8));
        if (ascii.length > NAME_LENGTH) {
            ascii = Arrays.copyOf(ascii, NAME_LENGTH);
        }
        int n = ascii.length;
        while (n > 0 && ascii[n - 1] == '/') {
            n--;
        }
        return Arrays.copyOf(ascii, n);
    }

    private static boolean isAscii(final byte[] s) {
        for (final byte b : s) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** The bytes below 0x80 and not NUL (Go {@code toASCII}); every other byte of a UTF-8 name is dropped. */
    private static byte[] toAscii(final byte[] s) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(s.length);
        for (final byte b : s) {
            if (b > 0) {
                out.write(b);
            }
        }
        return out.toByteArray();
    }
}
