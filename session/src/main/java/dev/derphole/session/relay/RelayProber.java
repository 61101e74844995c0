package dev.derphole.session.relay;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLContext;

import dev.derphole.derp.client.DerpProbe;
import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;
import dev.derphole.derp.map.HomeRegionSelector;
import dev.derphole.derp.stun.StunClient;

/**
 * Probes every region of a DERP map at once (one virtual thread per region) and returns what each answered
 * within one overall deadline: HTTP(S) latency check, STUN binding, and optionally a full DERP handshake.
 * Offline, every region fails fast (no route, no DNS) and the caller reports that none is reachable.
 */
public final class RelayProber {
    private final DerpNode.HostResolver resolver;
    private final SSLContext ssl;

    public RelayProber(final DerpNode.HostResolver resolver, final SSLContext ssl) {
        this.resolver = resolver;
        this.ssl = ssl;
    }

    /**
     * @param map       regions to probe (regions without a DERP node are skipped)
     * @param timeout   overall deadline; a region still busy then is reported as timed out
     * @param handshake also run the DERP handshake (netcheck does; home selection needs only latency)
     */
    public List<RegionReport> probe(final DerpMap map, final Duration timeout, final boolean handshake) {
        final List<DerpRegion> regions = new ArrayList<>();
        for (final DerpRegion region : map.regions().values()) {
            if (region.hasDerpNode()) {
                regions.add(region);
            }
        }
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final List<RegionReport> reports = new ArrayList<>(regions.size());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final List<Future<RegionReport>> futures = new ArrayList<>(regions.size());
            for (final DerpRegion region : regions) {
                futures.add(pool.submit(() -> probeRegion(region, timeout, handshake)));
            }
            for (int i = 0; i < regions.size(); i++) {
                reports.add(await(futures.get(i), regions.get(i), deadlineNs));
            }
            pool.shutdownNow();
        }
        return reports;
    }

    /** The home region by measured latency (scaled by the map's scores), if any region answered. */
    public static Optional<DerpRegion> home(final DerpMap map, final List<RegionReport> reports) {
        final List<HomeRegionSelector.RegionLatency> latencies = new ArrayList<>(reports.size());
        for (final RegionReport r : reports) {
            if (r.reachable()) {
                latencies.add(new HomeRegionSelector.RegionLatency(r.regionId(),
                    r.httpsLatency().or(r::derpSetup), r.stunRtt()));
            }
        }
        return HomeRegionSelector.select(map, latencies);
    }

    private static RegionReport await(final Future<RegionReport> future, final DerpRegion region,
        final long deadlineNs) {
        try {
            return future.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final TimeoutException e) {
            future.cancel(true);
            return failed(region, "timed out");
        } catch (final ExecutionException e) {
            return failed(region, String.valueOf(e.getCause().getMessage()));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(region, "interrupted");
        }
    }

    private RegionReport probeRegion(final DerpRegion region, final Duration timeout, final boolean handshake) {
        final DerpNode node = region.firstDerpNode().orElseThrow();
        final DerpTarget target;
        try {
            target = RelayTargets.of(node, resolver);
        } catch (final UnknownHostException e) {
            return failed(region, "cannot resolve " + node.hostName());
        }
        String error = null;
        Optional<Duration> latency = Optional.empty();
        try {
            latency = Optional.of(DerpProbe.latencyCheck(target, timeout, ssl));
        } catch (final IOException e) {
            error = e.getMessage();
        }
        Optional<Duration> stunRtt = Optional.empty();
        Optional<InetSocketAddress> mapped = Optional.empty();
        if (node.stunEnabled()) {
            try {
                final InetSocketAddress server = node.stunAddresses(resolver).getFirst();
                final StunClient.Result result;
                try (StunClient stun = StunClient.open(new InetSocketAddress(
                    server.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0", 0))) {
                    result = stun.query(server, timeout);
                }
                stunRtt = Optional.of(result.rtt());
                mapped = Optional.of(result.mappedAddress());
            } catch (final IOException e) {
                error = error == null ? "STUN: " + e.getMessage() : error;
            }
        }
        Optional<Duration> setup = Optional.empty();
        if (handshake) {
            try {
                setup = Optional.of(DerpProbe.handshakeCheck(target, timeout, ssl));
            } catch (final IOException e) {
                error = error == null ? e.getMessage() : error;
            }
        }
        return new RegionReport(region.regionId(), region.regionCode(), node.name(), target.toString(), latency,
            stunRtt, mapped, setup, Optional.ofNullable(error));
    }

    private static RegionReport failed(final DerpRegion region, final String error) {
        final String node = region.firstDerpNode().map(DerpNode::name).orElse("");
        final String url = region.firstDerpNode().map(n -> n.derpUrl().toString()).orElse("");
        return new RegionReport(region.regionId(), region.regionCode(), node, url, Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(error));
    }
}
