package dev.derphole.derp.map;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A geographic region of DERP nodes, Tailscale's {@code tailcfg.DERPRegion}. Nodes within a region
 * forward packets to each other (mesh); regions do not, so two peers must use the same region.
 *
 * @param regionId        positive id; 900..999 are reserved for self-hosted relays
 * @param regionCode      short name such as {@code "nyc"}; may be empty
 * @param regionName      long name such as {@code "New York City"}; may be empty
 * @param latitude        degrees, 0 when unknown
 * @param longitude       degrees, 0 when unknown
 * @param avoid           deprecated Tailscale flag: do not pick as home region
 * @param noMeasureNoHome do not measure latency to this region and never pick it as home
 * @param nodes           nodes in priority order (clients use the first DERP node that answers)
 */
public record DerpRegion(
    int regionId,
    String regionCode,
    String regionName,
    double latitude,
    double longitude,
    boolean avoid,
    boolean noMeasureNoHome,
    List<DerpNode> nodes) {

    /** Largest region id we accept (Tailscale allows up to 2^53-1; ids beyond int are never used). */
    public static final int MAX_REGION_ID = Integer.MAX_VALUE;

    /**
     * Validates the region and copies the node list. Null strings become empty; {@code -0.0}
     * coordinates become {@code 0.0} (Go omits both when writing, so they read back as 0).
     *
     * @throws IllegalArgumentException for a non-positive id, a non-finite coordinate, or a node of
     *                                  another region
     */
    public DerpRegion {
        regionCode = Objects.requireNonNullElse(regionCode, "");
        regionName = Objects.requireNonNullElse(regionName, "");
        nodes = List.copyOf(nodes);
        if (regionId <= 0) {
            throw new IllegalArgumentException("RegionID must be positive: " + regionId);
        }
        if (!Double.isFinite(latitude) || !Double.isFinite(longitude)) {
            throw new IllegalArgumentException("Latitude and Longitude must be finite");
        }
        latitude = latitude == 0.0 ? 0.0 : latitude;
        longitude = longitude == 0.0 ? 0.0 : longitude;
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).regionId() != regionId) {
                throw new IllegalArgumentException("Nodes[" + i + "] has RegionID " + nodes.get(i).regionId()
                    + " but is in region " + regionId);
            }
        }
    }

    /**
     * A region with the given nodes and no coordinates or flags.
     *
     * @param regionId   region id
     * @param regionCode short name
     * @param regionName long name
     * @param nodes      nodes in priority order
     * @return the region
     */
    public static DerpRegion of(final int regionId, final String regionCode, final String regionName,
                                final List<DerpNode> nodes) {
        return new DerpRegion(regionId, regionCode, regionName, 0.0, 0.0, false, false, nodes);
    }

    /** @return the nodes that relay DERP (not STUN-only), in priority order */
    public List<DerpNode> derpNodes() {
        return nodes.stream().filter(DerpNode::isDerp).toList();
    }

    /** @return the first node that relays DERP: the one every client of this region should use */
    public Optional<DerpNode> firstDerpNode() {
        return nodes.stream().filter(DerpNode::isDerp).findFirst();
    }

    /** @return whether at least one node relays DERP */
    public boolean hasDerpNode() {
        return firstDerpNode().isPresent();
    }

    /** @return whether this region may become the home region: it relays DERP and is not flagged away */
    public boolean homeEligible() {
        return !avoid && !noMeasureNoHome && hasDerpNode();
    }

    /** @return {@code "code (id)"} or just the id, for messages */
    public String label() {
        return regionCode.isEmpty() ? "region " + regionId : regionCode + " (region " + regionId + ")";
    }
}
