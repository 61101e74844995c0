package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.derphole.derp.map.HomeRegionSelector.RegionLatency;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class HomeRegionSelectorTest {

    private static DerpRegion region(final int id, final boolean avoid, final boolean noMeasureNoHome,
                                     final boolean stunOnly) {
        final DerpNode node = new DerpNode(id + "a", id, "derp" + id + ".example", "", "", "", 0, stunOnly, 0, false,
            "", false, false);
        return new DerpRegion(id, "r" + id, "", 0, 0, avoid, noMeasureNoHome, List.of(node));
    }

    private static DerpMap map(final SortedMap<Integer, Double> scores, final DerpRegion... regions) {
        final SortedMap<Integer, DerpRegion> byId = new TreeMap<>();
        for (final DerpRegion r : regions) {
            byId.put(r.regionId(), r);
        }
        return new DerpMap(byId, scores, false);
    }

    private static RegionLatency https(final int id, final long ms) {
        return new RegionLatency(id, Optional.of(Duration.ofMillis(ms)), Optional.empty());
    }

    private static RegionLatency stun(final int id, final long ms) {
        return new RegionLatency(id, Optional.empty(), Optional.of(Duration.ofMillis(ms)));
    }

    private static final DerpMap THREE = map(new TreeMap<>(), region(1, false, false, false),
        region(2, false, false, false), region(3, false, false, false));

    @Test
    void shouldPickTheLowestLatency() {
        assertThat(HomeRegionSelector.select(THREE, List.of(https(1, 50), https(2, 20), stun(3, 30))))
            .map(DerpRegion::regionId).contains(2);
    }

    @Test
    void shouldUseTheBetterOfHttpsAndStunAndOfRepeatedMeasurements() {
        final RegionLatency both = new RegionLatency(1, Optional.of(Duration.ofMillis(80)),
            Optional.of(Duration.ofMillis(10)));
        assertThat(both.best()).contains(Duration.ofMillis(10));
        assertThat(HomeRegionSelector.select(THREE, List.of(both, https(2, 20)))).map(DerpRegion::regionId).contains(1);
        assertThat(HomeRegionSelector.select(THREE, List.of(https(2, 90), https(1, 40), stun(2, 5))))
            .map(DerpRegion::regionId).contains(2);
    }

    @Test
    void shouldBreakTiesByLowestRegionId() {
        assertThat(HomeRegionSelector.select(THREE, List.of(https(3, 20), https(2, 20))))
            .map(DerpRegion::regionId).contains(2);
    }

    @Test
    void shouldScaleLatencyByRegionScore() {
        final SortedMap<Integer, Double> scores = new TreeMap<>();
        scores.put(1, 0.5);   // 30 ms counts as 15 ms
        scores.put(2, 2.0);   // 10 ms counts as 20 ms
        scores.put(3, -1.0);  // ignored: counts as 1.0
        final DerpMap scored = map(scores, region(1, false, false, false), region(2, false, false, false),
            region(3, false, false, false));
        assertThat(HomeRegionSelector.select(scored, List.of(https(1, 30), https(2, 10), https(3, 16))))
            .map(DerpRegion::regionId).contains(1);
        assertThat(HomeRegionSelector.select(scored, List.of(https(1, 30), https(2, 10), https(3, 14))))
            .map(DerpRegion::regionId).contains(3);
    }

    @Test
    void shouldSkipAvoidNoMeasureNoHomeStunOnlyAndUnknownRegions() {
        final DerpMap flagged = map(new TreeMap<>(), region(1, true, false, false), region(2, false, true, false),
            region(3, false, false, true), region(4, false, false, false));
        assertThat(HomeRegionSelector.select(flagged, List.of(https(1, 1), https(2, 1), https(3, 1), https(99, 1),
            https(4, 500)))).map(DerpRegion::regionId).contains(4);
        assertThat(HomeRegionSelector.select(flagged, List.of(https(1, 1), https(2, 1), https(3, 1)))).isEmpty();
    }

    @Test
    void shouldReturnEmptyWithoutMeasurements() {
        assertThat(HomeRegionSelector.select(THREE, List.of())).isEmpty();
        assertThat(HomeRegionSelector.select(THREE, List.of(new RegionLatency(1, Optional.empty(), Optional.empty()))))
            .isEmpty();
    }

    @Test
    void shouldAcceptZeroAndHugeLatenciesButNotNegativeOnes() {
        assertThat(HomeRegionSelector.select(THREE, List.of(https(2, 0), new RegionLatency(1,
            Optional.of(Duration.ofSeconds(Long.MAX_VALUE)), Optional.empty())))).map(DerpRegion::regionId).contains(2);
        assertThatThrownBy(() -> https(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
