package dev.derphole.derp.proto;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes DERP frames into an internal buffer that is flushed to the stream when full or on
 * {@link #flush()}. A writer loop can write every queued frame and flush once, so many small frames
 * cost one syscall (and one TLS record batch).
 * <p>
 * Owned by one writer thread; not thread-safe.
 */
public final class FrameWriter {
    /** Buffer size: one maximum packet frame plus its header and key fits. */
    public static final int BUFFER_LENGTH = DerpProtocol.MAX_PACKET_SIZE + DerpProtocol.KEY_LENGTH
        + DerpProtocol.FRAME_HEADER_LENGTH;

    private final OutputStream out;
    private final byte[] buffer = new byte[BUFFER_LENGTH];
    private int position;

    public FrameWriter(final OutputStream out) {
        this.out = out;
    }

    /** Writes a frame whose payload is {@code payload[offset, offset+length)}. */
    public void writeFrame(final int type, final byte[] payload, final int offset, final int length)
        throws IOException {
        writeHeader(type, length);
        write(payload, offset, length);
    }

    /** Writes an empty frame (KeepAlive, WatchConns). */
    public void writeEmptyFrame(final int type) throws IOException {
        writeHeader(type, 0);
    }

    /** Writes {@code key ‖ data} as one frame: SendPacket, RecvPacket, PeerGone, ClosePeer. */
    public void writeKeyedFrame(
        final int type, final NodeKey key, final byte[] data, final int offset, final int length) throws IOException {
        writeHeader(type, DerpProtocol.KEY_LENGTH + length);
        ensure(DerpProtocol.KEY_LENGTH);
        key.write(buffer, position);
        position += DerpProtocol.KEY_LENGTH;
        write(data, offset, length);
    }

    /** Writes a frame whose payload is the 32 key bytes then one byte (PeerGone with reason, NotePreferred-like). */
    public void writeKeyAndByteFrame(final int type, final NodeKey key, final int value) throws IOException {
        writeHeader(type, DerpProtocol.KEY_LENGTH + 1);
        ensure(DerpProtocol.KEY_LENGTH + 1);
        key.write(buffer, position);
        position += DerpProtocol.KEY_LENGTH;
        buffer[position++] = (byte)value;
    }

    /** Writes a frame header; the caller then writes exactly {@code length} payload bytes. */
    public void writeHeader(final int type, final int length) throws IOException {
        ensure(DerpProtocol.FRAME_HEADER_LENGTH);
        buffer[position] = (byte)type;
        buffer[position + 1] = (byte)(length >>> 24);
        buffer[position + 2] = (byte)(length >>> 16);
        buffer[position + 3] = (byte)(length >>> 8);
        buffer[position + 4] = (byte)length;
        position += DerpProtocol.FRAME_HEADER_LENGTH;
    }

    /** Writes raw payload bytes after a header. */
    public void write(final byte[] src, final int offset, final int length) throws IOException {
        if (length > buffer.length - position) {
            flushBuffer();
            if (length > buffer.length) {
                out.write(src, offset, length);
                return;
            }
        }
        System.arraycopy(src, offset, buffer, position, length);
        position += length;
    }

    /** Bytes buffered and not yet written to the stream. */
    public int buffered() {
        return position;
    }

    /** Writes buffered bytes to the stream and flushes it. */
    public void flush() throws IOException {
        flushBuffer();
        out.flush();
    }

    private void ensure(final int length) throws IOException {
        if (buffer.length - position < length) {
            flushBuffer();
        }
    }

    private void flushBuffer() throws IOException {
        if (position > 0) {
            out.write(buffer, 0, position);
            position = 0;
        }
    }
}
