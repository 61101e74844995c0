package dev.derphole.session.portmap;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Named counters of the port mapping clients: every dropped packet or response, every request and every mapping
 * event is counted here instead of being logged. Updated by the client threads, read by anyone at any time;
 * values only grow. One instance is usually shared by a {@link PortMapper} and the clients it creates.
 */
public final class PortmapCounters {
    /** The counters. */
    public enum Name {
        /** NAT-PMP and PCP requests sent (retransmissions included). */
        PXP_SENT,
        /** Valid NAT-PMP and PCP responses from the gateway. */
        PXP_RESPONSES,
        /**
         * NAT-PMP/PCP datagrams from the gateway that failed to parse (length, version, reply bit). Datagrams from
         * other addresses never arrive: the socket is connected to the gateway's server port, so the kernel drops them.
         */
        PXP_MALFORMED,
        /** Well-formed NAT-PMP/PCP responses that did not answer our request (opcode, nonce, port, protocol). */
        PXP_MISMATCHED,
        /** NAT-PMP/PCP answers dropped before an exchange: replies to the previous exchange's retransmissions. */
        PXP_STALE,
        /** SSDP M-SEARCH datagrams sent. */
        SSDP_SENT,
        /** SSDP responses from the gateway naming an IGD or WAN connection service. */
        SSDP_RESPONSES,
        /** SSDP datagrams from the gateway that were not a parseable HTTP 200 response with a LOCATION. */
        SSDP_MALFORMED,
        /** SSDP datagrams from an address other than the gateway. */
        SSDP_FOREIGN,
        /** Well-formed SSDP responses for a search target we did not ask for. */
        SSDP_IGNORED,
        /** HTTP requests to the gateway (description fetches and SOAP calls). */
        HTTP_REQUESTS,
        /** HTTP requests that failed: connect, timeout, reset, oversize, or an unparseable response. */
        HTTP_FAILURES,
        /** Device descriptions or SOAP bodies that were not acceptable XML. */
        XML_MALFORMED,
        /** SOAP faults (UPnP errors) returned by the gateway. */
        SOAP_FAULTS,
        /** UPnP URLs (LOCATION, URLBase, controlURL) naming a host other than the gateway, pointed back at it. */
        URLS_REPOINTED,
        /** UPnP URLs rejected outright (not http, bad port, unsafe path). */
        URLS_REJECTED,
        /** Mappings created by a first attempt (not refreshes). */
        MAPPINGS_CREATED,
        /** Successful refreshes. */
        REFRESHES,
        /** Refresh requests that failed (each retry counts). */
        REFRESH_FAILURES,
        /** Changes of the external address or port seen on a refresh. */
        CHANGES,
        /** Mappings lost (refresh failed until expiry, or refused). */
        LOSSES,
        /** NAT-PMP/PCP epochs that went backwards: the gateway restarted and lost its mappings. */
        GATEWAY_RESTARTS,
        /** Early checks run because the session asked (its direct path went quiet). */
        RECHECKS,
        /** Mappings deleted on close. */
        DELETES,
        /** Deletes that got no confirmation. */
        DELETE_FAILURES,
        /** Exceptions thrown by a listener (caught). */
        LISTENER_ERRORS,
        /** Unexpected exceptions caught by the mapper thread. */
        WORKER_ERRORS
    }

    private final LongAdder[] values = new LongAdder[Name.values().length];

    /** All counters at zero. */
    public PortmapCounters() {
        for (int i = 0; i < values.length; i++) {
            values[i] = new LongAdder();
        }
    }

    /** The current value of {@code name}. */
    public long get(final Name name) {
        return values[name.ordinal()].sum();
    }

    void increment(final Name name) {
        values[name.ordinal()].increment();
    }

    /** Non-zero counters as {@code name=value} pairs, for debug output. */
    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("portmap-counters{");
        boolean first = true;
        for (final Name name : Name.values()) {
            final long v = get(name);
            if (v != 0) {
                sb.append(first ? "" : " ").append(name.name().toLowerCase(Locale.ROOT)).append('=').append(v);
                first = false;
            }
        }
        return sb.append('}').toString();
    }
}
