package dev.derphole.session.payload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a tar stream header by header, strictly: ustar and GNU blocks with a valid checksum, pax extended
 * headers ({@code x}) and GNU long names ({@code L}) folded into the entry they precede, data read only
 * through {@link #read}. Every length is checked before it is used, so a hostile stream costs at most
 * {@link #MAX_EXTENDED_BYTES} of memory per entry and fails with {@link TarException}; failures of the
 * underlying stream pass through as they are. It reads up to and including the end-of-archive marker and
 * never further. Not thread-safe.
 */
final class TarReader {
    /** Most bytes of pax records plus GNU long name before one entry (Go's {@code maxSpecialFileSize}). */
    static final int MAX_EXTENDED_BYTES = 1 << 20;
    /** Largest file accepted: far beyond any transfer, and small enough that padding arithmetic cannot overflow. */
    static final long MAX_FILE_BYTES = 1L << 50;
    /** Longest decimal number accepted in a pax record (fits a long). */
    private static final int MAX_DECIMAL_DIGITS = 18;

    /**
     * One entry's header with the extended headers applied.
     *
     * @param name         the entry's name as UTF-8 text, unvalidated
     * @param type         the typeflag byte
     * @param sizeBytes    data bytes that follow (0..{@link #MAX_FILE_BYTES})
     * @param mode         permission bits, already masked to 0777
     * @param mtimeSeconds modification time in seconds since the epoch
     */
    record Header(String name, byte type, long sizeBytes, int mode, long mtimeSeconds) {
    }

    private final InputStream in;
    private final byte[] block = new byte[TarFormat.BLOCK];
    private long remaining;
    private int padding;
    private boolean ended;

    TarReader(final InputStream in) {
        this.in = in;
    }

    /** The next entry, or null after the end-of-archive marker; skips whatever data of the last entry is unread. */
    Header next() throws IOException, TarException {
        skipRest();
        if (ended) {
            return null;
        }
        String paxPath = null;
        long paxSize = -1;
        Long paxMtime = null;
        String longName = null;
        int extendedBytes = 0;
        boolean seenPax = false;
        while (true) {
            if (!readHeaderBlock()) {
                if (seenPax || longName != null) {
                    throw malformed("tar stream ends after an extended header, without its entry");
                }
                ended = true;
                return null;
            }
            final boolean ustar = matches(TarFormat.MAGIC_USTAR, 6);
            if (!ustar && !matches(TarFormat.MAGIC_GNU, 8)) {
                throw malformed("not a ustar tar header (bad magic)");
            }
            final byte type = block[TarFormat.TYPE_OFFSET];
            final long size = number(TarFormat.SIZE_OFFSET, TarFormat.LONG_NUMBER_LENGTH, "size");
            if (type == TarFormat.TYPE_PAX || type == TarFormat.TYPE_GNU_LONG_NAME) {
                if (size > MAX_EXTENDED_BYTES - extendedBytes) {
                    throw malformed("tar extended header is larger than " + MAX_EXTENDED_BYTES + " bytes");
                }
                extendedBytes += (int)size;
                final byte[] data = readExtended((int)size);
                if (type == TarFormat.TYPE_PAX) {
                    if (seenPax) {
                        throw malformed("two pax extended headers for one tar entry");
                    }
                    seenPax = true;
                    final Pax pax = parsePax(data);
                    paxPath = pax.path;
                    paxSize = pax.size;
                    paxMtime = pax.mtime;
                } else {
                    if (longName != null) {
                        throw malformed("two GNU long names for one tar entry");
                    }
                    longName = longName(data);
                }
                continue;
            }
            String name = utf8(field(TarFormat.NAME_OFFSET, TarFormat.NAME_LENGTH), "name");
            final String prefix = ustar ? utf8(field(TarFormat.PREFIX_OFFSET, TarFormat.PREFIX_LENGTH), "name") : "";
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            if (paxPath != null) {
                name = paxPath;
            }
            if (longName != null) {
                // Go lets a GNU long name win over a pax path; a stream with both is odd but not unsafe.
                name = longName;
            }
            final long entrySize = paxSize >= 0 ? paxSize : size;
            if (entrySize > MAX_FILE_BYTES) {
                throw malformed("tar entry " + TarException.quote(name) + " is too large (" + entrySize + " bytes)");
            }
            final int mode = (int)(number(TarFormat.MODE_OFFSET, TarFormat.NUMBER_LENGTH, "mode") & 0777);
            final long mtime = paxMtime != null ? paxMtime
                : number(TarFormat.MTIME_OFFSET, TarFormat.LONG_NUMBER_LENGTH, "mtime");
            beginData(entrySize);
            return new Header(name, type, entrySize, mode, mtime);
        }
    }

    /**
     * Reads up to {@code length} bytes of the current entry's data into {@code buffer}, or returns -1 when it
     * has all been read.
     */
    int read(final byte[] buffer, final int length) throws IOException, TarException {
        if (remaining == 0) {
            return -1;
        }
        final int n = in.read(buffer, 0, (int)Math.min(length, remaining));
        if (n < 0) {
            throw malformed("tar stream is truncated inside an entry's data");
        }
        remaining -= n;
        if (remaining == 0) {
            skipPadding();
        }
        return n;
    }

    private void beginData(final long size) throws IOException, TarException {
        remaining = size;
        padding = (int)(TarFormat.padded(size) - size);
        if (size == 0) {
            skipPadding();
        }
    }

    private void skipRest() throws IOException, TarException {
        if (remaining == 0) {
            return;
        }
        final byte[] scratch = new byte[(int)Math.min(remaining, 64 * 1024)];
        while (remaining > 0) {
            read(scratch, scratch.length);
        }
    }

    private void skipPadding() throws IOException, TarException {
        if (padding > 0 && in.readNBytes(block, 0, padding) != padding) {
            throw malformed("tar stream is truncated inside an entry's padding");
        }
        padding = 0;
    }

    /**
     * Reads the next header block into {@link #block}: true for a header with a good checksum, false for the
     * end-of-archive marker (two zero blocks).
     */
    private boolean readHeaderBlock() throws IOException, TarException {
        if (in.readNBytes(block, 0, TarFormat.BLOCK) != TarFormat.BLOCK) {
            throw malformed("tar stream is truncated (no end-of-archive marker)");
        }
        if (isZero(block)) {
            if (in.readNBytes(block, 0, TarFormat.BLOCK) != TarFormat.BLOCK) {
                throw malformed("tar stream is truncated (end-of-archive marker cut short)");
            }
            if (!isZero(block)) {
                throw malformed("tar stream has data after a zero block");
            }
            return false;
        }
        final long stored = number(TarFormat.CHECKSUM_OFFSET, TarFormat.NUMBER_LENGTH, "checksum");
        if (stored != TarFormat.unsignedSum(block) && stored != TarFormat.signedSum(block)) {
            throw malformed("tar header checksum mismatch (corrupt stream)");
        }
        return true;
    }

    private byte[] readExtended(final int size) throws IOException, TarException {
        final byte[] data = in.readNBytes(size);
        if (data.length != size) {
            throw malformed("tar stream is truncated inside an extended header");
        }
        padding = (int)(TarFormat.padded(size) - size);
        skipPadding();
        return data;
    }

    /** The pax records that matter here; others (atime, ctime, uid, uname, SCHILY.*) are checked and ignored. */
    private static Pax parsePax(final byte[] data) throws TarException {
        String path = null;
        long size = -1;
        Long mtime = null;
        int at = 0;
        while (at < data.length) {
            // "%d %s=%s\n": the decimal length counts the whole record, itself included.
            int space = at;
            while (space < data.length && space - at < 8 && data[space] >= '0' && data[space] <= '9') {
                space++;
            }
            if (space == at || space - at > 7 || space >= data.length || data[space] != ' ') {
                throw malformed("bad pax record length");
            }
            final int length = Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
            final int end = at + length;
            if (length < 5 || end > data.length || end - 1 <= space || data[end - 1] != '\n') {
                throw malformed("bad pax record");
            }
            int equals = -1;
            for (int i = space + 1; i < end - 1; i++) {
                if (data[i] == '=') {
                    equals = i;
                    break;
                }
            }
            if (equals <= space + 1) {
                throw malformed("bad pax record (no key)");
            }
            final String key = utf8(Arrays.copyOfRange(data, space + 1, equals), "pax key");
            final byte[] value = Arrays.copyOfRange(data, equals + 1, end - 1);
            switch (key) {
                case "path" -> {
                    if (contains(value, (byte)0)) {
                        throw malformed("tar entry name contains NUL");
                    }
                    path = utf8(value, "name");
                }
                case "size" -> size = decimal(value, false, "size");
                case "mtime" -> mtime = decimal(value, true, "mtime");
                default -> {
                    if (key.startsWith("GNU.sparse.")) {
                        throw new TarException(TarException.Kind.UNSAFE, "sparse tar entries are not supported");
                    }
                    if (key.indexOf(0) >= 0) {
                        throw malformed("bad pax record (NUL in key)");
                    }
                }
            }
            at = end;
        }
        return new Pax(path, size, mtime);
    }

    /** A GNU long name: the name, then NUL padding (GNU tar counts one NUL in the size). */
    private static String longName(final byte[] data) throws TarException {
        int n = data.length;
        while (n > 0 && data[n - 1] == 0) {
            n--;
        }
        final byte[] name = Arrays.copyOf(data, n);
        if (contains(name, (byte)0)) {
            throw malformed("tar entry name contains NUL");
        }
        return utf8(name, "name");
    }

    /**
     * A pax decimal: digits, for mtime optionally signed and with a fraction (ignored: files get whole seconds).
     */
    private static long decimal(final byte[] value, final boolean mtime, final String what) throws TarException {
        int i = 0;
        final boolean negative = mtime && value.length > 0 && value[0] == '-';
        if (negative) {
            i++;
        }
        final int start = i;
        while (i < value.length && value[i] >= '0' && value[i] <= '9') {
            i++;
        }
        final int digits = i - start;
        if (digits == 0 || digits > MAX_DECIMAL_DIGITS) {
            throw malformed("bad pax " + what);
        }
        if (i < value.length) {
            if (!mtime || value[i] != '.') {
                throw malformed("bad pax " + what);
            }
            for (int f = i + 1; f < value.length; f++) {
                if (value[f] < '0' || value[f] > '9') {
                    throw malformed("bad pax " + what);
                }
            }
        }
        final long x = Long.parseLong(new String(value, start, digits, StandardCharsets.US_ASCII));
        return negative ? -x : x;
    }

    /**
     * A numeric header field: octal text, leading and trailing spaces and NULs allowed (Go {@code parseOctal}),
     * or GNU base-256 (high bit set) for non-negative values up to 2^62.
     */
    private long number(final int offset, final int length, final String what) throws TarException {
        if ((block[offset] & 0x80) != 0) {
            if ((block[offset] & 0x40) != 0) {
                throw malformed("tar header field " + what + " is negative");
            }
            long x = block[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if (x >>> 54 != 0) {
                    throw malformed("tar header field " + what + " is too large");
                }
                x = x << 8 | (block[offset + i] & 0xff);
            }
            return x;
        }
        int start = offset;
        int end = offset + length;
        while (start < end && (block[start] == ' ' || block[start] == 0)) {
            start++;
        }
        while (end > start && (block[end - 1] == ' ' || block[end - 1] == 0)) {
            end--;
        }
        long x = 0;
        for (int i = start; i < end; i++) {
            final byte c = block[i];
            if (c < '0' || c > '7') {
                throw malformed("tar header field " + what + " is not a number");
            }
            // At most 12 octal digits: 36 bits, no overflow.
            x = x << 3 | (c - '0');
        }
        return x;
    }

    private byte[] field(final int offset, final int length) {
        int end = offset;
        while (end < offset + length && block[end] != 0) {
            end++;
        }
        return Arrays.copyOfRange(block, offset, end);
    }

    private boolean matches(final byte[] magic, final int length) {
        return Arrays.equals(block, TarFormat.MAGIC_OFFSET, TarFormat.MAGIC_OFFSET + length, magic, 0, length);
    }

    private static boolean isZero(final byte[] b) {
        for (final byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(final byte[] b, final byte x) {
        for (final byte y : b) {
            if (y == x) {
                return true;
            }
        }
        return false;
    }

    /** Strict UTF-8: a name that is not valid UTF-8 is refused rather than guessed at. */
    private static String utf8(final byte[] bytes, final String what) throws TarException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
        } catch (final CharacterCodingException e) {
            throw malformed("tar entry " + what + " is not valid UTF-8");
        }
    }

    private static TarException malformed(final String message) {
        return new TarException(TarException.Kind.MALFORMED, message);
    }

    private record Pax(String path, long size, Long mtime) {
    }
}
