package dev.derphole.perf;

/** The {@code variant} column: what setting a forwarder ran with. Stateless. */
final class Variants {
    /** Copy buffer of the Java forwarder: the relay's frame writer buffer is of this size (64 KiB + header). */
    static final int JAVA_FORWARDER_BUFFER = 64 << 10;

    private Variants() {
    }

    /** {@code q32}: relay with queue depth 32. */
    static String derp(final int queueDepth) {
        return "q" + queueDepth;
    }

    /** {@code b8192}: a TCP forwarder copying through an 8192-byte buffer. */
    static String buffer(final int bytes) {
        return "b" + bytes;
    }
}
