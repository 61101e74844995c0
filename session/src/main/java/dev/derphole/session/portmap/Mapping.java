package dev.derphole.session.portmap;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * One port mapping held on the gateway: the protocol that made it, the external address and port peers can send
 * to, and the lifetime the gateway granted ({@link Duration#ZERO} for a permanent UPnP lease, which is still
 * rechecked now and then). Immutable.
 *
 * @param kind     the protocol that made the mapping
 * @param external the gateway's external address and the mapped external port
 * @param lifetime the lifetime the gateway granted; zero for a permanent lease
 */
public record Mapping(Kind kind, InetSocketAddress external, Duration lifetime) {
    /** The protocols, with the names upstream's debug lines use. */
    public enum Kind {
        /** Port Control Protocol, RFC 6887, MAP opcode. */
        PCP("pcp"),
        /** NAT Port Mapping Protocol, RFC 6886. */
        NAT_PMP("pmp"),
        /** UPnP Internet Gateway Device, WANIPConnection or WANPPPConnection service. */
        UPNP("upnp");

        private final String wireName;

        Kind(final String wireName) {
            this.wireName = wireName;
        }

        /** The short name in debug lines ({@code pcp}, {@code pmp}, {@code upnp}). */
        public String wireName() {
            return wireName;
        }
    }

    /** Validates the fields. */
    public Mapping {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(external, "external");
        Objects.requireNonNull(lifetime, "lifetime");
        if (external.isUnresolved() || external.getPort() == 0) {
            throw new IllegalArgumentException("external must be a resolved address with a port: " + external);
        }
        if (lifetime.isNegative()) {
            throw new IllegalArgumentException("negative lifetime");
        }
    }

    /** Whether the gateway and external port are the same as {@code other}'s (the lifetime may differ). */
    public boolean sameEndpoint(final Mapping other) {
        return other != null && kind == other.kind && external.equals(other.external);
    }

    /** The external endpoint as {@code ip:port}, the form candidates use. */
    public String externalText() {
        return external.getAddress().getHostAddress() + ":" + external.getPort();
    }

    /** Debug line in upstream's form: {@code portmap=upnp external=203.0.113.7:41641}. */
    public String describe() {
        return "portmap=" + kind.wireName() + " external=" + externalText();
    }

    @Override
    public String toString() {
        return describe() + " lifetime=" + lifetime.toSeconds() + "s";
    }
}
