package dev.derphole.session.link;

/**
 * The first byte of every packet a session puts on the relay (or a direct path) says who reads it. One
 * table so the ranges can never overlap; the owners define the exact values inside their range.
 */
public final class PacketKinds {
    /** Rendezvous claim/decision (session.rendezvous). */
    public static final int RENDEZVOUS_FIRST = 0x01;
    public static final int RENDEZVOUS_LAST = 0x0f;
    /** Stream engine packets (lanes.wire). */
    public static final int STREAM_FIRST = 0x10;
    public static final int STREAM_LAST = 0x3f;
    /** Session control after the rendezvous: candidate updates, call-me-maybe (session.path). */
    public static final int CONTROL_FIRST = 0x40;
    public static final int CONTROL_LAST = 0x4f;
    /** Direct-path probes and their answers (session.path, with direct UDP). */
    public static final int PROBE_FIRST = 0x80;
    public static final int PROBE_LAST = 0x8f;

    private PacketKinds() {
    }

    public static boolean isRendezvous(final int firstByte) {
        return firstByte >= RENDEZVOUS_FIRST && firstByte <= RENDEZVOUS_LAST;
    }

    public static boolean isStream(final int firstByte) {
        return firstByte >= STREAM_FIRST && firstByte <= STREAM_LAST;
    }

    public static boolean isControl(final int firstByte) {
        return firstByte >= CONTROL_FIRST && firstByte <= CONTROL_LAST;
    }

    public static boolean isProbe(final int firstByte) {
        return firstByte >= PROBE_FIRST && firstByte <= PROBE_LAST;
    }
}
