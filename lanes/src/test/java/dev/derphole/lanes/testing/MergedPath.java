package dev.derphole.lanes.testing;

import java.io.IOException;
import java.util.List;

import dev.derphole.udp.PacketPath;

/**
 * The receiver's side of several lanes as one {@link PacketPath}, like the real receiver's one socket that
 * accepts stream packets from every validated lane address: datagrams from any of the ends reach the one
 * handler; everything sent goes on the first end (lane 0).
 * <p>
 * For tests; thread-safe as far as the ends are.
 */
public final class MergedPath implements PacketPath {
    private final List<PacketPath> ends;

    public MergedPath(final List<PacketPath> ends) {
        this.ends = List.copyOf(ends);
    }

    @Override
    public String name() {
        return ends.get(0).name();
    }

    @Override
    public int maxDatagramLength() {
        return ends.get(0).maxDatagramLength();
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
        return ends.get(0).send(buffer, offset, length);
    }

    @Override
    public void receiver(final PacketHandler handler) {
        for (final PacketPath end : ends) {
            end.receiver((path, buffer, offset, length) -> handler.onPacket(this, buffer, offset, length));
        }
    }

    @Override
    public void close() {
        for (final PacketPath end : ends) {
            end.close();
        }
    }
}
