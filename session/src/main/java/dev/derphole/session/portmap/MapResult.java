package dev.derphole.session.portmap;

import java.util.Objects;

/**
 * What one mapping request to the gateway came to: a {@link Mapped mapping} or a {@link Failed failure} with its
 * reason. Clients return these instead of throwing, so a router that is missing, silent or hostile costs a bounded
 * wait and a counter, never an exception. Immutable.
 */
public sealed interface MapResult permits MapResult.Mapped, MapResult.Failed {
    /** Why a request did not produce a mapping. */
    enum Failure {
        /** Nothing valid came back from the gateway before the deadline. */
        NO_RESPONSE,
        /** The gateway does not speak this protocol version (PCP answered by a NAT-PMP-only gateway). */
        UNSUPPORTED_VERSION,
        /** The gateway answered with an error: {@link Failed#code()} holds its result or UPnP error code. */
        REFUSED,
        /** The gateway has no usable external address (none yet, or {@code 0.0.0.0}, loopback, multicast). */
        NO_EXTERNAL_ADDRESS,
        /** No UPnP IGD with a usable WAN connection service answered. */
        NO_SERVICE,
        /** The gateway answered with ICMP port unreachable: nothing listens on the protocol's port. */
        PORT_UNREACHABLE,
        /** A local socket failed (bind, send, connect refused). */
        IO_ERROR,
        /** The client was closed while the request was in flight. */
        ABORTED
    }

    /** Whether this is a mapping. */
    default boolean isMapped() {
        return this instanceof Mapped;
    }

    /**
     * A mapping the gateway granted.
     *
     * @param mapping      the mapping
     * @param epochSeconds the gateway's NAT-PMP/PCP epoch in the response (seconds since its mappings were last
     *                     reset), or -1 where the protocol has none (UPnP)
     */
    record Mapped(Mapping mapping, long epochSeconds) implements MapResult {
        /** Validates the fields. */
        public Mapped {
            Objects.requireNonNull(mapping, "mapping");
        }
    }

    /**
     * A request that did not produce a mapping.
     *
     * @param failure why
     * @param code    the gateway's result code (NAT-PMP/PCP) or UPnP error code for {@link Failure#REFUSED}, else 0
     */
    record Failed(Failure failure, int code) implements MapResult {
        /** Validates the fields. */
        public Failed {
            Objects.requireNonNull(failure, "failure");
        }

        /** A failure without a code. */
        public static Failed of(final Failure failure) {
            return new Failed(failure, 0);
        }

        @Override
        public String toString() {
            return code == 0 ? failure.name() : failure.name() + "(" + code + ")";
        }
    }
}
