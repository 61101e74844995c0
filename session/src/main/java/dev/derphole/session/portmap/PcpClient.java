package dev.derphole.session.portmap;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;

import dev.derphole.session.portmap.PortmapCounters.Name;

/**
 * PCP client (RFC 6887), MAP opcode for UDP over IPv4. A mapping is named by its 96-bit nonce: refreshes and the
 * delete must reuse the nonce that created it (miniupnpd refuses a delete with another nonce as NOT_AUTHORIZED).
 * The client address field is the address our socket sends from, as an IPv4-mapped IPv6 address; a server that
 * sees another source (a NAT between us) answers ADDRESS_MISMATCH.
 * <p>
 * A gateway that speaks only NAT-PMP answers a PCP request with a NAT-PMP "unsupported version" header, and a
 * PCP server of another version with UNSUPP_VERSION: both come back as
 * {@link MapResult.Failure#UNSUPPORTED_VERSION}, the caller's cue to try NAT-PMP. Responses whose nonce, protocol
 * or internal port differ from the request are counted and ignored.
 * <p>
 * Owned by one thread at a time (one request in flight); {@link #close()} may be called from any thread and
 * aborts a request in flight.
 */
public final class PcpClient implements Closeable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long MAX_LIFETIME_SECONDS = 0xffff_ffffL;

    private final PxpSocket socket;
    private final PortmapCounters counters;

    /**
     * A client for the PCP server at {@code server} (the gateway, port 5351), sending from {@code bindAddress}.
     *
     * @throws IOException when the socket cannot be bound or connected
     */
    public PcpClient(final InetSocketAddress server, final InetAddress bindAddress, final PortmapCounters counters)
        throws IOException {
        this.counters = counters;
        this.socket = new PxpSocket(server, bindAddress, counters);
    }

    /** A fresh random mapping nonce (12 bytes). */
    public static byte[] newNonce() {
        final byte[] nonce = new byte[PcpCodec.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /**
     * Maps UDP {@code internalPort} under {@code nonce} for {@code lifetimeSeconds}, suggesting
     * {@code suggestedExternal} (null: any; on a refresh, the current mapping). Never throws.
     */
    public MapResult map(final byte[] nonce, final int internalPort, final InetSocketAddress suggestedExternal,
                         final long lifetimeSeconds, final Duration budget) {
        NatPmpClient.checkPort(internalPort, 1);
        if (lifetimeSeconds < 1 || lifetimeSeconds > MAX_LIFETIME_SECONDS) {
            throw new IllegalArgumentException("lifetime out of range: " + lifetimeSeconds);
        }
        final byte[] request = PcpCodec.mapRequest(nonce, socket.localAddress(), internalPort,
            suggestedExternal == null ? 0 : suggestedExternal.getPort(),
            suggestedExternal == null ? null : suggestedExternal.getAddress(), lifetimeSeconds);
        final byte[] expectedNonce = nonce.clone();
        return socket.exchange(budget, s -> s.send(request), (data, length) -> {
            final PcpCodec.Response r = accept(data, length, expectedNonce, internalPort);
            if (r == null) {
                return null;
            }
            if (r.resultCode() != PcpCodec.RESULT_SUCCESS) {
                return failure(r.resultCode());
            }
            if (r.externalPort() == 0 || r.lifetimeSeconds() == 0) {
                counters.increment(Name.PXP_MALFORMED);
                return null;
            }
            if (!Addresses.usableExternal(r.externalAddress())) {
                return MapResult.Failed.of(MapResult.Failure.NO_EXTERNAL_ADDRESS);
            }
            return new MapResult.Mapped(new Mapping(Mapping.Kind.PCP,
                new InetSocketAddress(r.externalAddress(), r.externalPort()),
                Duration.ofSeconds(r.lifetimeSeconds())), r.epochSeconds());
        });
    }

    /**
     * Deletes the mapping of UDP {@code internalPort} made under {@code nonce} (a MAP request with lifetime 0).
     * Returns whether the gateway confirmed within {@code budget}. Never throws.
     */
    public boolean delete(final byte[] nonce, final int internalPort, final Duration budget) {
        NatPmpClient.checkPort(internalPort, 1);
        final byte[] request = PcpCodec.mapRequest(nonce, socket.localAddress(), internalPort, 0, null, 0);
        final byte[] expectedNonce = nonce.clone();
        final MapResult result = socket.exchange(budget, s -> s.send(request), (data, length) -> {
            final PcpCodec.Response r = accept(data, length, expectedNonce, internalPort);
            if (r == null) {
                return null;
            }
            return r.resultCode() == PcpCodec.RESULT_SUCCESS ? PxpSocket.CONFIRMED : failure(r.resultCode());
        });
        return result.isMapped();
    }

    /**
     * Parses, checks and counts one datagram: the response if it answers our MAP request; an UNSUPP_VERSION answer
     * (PCP, or a NAT-PMP header) as a response with that result code; otherwise null (counted).
     */
    private PcpCodec.Response accept(final byte[] data, final int length, final byte[] nonce, final int internalPort) {
        if (length >= 1 && data[0] == NatPmpCodec.VERSION) {
            final NatPmpCodec.Response pmp = NatPmpCodec.parse(data, length);
            if (pmp == null) {
                counters.increment(Name.PXP_MALFORMED);
                return null;
            }
            counters.increment(Name.PXP_RESPONSES);
            if (pmp.resultCode() != NatPmpCodec.RESULT_UNSUPPORTED_VERSION) {
                counters.increment(Name.PXP_MISMATCHED);
                return null;
            }
            return new PcpCodec.Response(NatPmpCodec.VERSION, pmp.opcode(), PcpCodec.RESULT_UNSUPP_VERSION, 0,
                pmp.epochSeconds(), null, 0, 0, 0, null);
        }
        final PcpCodec.Response r = PcpCodec.parse(data, length);
        if (r == null) {
            counters.increment(Name.PXP_MALFORMED);
            return null;
        }
        counters.increment(Name.PXP_RESPONSES);
        if (r.resultCode() == PcpCodec.RESULT_UNSUPP_VERSION) {
            return r;
        }
        if (r.opcode() != (PcpCodec.OP_REPLY | PcpCodec.OP_MAP)) {
            counters.increment(Name.PXP_MISMATCHED);
            return null;
        }
        if (r.hasMapBody() && (!Arrays.equals(r.nonce(), nonce) || r.protocol() != PcpCodec.PROTOCOL_UDP
            || r.internalPort() != internalPort)) {
            counters.increment(Name.PXP_MISMATCHED);
            return null;
        }
        // A bare-header error cannot name its request; with one request in flight it is ours.
        return r;
    }

    static MapResult.Failed failure(final int resultCode) {
        return switch (resultCode) {
            case PcpCodec.RESULT_UNSUPP_VERSION ->
                new MapResult.Failed(MapResult.Failure.UNSUPPORTED_VERSION, resultCode);
            case PcpCodec.RESULT_NETWORK_FAILURE ->
                new MapResult.Failed(MapResult.Failure.NO_EXTERNAL_ADDRESS, resultCode);
            default -> new MapResult.Failed(MapResult.Failure.REFUSED, resultCode);
        };
    }

    @Override
    public void close() {
        socket.close();
    }
}
