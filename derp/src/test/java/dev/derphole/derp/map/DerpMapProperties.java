package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.json.JsonWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Writer/parser round trip of random maps, and fuzzing of the parser: whatever the bytes, the parser
 * either returns a valid map or throws {@link DerpMapException}, within a time budget (jqwik ignores
 * JUnit's {@code @Timeout}, hence {@code assertTimeoutPreemptively}).
 */
class DerpMapProperties {
    private static final Duration PARSE_BUDGET = Duration.ofSeconds(5);
    private static final byte[] BUNDLED = bundledBytes();

    @Property(tries = 300)
    void writtenMapsParseBackEqual(@ForAll("maps") final DerpMap map) throws DerpMapException {
        assertThat(DerpMap.parse(map.toJson())).isEqualTo(map);
        assertThat(DerpMap.parse(map.toPrettyJson())).isEqualTo(map);
        assertThat(DerpMap.parse(map.toJsonBytes()).toJson()).isEqualTo(map.toJson());
    }

    @Property(tries = 500)
    void randomBytesOnlyEverThrowDerpMapException(@ForAll @Size(max = 512) final byte[] bytes) {
        assertOnlyDerpMapException(bytes);
    }

    @Property(tries = 500)
    void truncatedMapsOnlyEverThrowDerpMapException(@ForAll @IntRange(min = 0, max = 8000) final int cut) {
        assertOnlyDerpMapException(Arrays.copyOf(BUNDLED, Math.min(cut, BUNDLED.length)));
    }

    @Property(tries = 1000)
    void mutatedMapsOnlyEverThrowDerpMapException(
        @ForAll @Size(min = 1, max = 6) final List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
        @ForAll @Size(min = 6, max = 6) final byte[] replacements) {
        final byte[] bytes = BUNDLED.clone();
        for (int i = 0; i < positions.size(); i++) {
            bytes[positions.get(i) % bytes.length] = replacements[i];
        }
        assertOnlyDerpMapException(bytes);
    }

    /** Replaces one value anywhere in the bundled map's JSON tree with a value of a random JSON type. */
    @Property(tries = 1000)
    void mapsWithOneValueReplacedOnlyEverThrowDerpMapException(
        @ForAll @IntRange(min = 0, max = 1 << 20) final int target,
        @ForAll("jsonValues") final Object replacement) throws JsonException {
        final Object tree = JsonReader.parse(BUNDLED);
        final int[] counter = {target % countValues(tree)};
        replaceNth(tree, counter, replacement);
        assertOnlyDerpMapException(JsonWriter.write(tree).getBytes(StandardCharsets.UTF_8));
    }

    private static void assertOnlyDerpMapException(final byte[] bytes) {
        assertTimeoutPreemptively(PARSE_BUDGET, () -> {
            try {
                final DerpMap map = DerpMap.parse(bytes);
                // Whatever parses must be a valid, writable map.
                assertThat(DerpMap.parse(map.toJson())).isEqualTo(map);
            } catch (final DerpMapException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        });
    }

    private static int countValues(final Object node) {
        int n = 1;
        if (node instanceof Map<?, ?> m) {
            for (final Object v : m.values()) {
                n += countValues(v);
            }
        } else if (node instanceof List<?> l) {
            for (final Object v : l) {
                n += countValues(v);
            }
        }
        return n;
    }

    /** Depth-first: replaces the value numbered {@code counter[0]} (the root itself is not replaced). */
    @SuppressWarnings("unchecked")
    private static boolean replaceNth(final Object node, final int[] counter, final Object replacement) {
        if (node instanceof Map<?, ?> m) {
            for (final Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                if (counter[0]-- <= 0) {
                    e.setValue(replacement);
                    return true;
                }
                if (replaceNth(e.getValue(), counter, replacement)) {
                    return true;
                }
            }
        } else if (node instanceof List<?> l) {
            final List<Object> list = (List<Object>) l;
            for (int i = 0; i < list.size(); i++) {
                if (counter[0]-- <= 0) {
                    list.set(i, replacement);
                    return true;
                }
                if (replaceNth(list.get(i), counter, replacement)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Provide
    Arbitrary<Object> jsonValues() {
        return Arbitraries.oneOf(
            Arbitraries.just((Object) "x"),
            Arbitraries.strings().ofMaxLength(8).map(Object.class::cast),
            Arbitraries.longs().map(Object.class::cast),
            Arbitraries.integers().between(-2, 70_000).map(i -> (Object) (long) i),
            Arbitraries.doubles().map(Object.class::cast),
            Arbitraries.of(Boolean.TRUE, Boolean.FALSE).map(Object.class::cast),
            Arbitraries.just((Object) new ArrayList<>()),
            Arbitraries.just((Object) new java.util.LinkedHashMap<String, Object>())
        ).injectNull(0.1);
    }

    @Provide
    Arbitrary<DerpMap> maps() {
        final Arbitrary<List<Integer>> ids = Arbitraries.integers().between(1, 2000).list().ofMinSize(1).ofMaxSize(5)
            .uniqueElements();
        return ids.flatMap(regionIds -> {
            final List<Arbitrary<DerpRegion>> regions = new ArrayList<>();
            for (final int id : regionIds) {
                regions.add(region(id));
            }
            final Arbitrary<SortedMap<Integer, Double>> scores = Arbitraries.integers().between(1, 2000)
                .list().ofMaxSize(3).uniqueElements()
                .flatMap(keys -> Arbitraries.doubles().between(-2.0, 5.0).list().ofSize(keys.size())
                    .map(values -> {
                        final SortedMap<Integer, Double> m = new TreeMap<>();
                        for (int i = 0; i < keys.size(); i++) {
                            m.put(keys.get(i), values.get(i));
                        }
                        return m;
                    }));
            return Combinators.combine(Combinators.combine(regions).as(List::copyOf), scores,
                    Arbitraries.of(true, false))
                .as((rs, sc, omit) -> {
                    final List<DerpRegion> fixed = new ArrayList<>(rs);
                    // A valid map needs one DERP node: make the first region's first node a DERP node.
                    final DerpRegion first = fixed.get(0);
                    final List<DerpNode> nodes = new ArrayList<>(first.nodes());
                    final DerpNode n = nodes.get(0);
                    nodes.set(0, new DerpNode(n.name(), n.regionId(), n.hostName(), n.certName(), n.ipv4(), n.ipv6(),
                        n.stunPort(), false, n.derpPort(), n.insecureForTests(), n.stunTestIp(), n.canPort80(),
                        n.plainHttp()));
                    fixed.set(0, new DerpRegion(first.regionId(), first.regionCode(), first.regionName(),
                        first.latitude(), first.longitude(), first.avoid(), first.noMeasureNoHome(), nodes));
                    final SortedMap<Integer, DerpRegion> byId = new TreeMap<>();
                    fixed.forEach(r -> byId.put(r.regionId(), r));
                    return new DerpMap(byId, sc, omit);
                });
        });
    }

    private static Arbitrary<DerpRegion> region(final int id) {
        final Arbitrary<String> text = Arbitraries.strings().withCharRange(' ', '~').withChars("\u00e9\u4e16\"\\\n")
            .ofMaxLength(10);
        final Arbitrary<Double> coordinate = Arbitraries.doubles().between(-180.0, 180.0);
        return Combinators.combine(text, text, coordinate, coordinate, Arbitraries.of(true, false),
                Arbitraries.of(true, false), node(id).list().ofMinSize(1).ofMaxSize(3))
            .as((code, name, lat, lon, avoid, nmnh, nodes) ->
                new DerpRegion(id, code, name, lat, lon, avoid, nmnh, nodes));
    }

    private static Arbitrary<DerpNode> node(final int regionId) {
        final Arbitrary<String> hosts = Arbitraries.of("derp1.tailscale.com", "127.0.0.1", "::1", "2001:db8::1",
            "relay.local", "my_host");
        final Arbitrary<String> v4 = Arbitraries.of("", "none", "192.0.2.1", "127.0.0.1", "bogus");
        final Arbitrary<String> v6 = Arbitraries.of("", "none", "2001:db8::2", "::1");
        final Arbitrary<String> certs = Arbitraries.of("", "cert.example", "sha256-raw:00ff");
        final Arbitrary<String> testIps = Arbitraries.of("", "127.0.0.1", "::1");
        final Arbitrary<Integer> stunPorts = Arbitraries.integers().between(-1, 65_535);
        final Arbitrary<Integer> derpPorts = Arbitraries.integers().between(0, 65_535);
        final Arbitrary<Boolean> bools = Arbitraries.of(true, false);
        final Arbitrary<String> names = Arbitraries.strings().alpha().numeric().ofMaxLength(4);
        final List<Arbitrary<Object>> fields = new ArrayList<>();
        for (final Arbitrary<?> a : List.of(names, hosts, certs, v4, v6, stunPorts, bools, derpPorts, bools, testIps,
            bools, bools)) {
            fields.add(a.map(Object.class::cast));
        }
        return Combinators.combine(fields)
            .as(f -> new DerpNode((String) f.get(0), regionId, (String) f.get(1), (String) f.get(2), (String) f.get(3),
                (String) f.get(4), (Integer) f.get(5), (Boolean) f.get(6), (Integer) f.get(7), (Boolean) f.get(8),
                (String) f.get(9), (Boolean) f.get(10), (Boolean) f.get(11)));
    }

    private static byte[] bundledBytes() {
        try (InputStream in = DerpMapLoader.class.getResourceAsStream(DerpMapLoader.BUNDLED_RESOURCE)) {
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
