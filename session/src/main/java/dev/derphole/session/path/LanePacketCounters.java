package dev.derphole.session.path;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Lane packets that verified, and those refused by {@link ProbeCodec.LaneRefusal reason}. Thread-safe. */
final class LanePacketCounters {
    private final AtomicLongArray refused = new AtomicLongArray(ProbeCodec.LaneRefusal.values().length);
    private final AtomicLong valid = new AtomicLong();

    void valid() {
        valid.incrementAndGet();
    }

    void refuse(final ProbeCodec.LaneRefusal reason) {
        refused.incrementAndGet(reason.ordinal());
    }

    long validPackets() {
        return valid.get();
    }

    long refused(final ProbeCodec.LaneRefusal reason) {
        return refused.get(reason.ordinal());
    }

    long refusedPackets() {
        long n = 0;
        for (int i = 0; i < refused.length(); i++) {
            n += refused.get(i);
        }
        return n;
    }
}
