package dev.derphole.session.relay;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.client.DerpClientConfig;
import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpMapException;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;
import dev.derphole.derp.map.DerpRelayUrl;
import dev.derphole.session.token.RelayBootstrap;

/**
 * Connects a session to its relay. The issuing side picks the home node of its DERP map (measured latency
 * when the map has several regions) and records how to reach it in the token; the joining side connects to
 * exactly that node, so it never needs a relay flag (design D7).
 */
public final class RelayConnector {
    /** How long the issuing side spends measuring regions before it picks its home. */
    public static final Duration HOME_PROBE_TIMEOUT = Duration.ofSeconds(3);

    /** An open relay connection and what the token must say about it. */
    public record Connected(DerpClient client, RelayBootstrap bootstrap, DerpNode node) {
    }

    private final DerpNode.HostResolver resolver;
    /** Asked only when an https relay is dialled: building the JDK's trust store takes ~0.1 s of start-up. */
    private final Supplier<SSLContext> ssl;

    public RelayConnector(final DerpNode.HostResolver resolver, final Supplier<SSLContext> ssl) {
        this.resolver = resolver;
        this.ssl = ssl;
    }

    /**
     * Issuing side: the home node of {@code map}, connected with {@code keys}.
     *
     * @param publicMap true when {@code map} is the public map both sides know, so the token can name the node
     *                  by region; otherwise the token carries the node's URL
     * @param describe  where the map came from, for error messages
     * @throws RelayUnreachableException when no region answers or the chosen node refuses the connection
     */
    public Connected connectHome(final DerpMap map, final boolean publicMap, final String describe,
        final Curve25519KeyPair keys) throws RelayUnreachableException {
        final DerpRegion home = chooseHome(map, describe);
        final DerpNode node = home.firstDerpNode().orElseThrow();
        final RelayBootstrap bootstrap = publicMap
            ? new RelayBootstrap.DerpMapNode(home.regionId(), node.name())
            : customBootstrap(node);
        return new Connected(connect(node, keys, describe), bootstrap, node);
    }

    /**
     * Joining side: the node the token names.
     *
     * @param publicMap the public map, to find a {@link RelayBootstrap.DerpMapNode}
     * @throws RelayUnreachableException when the node is unknown or refuses the connection
     */
    public Connected connectBootstrap(final RelayBootstrap bootstrap, final DerpMap publicMap,
        final Curve25519KeyPair keys) throws RelayUnreachableException {
        final DerpNode node = nodeOf(bootstrap, publicMap);
        return new Connected(connect(node, keys, "the relay in the token"), bootstrap, node);
    }

    /**
     * The relay node a token names, without connecting to it.
     *
     * @throws RelayUnreachableException when the public map lacks it or its URL is unusable
     */
    public static DerpNode nodeOf(final RelayBootstrap bootstrap, final DerpMap publicMap)
        throws RelayUnreachableException {
        return switch (bootstrap) {
            case RelayBootstrap.DerpMapNode n -> publicNode(publicMap, n);
            case RelayBootstrap.CustomRelay c -> customNode(c);
        };
    }

    private DerpRegion chooseHome(final DerpMap map, final String describe) throws RelayUnreachableException {
        final List<DerpRegion> regions = map.regions().values().stream().filter(DerpRegion::hasDerpNode).toList();
        if (regions.size() == 1) {
            // One relay: no need to measure, the connection itself is the test.
            return regions.getFirst();
        }
        final List<RegionReport> reports = new RelayProber(resolver, ssl.get()).probe(map, HOME_PROBE_TIMEOUT, false);
        final Optional<DerpRegion> home = RelayProber.home(map, reports);
        if (home.isEmpty()) {
            throw new RelayUnreachableException("no DERP relay reachable (" + regions.size() + " regions of "
                + describe + " tried within " + HOME_PROBE_TIMEOUT.toSeconds() + "s)");
        }
        return home.get();
    }

    private DerpClient connect(final DerpNode node, final Curve25519KeyPair keys, final String describe)
        throws RelayUnreachableException {
        final DerpTarget target;
        try {
            target = RelayTargets.of(node, resolver);
        } catch (final IOException e) {
            throw new RelayUnreachableException("cannot resolve DERP relay " + node.hostName() + " (" + describe
                + "): " + e.getMessage());
        }
        // One busy connection per session: platform I/O threads are cheaper than virtual ones here.
        final DerpClientConfig.Builder config = DerpClientConfig.builder(target).keyPair(keys).platformThreads(true);
        if (target.https()) {
            config.sslContext(ssl.get());
        }
        final DerpClient client = new DerpClient(config.build());
        try {
            client.connect();
        } catch (final IOException e) {
            client.close();
            throw new RelayUnreachableException(e.getMessage() + " (" + describe + ")");
        }
        return client;
    }

    private static DerpNode publicNode(final DerpMap map, final RelayBootstrap.DerpMapNode wanted)
        throws RelayUnreachableException {
        final DerpRegion region = map.region(wanted.regionId()).orElseThrow(() -> new RelayUnreachableException(
            "the token names DERP region " + wanted.regionId() + ", which this version's public map does not have"));
        return region.derpNodes().stream().filter(n -> n.name().equals(wanted.nodeName())).findFirst()
            .or(region::firstDerpNode)
            .orElseThrow(() -> new RelayUnreachableException("DERP region " + wanted.regionId() + " has no node"));
    }

    private static DerpNode customNode(final RelayBootstrap.CustomRelay relay) throws RelayUnreachableException {
        try {
            final DerpRelayUrl parsed = DerpRelayUrl.parse(relay.url());
            final DerpRelayUrl withStun = new DerpRelayUrl(parsed.plainHttp(), parsed.host(), parsed.port(),
                relay.stunPort() == 0 ? DerpNode.STUN_DISABLED : relay.stunPort());
            return withStun.toDerpMap().lowestDerpRegion().firstDerpNode().orElseThrow();
        } catch (final DerpMapException | IllegalArgumentException e) {
            throw new RelayUnreachableException("the token's relay URL is unusable: " + e.getMessage());
        }
    }

    /** The token form of a node that is not in the public map: its URL (no path, no query) and STUN port. */
    static RelayBootstrap customBootstrap(final DerpNode node) {
        final URI url = node.derpUrl();
        final String base = url.getScheme() + "://" + url.getRawAuthority();
        return new RelayBootstrap.CustomRelay(base, node.stunEnabled() ? node.effectiveStunPort() : 0);
    }
}
