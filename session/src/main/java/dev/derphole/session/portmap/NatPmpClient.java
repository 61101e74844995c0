package dev.derphole.session.portmap;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import dev.derphole.session.portmap.PortmapCounters.Name;

/**
 * NAT-PMP client (RFC 6886) for UDP mappings: asks the gateway for its external address (opcode 0) and for a
 * mapping of our internal port (opcode 1), refreshes by asking again, and deletes with a zero lifetime.
 * <p>
 * Responses are parsed strictly ({@link NatPmpCodec}); those from anywhere but the gateway's port 5351 never reach
 * us (the socket is connected), malformed ones and answers to other requests are counted and ignored. Requests
 * are retransmitted at 250 ms doubling until the caller's budget ends.
 * <p>
 * Owned by one thread at a time (one request in flight); {@link #close()} may be called from any thread and
 * aborts a request in flight.
 */
public final class NatPmpClient implements Closeable {
    /** The gateway's NAT-PMP (and PCP) server port. */
    public static final int DEFAULT_PORT = 5351;
    /** The largest lifetime the protocol carries, in seconds. */
    private static final long MAX_LIFETIME_SECONDS = 0xffff_ffffL;

    private final PxpSocket socket;
    private final PortmapCounters counters;

    /**
     * A client for the NAT-PMP server at {@code server}, sending from {@code bindAddress} (our LAN address; the
     * wildcard lets the kernel choose).
     *
     * @throws IOException when the socket cannot be bound or connected
     */
    public NatPmpClient(final InetSocketAddress server, final InetAddress bindAddress, final PortmapCounters counters)
        throws IOException {
        this.counters = counters;
        this.socket = new PxpSocket(server, bindAddress, counters);
    }

    /**
     * Maps UDP {@code internalPort} on this host, asking for {@code suggestedExternalPort} (0: any, or the port of
     * the mapping being refreshed) for {@code lifetimeSeconds}; also asks for the external address. Never throws.
     */
    public MapResult map(final int internalPort, final int suggestedExternalPort, final long lifetimeSeconds,
                         final Duration budget) {
        checkPort(internalPort, 1);
        checkPort(suggestedExternalPort, 0);
        if (lifetimeSeconds < 1 || lifetimeSeconds > MAX_LIFETIME_SECONDS) {
            throw new IllegalArgumentException("lifetime out of range: " + lifetimeSeconds);
        }
        final byte[] addressRequest = NatPmpCodec.externalAddressRequest();
        final byte[] mapRequest = NatPmpCodec.mapRequest(internalPort, suggestedExternalPort, lifetimeSeconds);
        final Inet4Address[] external = new Inet4Address[1];
        final NatPmpCodec.Response[] mapped = new NatPmpCodec.Response[1];
        return socket.exchange(budget, s -> {
            if (external[0] == null) {
                s.send(addressRequest);
            }
            if (mapped[0] == null) {
                s.send(mapRequest);
            }
        }, (data, length) -> {
            final NatPmpCodec.Response r = accept(data, length);
            if (r == null) {
                return null;
            }
            if (r.opcode() == (NatPmpCodec.OP_REPLY | NatPmpCodec.OP_EXTERNAL_ADDRESS)) {
                if (r.resultCode() != NatPmpCodec.RESULT_OK) {
                    return failure(r.resultCode());
                }
                if (!Addresses.usableExternal(r.externalAddress())) {
                    return MapResult.Failed.of(MapResult.Failure.NO_EXTERNAL_ADDRESS);
                }
                external[0] = r.externalAddress();
            } else {
                final MapResult outcome = onMapResponse(r, internalPort);
                if (outcome != null) {
                    return outcome;
                }
                if (r.resultCode() == NatPmpCodec.RESULT_OK && r.internalPort() == internalPort
                    && r.externalPort() != 0 && r.lifetimeSeconds() != 0) {
                    mapped[0] = r;
                }
            }
            if (external[0] == null || mapped[0] == null) {
                return null;
            }
            final NatPmpCodec.Response m = mapped[0];
            return new MapResult.Mapped(new Mapping(Mapping.Kind.NAT_PMP,
                new InetSocketAddress(external[0], m.externalPort()), Duration.ofSeconds(m.lifetimeSeconds())),
                m.epochSeconds());
        });
    }

