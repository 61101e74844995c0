package dev.derphole.perf;

/** Names of the forwarders the harness measures, as they appear in results.csv. */
final class ForwarderKind {
    /** The derphole relay ({@code derphole relay}), reached by DERP clients. */
    static final String DERP = "derp";
    /** One {@code socat TCP-LISTEN → TCP} process per pair carrying length-prefixed packets. */
    static final String SOCAT = "socat";
    /** One JVM ({@link TcpForwarder}) copying every pair's TCP stream with blocking I/O. */
    static final String JAVA = "java";

    private ForwarderKind() {
    }
}
