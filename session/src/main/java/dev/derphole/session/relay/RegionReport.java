package dev.derphole.session.relay;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * What probing one region found. Every measurement is optional: a failed one leaves its error text instead.
 *
 * @param regionId     DERP map region id
 * @param regionCode   region code, e.g. {@code nyc}
 * @param node         name of the node probed (the region's first DERP node)
 * @param url          that node's DERP URL
 * @param httpsLatency round trip of the HTTP(S) latency check on an open connection
 * @param stunRtt      STUN binding round trip
 * @param stunMapped   our address as the node's STUN server saw it
 * @param derpSetup    time to connect and finish the DERP handshake
 * @param error        first problem met, or empty when everything asked for worked
 */
public record RegionReport(
    int regionId,
    String regionCode,
    String node,
    String url,
    Optional<Duration> httpsLatency,
    Optional<Duration> stunRtt,
    Optional<InetSocketAddress> stunMapped,
    Optional<Duration> derpSetup,
    Optional<String> error) {
    /** A relay counts as reachable when its DERP handshake (or, if not asked, its latency check) worked. */
    public boolean reachable() {
        return derpSetup.isPresent() || httpsLatency.isPresent();
    }
}
