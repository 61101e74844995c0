package dev.derphole.cli;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.derp.server.PacketObserver;

/**
 * Test-only behaviour of {@code derphole relay} (hidden flags): fail loudly if a plaintext marker ever appears
 * in a forwarded packet, and drop a deterministic fraction of packets to exercise repair on the relay path.
 * Called from the relay's reader threads.
 */
final class RelayTestHooks implements PacketObserver {
    private final byte[] marker;
    private final long dropPerMillion;
    private final Terminal terminal;
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong markerHits = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    RelayTestHooks(final String marker, final double dropPercent, final Terminal terminal) {
        this.marker = marker == null || marker.isEmpty() ? null : marker.getBytes(StandardCharsets.UTF_8);
        this.dropPerMillion = Math.round(dropPercent * 10_000);
        this.terminal = terminal;
    }

    boolean active() {
        return marker != null || dropPerMillion > 0;
    }

    @Override
    public boolean onSendPacket(final NodeKey src, final NodeKey dst, final byte[] buf, final int off, final int len) {
        final long n = packets.incrementAndGet();
        if (marker != null && contains(buf, off, len, marker)) {
            if (markerHits.incrementAndGet() == 1) {
                terminal.always("test: PLAINTEXT MARKER SEEN in a packet from " + src.shortString());
            }
        }
        // A fixed mix of the packet number decides, so runs are repeatable and spread over time.
        if (dropPerMillion > 0 && Long.remainderUnsigned(mix(n), 1_000_000) < dropPerMillion) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    String summary() {
        return "test: packets=" + packets.get() + " marker-hits=" + markerHits.get() + " dropped=" + dropped.get();
    }

    static boolean contains(final byte[] buf, final int off, final int len, final byte[] needle) {
        final int last = off + len - needle.length;
        outer:
        for (int i = off; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static long mix(final long x) {
        long z = x * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
