package dev.derphole.derp.map;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Picks the home region from latency measurements: a pure function, so the policy is testable apart
 * from the probing. Rules:
 * <ol>
 *   <li>Only regions of the map that are {@link DerpRegion#homeEligible() home-eligible} count: they
 *       relay DERP and are neither {@code Avoid} nor {@code NoMeasureNoHome}.</li>
 *   <li>A region's latency is the best (lowest) of its HTTPS and STUN measurements; a region with no
 *       measurement does not count. Several measurements for one region: the best wins.</li>
 *   <li>The latency is multiplied by the map's {@code HomeParams.RegionScore} for the region (1.0 when
 *       absent or not positive), as Tailscale's netcheck does.</li>
 *   <li>Lowest scaled latency wins; ties go to the lowest region id. No usable measurement: empty.</li>
 * </ol>
 * Tailscale's stickiness (keep the old home unless the new one is clearly better) is left to the
 * caller, which knows the previous home. Stateless and thread-safe.
 */
public final class HomeRegionSelector {
    private HomeRegionSelector() {
    }

    /**
     * One region's measured latencies.
     *
     * @param regionId region id
     * @param https    HTTPS round trip ({@code /derp/latency-check}), if measured
     * @param stun     STUN round trip, if measured
     */
    public record RegionLatency(int regionId, Optional<Duration> https, Optional<Duration> stun) {
        /** @throws IllegalArgumentException for a negative duration */
        public RegionLatency {
            Objects.requireNonNull(https, "https");
            Objects.requireNonNull(stun, "stun");
            if (https.filter(Duration::isNegative).isPresent() || stun.filter(Duration::isNegative).isPresent()) {
                throw new IllegalArgumentException("latency must not be negative");
            }
        }

        /** @return the lower of the two measurements, if any */
        public Optional<Duration> best() {
            if (https.isEmpty()) {
                return stun;
            }
            if (stun.isEmpty()) {
                return https;
            }
            return Optional.of(https.get().compareTo(stun.get()) <= 0 ? https.get() : stun.get());
        }
    }

    /**
     * @param map          the DERP map (regions, flags and scores)
     * @param measurements latency measurements; regions not in the map are ignored
     * @return the home region, or empty when no eligible region was measured
     */
    public static Optional<DerpRegion> select(final DerpMap map, final Collection<RegionLatency> measurements) {
        final Map<Integer, Duration> best = new HashMap<>();
        for (final RegionLatency m : measurements) {
            m.best().ifPresent(d -> best.merge(m.regionId(), d, (a, b) -> a.compareTo(b) <= 0 ? a : b));
        }
        DerpRegion chosen = null;
        double chosenScaledNs = Double.POSITIVE_INFINITY;
        // Regions iterate in ascending id, and only a strictly lower value replaces: ties keep the lower id.
        for (final DerpRegion region : map.regions().values()) {
            final Duration latency = best.get(region.regionId());
            if (latency == null || !region.homeEligible()) {
                continue;
            }
            final double scaledNs = nanos(latency) * map.regionScore(region.regionId());
            if (scaledNs < chosenScaledNs) {
                chosen = region;
                chosenScaledNs = scaledNs;
            }
        }
        return Optional.ofNullable(chosen);
    }

    private static double nanos(final Duration d) {
        // Duration.toNanos overflows beyond ~292 years; such a value is just "very slow".
        return d.getSeconds() * 1e9 + d.getNano();
    }
}
