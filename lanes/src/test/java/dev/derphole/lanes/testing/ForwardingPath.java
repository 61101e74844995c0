package dev.derphole.lanes.testing;

import java.io.IOException;

import dev.derphole.udp.PacketPath;

/**
 * A {@link PacketPath} that hands everything to a real one; tests override {@link #send} (or another method) to watch
 * or slow what goes out. Received datagrams are reported as arriving on this path.
 */
public abstract class ForwardingPath implements PacketPath {
    protected final PacketPath delegate;

    protected ForwardingPath(final PacketPath delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public int maxDatagramLength() {
        return delegate.maxDatagramLength();
    }

    @Override
    public boolean lossIsCongestion() {
        return delegate.lossIsCongestion();
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
        return delegate.send(buffer, offset, length);
    }

    @Override
    public void receiver(final PacketHandler handler) {
        delegate.receiver((path, buffer, offset, length) -> handler.onPacket(this, buffer, offset, length));
    }

    @Override
    public void close() {
        delegate.close();
    }
}