    /** The gateway's external address, if it reports a usable one within {@code budget}. Never throws. */
    public Optional<InetAddress> externalAddress(final Duration budget) {
        final byte[] request = NatPmpCodec.externalAddressRequest();
        final InetAddress[] external = new InetAddress[1];
        socket.exchange(budget, s -> s.send(request), (data, length) -> {
            final NatPmpCodec.Response r = accept(data, length);
            if (r == null) {
                return null;
            }
            if (r.opcode() != (NatPmpCodec.OP_REPLY | NatPmpCodec.OP_EXTERNAL_ADDRESS)) {
                counters.increment(Name.PXP_MISMATCHED);
                return null;
            }
            if (r.resultCode() != NatPmpCodec.RESULT_OK) {
                return failure(r.resultCode());
            }
            if (!Addresses.usableExternal(r.externalAddress())) {
                return MapResult.Failed.of(MapResult.Failure.NO_EXTERNAL_ADDRESS);
            }
            external[0] = r.externalAddress();
            return PxpSocket.CONFIRMED;
        });
        return Optional.ofNullable(external[0]);
    }

    /**
     * Deletes our mapping of UDP {@code internalPort} (a map request with lifetime 0 and, as RFC 6886 asks,
     * suggested external port 0). Returns whether the gateway confirmed within {@code budget}. Never throws.
     */
    public boolean delete(final int internalPort, final Duration budget) {
        checkPort(internalPort, 1);
        final byte[] request = NatPmpCodec.mapRequest(internalPort, 0, 0);
        final MapResult result = socket.exchange(budget, s -> s.send(request), (data, length) -> {
            final NatPmpCodec.Response r = accept(data, length);
            if (r == null) {
                return null;
            }
            final MapResult outcome = onMapResponse(r, internalPort);
            if (outcome != null) {
                return outcome;
            }
            return r.resultCode() == NatPmpCodec.RESULT_OK && r.internalPort() == internalPort
                ? PxpSocket.CONFIRMED : null;
        });
        return result.isMapped();
    }

    /** Parses and counts one datagram; null when it is malformed. */
    private NatPmpCodec.Response accept(final byte[] data, final int length) {
        final NatPmpCodec.Response r = NatPmpCodec.parse(data, length);
        if (r == null) {
            counters.increment(Name.PXP_MALFORMED);
            return null;
        }
        counters.increment(Name.PXP_RESPONSES);
        return r;
    }

    /**
     * Checks a response against a map request for {@code internalPort}: the failure it reports, or null when it
     * is a success for our port or not ours at all (counted as mismatched).
     */
    private MapResult onMapResponse(final NatPmpCodec.Response r, final int internalPort) {
        if (r.opcode() != (NatPmpCodec.OP_REPLY | NatPmpCodec.OP_MAP_UDP)) {
            counters.increment(Name.PXP_MISMATCHED);
            return null;
        }
        // A bare-header error (internal port 0) cannot name the request; with one request in flight it is ours.
        if (r.resultCode() != NatPmpCodec.RESULT_OK && (r.internalPort() == internalPort || r.internalPort() == 0)) {
            return failure(r.resultCode());
        }
        if (r.internalPort() != internalPort) {
            counters.increment(Name.PXP_MISMATCHED);
            return null;
        }
        if (r.resultCode() == NatPmpCodec.RESULT_OK && (r.externalPort() == 0) != (r.lifetimeSeconds() == 0)) {
            // A mapping with a port but no lifetime (or the reverse) is not something we can use or confirm.
            counters.increment(Name.PXP_MALFORMED);
        }
        return null;
    }

    static MapResult.Failed failure(final int resultCode) {
        return switch (resultCode) {
            case NatPmpCodec.RESULT_UNSUPPORTED_VERSION ->
                new MapResult.Failed(MapResult.Failure.UNSUPPORTED_VERSION, resultCode);
            case NatPmpCodec.RESULT_NETWORK_FAILURE ->
                new MapResult.Failed(MapResult.Failure.NO_EXTERNAL_ADDRESS, resultCode);
            default -> new MapResult.Failed(MapResult.Failure.REFUSED, resultCode);
        };
    }

    static void checkPort(final int port, final int min) {
        if (port < min || port > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
