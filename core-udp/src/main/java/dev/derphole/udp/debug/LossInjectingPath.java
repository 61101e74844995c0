package dev.derphole.udp.debug;

import java.io.IOException;
import java.util.ArrayDeque;

import dev.derphole.udp.PacketPath;

/**
 * A {@link PacketPath} decorator that loses, duplicates and reorders sent datagrams by a seeded
 * {@link LossModel}: the tool for testing the stream engine's repair over any path (relay or direct).
 * A dropped datagram reports success (it was "lost in the network"); a delayed one is copied and sent
 * right after the next datagram; {@link #releaseDelayed()} sends whatever is still held. Received
 * datagrams pass through, reported as arriving on this path.
 * <p>
 * Sends belong to one sender thread, as for any {@link PacketPath}.
 */
public final class LossInjectingPath extends ForwardingPath {
    /** Held-back datagrams at most; beyond that a delay becomes a pass. */
    private static final int MAX_DELAYED = 64;

    private final LossModel model;
    private final ArrayDeque<byte[]> delayed = new ArrayDeque<>();

    /**
     * @param delegate the real path; closed with this one
     * @param model    decisions for sent datagrams
     */
    public LossInjectingPath(final PacketPath delegate, final LossModel model) {
        super(delegate);
        this.model = model;
    }

    /** The decisions in use (for their counts). */
    public LossModel model() {
        return model;
    }

    @Override
    public boolean send(final byte[] buffer, final int offset, final int length) throws IOException {
        final boolean sent;
        switch (model.next()) {
            case DROP -> sent = true;
            case DUPLICATE -> {
                final boolean first = delegate.send(buffer, offset, length);
                sent = delegate.send(buffer, offset, length) || first;
            }
            case DELAY -> {
                if (delayed.size() < MAX_DELAYED) {
                    final byte[] copy = new byte[length];
                    System.arraycopy(buffer, offset, copy, 0, length);
                    delayed.addLast(copy);
                    return true;
                }
                sent = delegate.send(buffer, offset, length);
            }
            default -> sent = delegate.send(buffer, offset, length);
        }
        releaseDelayed();
        return sent;
    }

    /** Sends every held-back datagram now; returns how many the delegate accepted. */
    public int releaseDelayed() throws IOException {
        int sent = 0;
        while (!delayed.isEmpty()) {
            final byte[] held = delayed.pollFirst();
            if (delegate.send(held, 0, held.length)) {
                sent++;
            }
        }
        return sent;
    }

    @Override
    public String toString() {
        return "LossInjectingPath[" + delegate + ", " + model + "]";
    }
}
