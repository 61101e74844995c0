package dev.derphole.derp.proto;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads DERP frames from a stream: a 5-byte header, then the caller reads or skips the payload.
 * Lengths are checked against the caller's limit before any payload byte is read, so a peer cannot
 * make us allocate or wait for more than that limit.
 * <p>
 * Owned by one reader thread; not thread-safe. The stream should be buffered by the caller.
 */
public final class FrameReader {
    private final InputStream in;
    private final byte[] header = new byte[DerpProtocol.FRAME_HEADER_LENGTH];
    private int type;
    private int remaining;

    public FrameReader(final InputStream in) {
        this.in = in;
    }

    /**
     * Reads the next frame header, skipping whatever is left of the previous frame's payload.
     *
     * @param maxLength largest payload length accepted
     * @return the frame type, or -1 when the stream ended cleanly at a frame boundary
     * @throws DerpProtocolException when the length exceeds {@code maxLength}
     * @throws EOFException          when the stream ends inside a header
     */
    public int readHeader(final int maxLength) throws IOException {
        skipRest();
        final int first = in.read();
        if (first < 0) {
            return -1;
        }
        header[0] = (byte)first;
        readFully(in, header, 1, DerpProtocol.FRAME_HEADER_LENGTH - 1);
        final long length = (header[1] & 0xffL) << 24 | (header[2] & 0xff) << 16 | (header[3] & 0xff) << 8
            | (header[4] & 0xff);
        if (length > maxLength) {
            throw new DerpProtocolException(
                FrameType.name(first) + " frame of " + length + " bytes exceeds limit of " + maxLength);
        }
        type = first;
        remaining = (int)length;
        return first;
    }

    /** Type of the current frame. */
    public int type() {
        return type;
    }

    /** Payload bytes of the current frame not yet read. */
    public int remaining() {
        return remaining;
    }

    /** Reads exactly {@code length} bytes of the current payload. */
    public void read(final byte[] dst, final int offset, final int length) throws IOException {
        if (length > remaining) {
            throw new DerpProtocolException(
                FrameType.name(type) + " frame too short: wanted " + length + " more bytes, " + remaining + " left");
        }
        readFully(in, dst, offset, length);
        remaining -= length;
    }

    /** Reads the rest of the current payload into a new array (control-plane frames only). */
    public byte[] readRest() throws IOException {
        final byte[] out = new byte[remaining];
        read(out, 0, out.length);
        return out;
    }

    /** Discards the rest of the current payload (unknown frame types are skipped this way). */
    public void skipRest() throws IOException {
        while (remaining > 0) {
            final long skipped = in.skip(remaining);
            if (skipped > 0) {
                remaining -= (int)skipped;
            } else if (in.read() >= 0) {
                remaining--;
            } else {
                throw new EOFException("stream ended inside a " + FrameType.name(type) + " frame");
            }
        }
    }

    private static void readFully(final InputStream in, final byte[] dst, final int offset, final int length)
        throws IOException {
        int done = 0;
        while (done < length) {
            final int n = in.read(dst, offset + done, length - done);
            if (n < 0) {
                throw new EOFException("stream ended inside a frame");
            }
            done += n;
        }
    }
}
