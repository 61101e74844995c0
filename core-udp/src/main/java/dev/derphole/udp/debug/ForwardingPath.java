package dev.derphole.udp.debug;

import java.io.IOException;

import dev.derphole.udp.PacketPath;

/**
 * A {@link PacketPath} that hands everything to a real one, the base of decorators that watch, lose or slow what
 * goes out by overriding {@link #send}. {@link #queue} and {@link #flush} are deliberately not forwarded: the
 * defaults send each datagram through this path's {@link #send}, so a decorator sees every datagram. Received
 * datagrams are reported as arriving on this path.
 */
public abstract class ForwardingPath implements PacketPath {
    protected final PacketPath delegate;

    /** @param delegate the real path; closed with this one */
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
    public long rttHintNanos() {
        return delegate.rttHintNanos();
    }

    @Override
    public int maxReceiveLength() {
        return delegate.maxReceiveLength();
    }

    @Override
    public int typicalReceiveLength() {
        return delegate.typicalReceiveLength();
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
    public void discardQueued() {
        delegate.discardQueued();
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
