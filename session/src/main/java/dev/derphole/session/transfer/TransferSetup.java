package dev.derphole.session.transfer;

import java.time.Clock;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.lanes.StreamConfig;
import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * What a transfer needs from its environment.
 *
 * @param map            DERP map the issuing side chooses its relay from (the public map on the joining side)
 * @param publicMap      {@code map} is the public map both sides know (tokens then name the node by region)
 * @param mapDescription where the map came from, for messages ({@code --derp-url http://...})
 * @param resolver       DNS for relay host names
 * @param ssl            TLS trust for relays (the JDK's WebPKI trust in production), asked for only when an https
 *                       relay is dialled
 * @param stream         stream engine settings
 * @param policy         which peer candidates to accept
 * @param clock          wall clock for token expiry
 * @param direct         look for a direct UDP path (false: {@code --force-relay}, no socket, no candidates)
 * @param portMapping    with {@code direct}: ask the default gateway for a port mapping (NAT-PMP, PCP, UPnP);
 *                       off in tests that run outside a namespace of their own (nothing may reach the real gateway)
 */
public record TransferSetup(
    DerpMap map,
    boolean publicMap,
    String mapDescription,
    DerpNode.HostResolver resolver,
    Supplier<SSLContext> ssl,
    StreamConfig stream,
    CandidatePolicy policy,
    Clock clock,
    boolean direct,
    boolean portMapping) {
}
