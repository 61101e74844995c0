package dev.derphole.derp.map;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The set of DERP regions a client may use, Tailscale's {@code tailcfg.DERPMap}. Immutable and
 * always valid: every region has its own id as key, and at least one region has a DERP node.
 *
 * <p>JSON form (upstream-v0.10.3 §6.5; Go field names, keys matched case-insensitively on input):
 * <pre>
 * {"HomeParams":{"RegionScore":{"&lt;id&gt;":float}},
 *  "Regions":{"&lt;id&gt;":{"RegionID","RegionCode","RegionName","Latitude","Longitude","Avoid",
 *     "NoMeasureNoHome","Nodes":[{"Name","RegionID","HostName","CertName","IPv4","IPv6","STUNPort",
 *     "STUNOnly","DERPPort","InsecureForTests","STUNTestIP","CanPort80","DerpholePlainHTTP"}]}},
 *  "omitDefaultRegions":bool}
 * </pre>
 * {@code DerpholePlainHTTP} is our extension (see {@link DerpNode#plainHttp()}).
 *
 * @param regions            regions by id, ascending
 * @param regionScores       {@code HomeParams.RegionScore}: latency multipliers by region id (absent
 *                           means 1.0; values that are not positive are ignored by
 *                           {@link HomeRegionSelector})
 * @param omitDefaultRegions Tailscale's {@code omitDefaultRegions}, kept for round trips
 */
public record DerpMap(
    SortedMap<Integer, DerpRegion> regions,
    SortedMap<Integer, Double> regionScores,
    boolean omitDefaultRegions) {

    /**
     * Copies and validates.
     *
     * @throws IllegalArgumentException when a key differs from its region's id, a score is not finite,
     *                                  or no region has a DERP node
     */
    public DerpMap {
        regions = Collections.unmodifiableSortedMap(new TreeMap<>(regions));
        regionScores = Collections.unmodifiableSortedMap(new TreeMap<>(regionScores));
        for (final Map.Entry<Integer, DerpRegion> e : regions.entrySet()) {
            if (e.getKey() != e.getValue().regionId()) {
                throw new IllegalArgumentException("region key " + e.getKey() + " does not match its RegionID "
                    + e.getValue().regionId());
            }
        }
        for (final Map.Entry<Integer, Double> e : regionScores.entrySet()) {
            if (!Double.isFinite(e.getValue())) {
                throw new IllegalArgumentException("RegionScore for region " + e.getKey() + " is not finite");
            }
        }
        if (regions.isEmpty()) {
            throw new IllegalArgumentException("the map has no regions");
        }
        if (regions.values().stream().noneMatch(DerpRegion::hasDerpNode)) {
            throw new IllegalArgumentException("no region has a DERP node (all nodes are STUNOnly)");
        }
    }

    /**
     * @param regions regions with distinct ids
     * @return a map of those regions with no scores
     * @throws IllegalArgumentException for duplicate ids or when no region has a DERP node
     */
    public static DerpMap of(final Collection<DerpRegion> regions) {
        final SortedMap<Integer, DerpRegion> byId = new TreeMap<>();
        for (final DerpRegion r : regions) {
            if (byId.put(r.regionId(), r) != null) {
                throw new IllegalArgumentException("duplicate region id " + r.regionId());
            }
        }
        return new DerpMap(byId, new TreeMap<>(), false);
    }

    /**
     * Parses Tailscale's DERPMap JSON.
     *
     * @param json the JSON text
     * @return the validated map
     * @throws DerpMapException naming the offending field for malformed JSON, wrong types, or a map
     *                          that fails validation
     */
    public static DerpMap parse(final String json) throws DerpMapException {
        return DerpMapJson.parse(json);
    }

    /**
     * Parses Tailscale's DERPMap JSON encoded as UTF-8.
     *
     * @param utf8 the JSON bytes
     * @return the validated map
     * @throws DerpMapException as {@link #parse(String)}
     */
    public static DerpMap parse(final byte[] utf8) throws DerpMapException {
        return DerpMapJson.parse(utf8);
    }

    /** @return this map as compact DERPMap JSON, fields in Go's order, Go's {@code omitempty} applied */
    public String toJson() {
        return DerpMapJson.write(this, false);
    }

    /** @return this map as indented DERPMap JSON */
    public String toPrettyJson() {
        return DerpMapJson.write(this, true);
    }

    /** @return {@link #toJson()} as UTF-8 bytes */
    public byte[] toJsonBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param regionId a region id
     * @return the region with this id
     */
    public Optional<DerpRegion> region(final int regionId) {
        return Optional.ofNullable(regions.get(regionId));
    }

    /**
     * The deterministic default region: the lowest id that has a DERP node. This is the rule the Go
     * derphole v0.10.3 uses for its issuer (upstream-v0.10.3 §6.6), usable when nothing is measured.
     *
     * @return the region; always present because the map is valid
     */
    public DerpRegion lowestDerpRegion() {
        return regions.values().stream().filter(DerpRegion::hasDerpNode).findFirst().orElseThrow();
    }

    /**
     * @param regionId a region id
     * @return its {@code HomeParams.RegionScore}, or 1.0 when absent, not positive, or not finite
     */
    public double regionScore(final int regionId) {
        final Double score = regionScores.get(regionId);
        return score != null && score > 0.0 ? score : 1.0;
    }
}
