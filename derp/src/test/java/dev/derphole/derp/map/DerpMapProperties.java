package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.derphole.derp.json.JsonException;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.json.JsonWriter;
import dev.derphole.testing.Fuzz;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Writer/parser round trip of random maps, and fuzzing of the parser: whatever the bytes, the parser
 * either returns a valid map or throws {@link DerpMapException}, within a time budget. Every case comes
 * from a generator seeded with {@link Fuzz#DEFAULT_SEED}, so a run is reproducible and a failure names
 * its case and input; {@code assertTimeoutPreemptively} makes a hang fail the case that caused it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DerpMapProperties {
    private static final Duration PARSE_BUDGET = Duration.ofSeconds(5);
    private static final byte[] BUNDLED = bundledBytes();
    private static final int ROUND_TRIP_CASES = 300;
    private static final int RANDOM_BYTES_CASES = 500;
    private static final int RANDOM_BYTES_MAX_LENGTH = 512;
    /** Mutants of the bundled map with random bytes overwritten, and as many from {@link Fuzz#mutations}. */
    private static final int MUTANTS = 1000;
    private static final int MAX_OVERWRITES = 6;
    private static final int REPLACED_VALUE_CASES = 1000;
    /** Largest region id a generated map uses (ids are 1..this). */
    private static final int MAX_GENERATED_REGION_ID = 2000;
    private static final int MAX_REGIONS = 5;
    private static final int MAX_SCORES = 3;
    private static final int MAX_NODES = 3;
    private static final int MAX_REGION_TEXT = 10;
    private static final int MAX_NODE_NAME = 4;
    private static final int MAX_REPLACEMENT_TEXT = 8;

    private static final String REGION_TEXT_CHARS = regionTextChars();
    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String[] HOSTS = {"derp1.tailscale.com", "127.0.0.1", "::1", "2001:db8::1", "relay.local",
        "my_host"};
    private static final String[] IPV4S = {"", "none", "192.0.2.1", "127.0.0.1", "bogus"};
    private static final String[] IPV6S = {"", "none", "2001:db8::2", "::1"};
    private static final String[] CERTS = {"", "cert.example", "sha256-raw:00ff"};
    private static final String[] TEST_IPS = {"", "127.0.0.1", "::1"};

    @Test
    void writtenMapsParseBackEqual() {
        final SplittableRandom random = random(1);
        for (int i = 0; i < ROUND_TRIP_CASES; i++) {
            final DerpMap map = map(random);
            reporting(i, String.valueOf(map), () -> {
                assertThat(DerpMap.parse(map.toJson())).isEqualTo(map);
                assertThat(DerpMap.parse(map.toPrettyJson())).isEqualTo(map);
                assertThat(DerpMap.parse(map.toJsonBytes()).toJson()).isEqualTo(map.toJson());
            });
        }
    }

    @Test
    void randomBytesOnlyEverThrowDerpMapException() {
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 2, RANDOM_BYTES_CASES, RANDOM_BYTES_MAX_LENGTH),
            DerpMapProperties::assertOnlyDerpMapException);
    }

    /** Every prefix of the bundled map (a stronger sweep than random cuts). */
    @Test
    void truncatedMapsOnlyEverThrowDerpMapException() {
        Fuzz.forAll(Fuzz.truncations(BUNDLED), DerpMapProperties::assertOnlyDerpMapException);
    }

    @Test
    void mutatedMapsOnlyEverThrowDerpMapException() {
        final SplittableRandom random = random(4);
        for (int i = 0; i < MUTANTS; i++) {
            final byte[] bytes = BUNDLED.clone();
            final StringBuilder edits = new StringBuilder("bundled map with bytes overwritten at");
            final int overwrites = 1 + random.nextInt(MAX_OVERWRITES);
            for (int k = 0; k < overwrites; k++) {
                final int at = random.nextInt(bytes.length);
                bytes[at] = (byte) random.nextInt(256);
                edits.append(' ').append(at).append("=0x").append(Integer.toHexString(bytes[at] & 0xFF));
            }
            reporting(i, edits.toString(), () -> assertOnlyDerpMapException(bytes));
        }
        Fuzz.forAll(Fuzz.mutations(Fuzz.DEFAULT_SEED + 4, BUNDLED, MUTANTS),
            DerpMapProperties::assertOnlyDerpMapException);
    }

    /** Replaces one value anywhere in the bundled map's JSON tree with a value of a random JSON type. */
    @Test
    void mapsWithOneValueReplacedOnlyEverThrowDerpMapException() throws JsonException {
        final SplittableRandom random = random(5);
        // Values below the root, which replaceNth numbers 0..n-1.
        final int values = countValues(JsonReader.parse(BUNDLED)) - 1;
        for (int i = 0; i < REPLACED_VALUE_CASES; i++) {
            final Object tree = JsonReader.parse(BUNDLED);
            final int target = random.nextInt(values);
            final Object replacement = jsonValue(random);
            assertThat(replaceNth(tree, new int[] {target}, replacement)).as("value #%d exists", target).isTrue();
            final byte[] bytes = JsonWriter.write(tree).getBytes(StandardCharsets.UTF_8);
            reporting(i, "bundled map with value #" + target + " replaced by " + describe(replacement),
                () -> assertOnlyDerpMapException(bytes));
        }
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

    /** Runs one generated case; a failure is rethrown naming the case and its input, so it can be replayed. */
    private static void reporting(final int index, final String input, final Executable check) {
        try {
            check.execute();
        } catch (final Throwable e) {
            throw new AssertionError("case #" + index + " (seed " + Fuzz.DEFAULT_SEED + "), input: " + input, e);
        }
    }

    private static SplittableRandom random(final int property) {
        return new SplittableRandom(Fuzz.DEFAULT_SEED + property);
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

    /**
     * A value of any JSON type (null 1 in 10): "x", a string of any chars (lone surrogates included), any
     * long, a small integer around the port and id ranges, any finite double, a boolean, [] or {}.
     */
    private static Object jsonValue(final SplittableRandom random) {
        if (random.nextInt(10) == 0) {
            return null;
        }
        return switch (random.nextInt(8)) {
            case 0 -> "x";
            case 1 -> {
                final char[] chars = new char[random.nextInt(MAX_REPLACEMENT_TEXT + 1)];
                for (int i = 0; i < chars.length; i++) {
                    chars[i] = (char) random.nextInt(Character.MAX_VALUE + 1);
                }
                yield new String(chars);
            }
            case 2 -> random.nextLong();
            case 3 -> (long) random.nextInt(-2, 70_001);
            case 4 -> {
                final double d = Double.longBitsToDouble(random.nextLong());
                yield Double.isFinite(d) ? d : random.nextDouble(-1e6, 1e6);
            }
            case 5 -> random.nextBoolean();
            case 6 -> new ArrayList<>();
            default -> new LinkedHashMap<String, Object>();
        };
    }

    /** 1..5 regions with distinct ids, 0..3 region scores, and a DERP node in the first region. */
    private static DerpMap map(final SplittableRandom random) {
        final int regionCount = 1 + random.nextInt(MAX_REGIONS);
        final SortedMap<Integer, DerpRegion> regions = new TreeMap<>();
        for (int i = 0; i < regionCount; i++) {
            final int id = 1 + random.nextInt(MAX_GENERATED_REGION_ID);
            // A repeated id replaces the earlier region; the map just comes out smaller.
            regions.put(id, region(random, id, regions.isEmpty()));
        }
        final SortedMap<Integer, Double> scores = new TreeMap<>();
        final int scoreCount = random.nextInt(MAX_SCORES + 1);
        for (int i = 0; i < scoreCount; i++) {
            scores.put(1 + random.nextInt(MAX_GENERATED_REGION_ID), random.nextDouble(-2.0, 5.0));
        }
        ensureDerpNode(regions);
        return new DerpMap(regions, scores, random.nextBoolean());
    }

    /** A valid map needs one DERP node: make the first region's first node a DERP node. */
    private static void ensureDerpNode(final SortedMap<Integer, DerpRegion> regions) {
        final DerpRegion first = regions.get(regions.firstKey());
        final List<DerpNode> nodes = new ArrayList<>(first.nodes());
        final DerpNode n = nodes.get(0);
        nodes.set(0, new DerpNode(n.name(), n.regionId(), n.hostName(), n.certName(), n.ipv4(), n.ipv6(),
            n.stunPort(), false, n.derpPort(), n.insecureForTests(), n.stunTestIp(), n.canPort80(), n.plainHttp()));
        regions.put(first.regionId(), new DerpRegion(first.regionId(), first.regionCode(), first.regionName(),
            first.latitude(), first.longitude(), first.avoid(), first.noMeasureNoHome(), nodes));
    }

    private static DerpRegion region(final SplittableRandom random, final int id, final boolean edgeCoordinates) {
        final String code = text(random, REGION_TEXT_CHARS, MAX_REGION_TEXT);
        final String name = text(random, REGION_TEXT_CHARS, MAX_REGION_TEXT);
        final double lat = edgeCoordinates ? edgeCoordinate(random) : random.nextDouble(-180.0, 180.0);
        final double lon = edgeCoordinates ? edgeCoordinate(random) : random.nextDouble(-180.0, 180.0);
        final boolean avoid = random.nextBoolean();
        final boolean noMeasureNoHome = random.nextBoolean();
        final int nodeCount = 1 + random.nextInt(MAX_NODES);
        final List<DerpNode> nodes = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(node(random, id));
        }
        return new DerpRegion(id, code, name, lat, lon, avoid, noMeasureNoHome, nodes);
    }

    /** The ends of the coordinate range, zeros of both signs, or a number with two decimals. */
    private static double edgeCoordinate(final SplittableRandom random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextBoolean() ? -180.0 : 180.0;
            case 1 -> random.nextBoolean() ? -0.0 : 0.0;
            default -> random.nextInt(-18_000, 18_001) / 100.0;
        };
    }

    private static DerpNode node(final SplittableRandom random, final int regionId) {
        final String name = text(random, NAME_CHARS, MAX_NODE_NAME);
        final String host = pick(random, HOSTS);
        final String cert = pick(random, CERTS);
        final String ipv4 = pick(random, IPV4S);
        final String ipv6 = pick(random, IPV6S);
        final int stunPort = port(random, -1);
        final boolean stunOnly = random.nextBoolean();
        final int derpPort = port(random, 0);
        final boolean insecure = random.nextBoolean();
        final String testIp = pick(random, TEST_IPS);
        final boolean canPort80 = random.nextBoolean();
        final boolean plainHttp = random.nextBoolean();
        return new DerpNode(name, regionId, host, cert, ipv4, ipv6, stunPort, stunOnly, derpPort, insecure, testIp,
            canPort80, plainHttp);
    }

    /** min..65535, one in four times an end of that range. */
    private static int port(final SplittableRandom random, final int min) {
        return switch (random.nextInt(8)) {
            case 0 -> min;
            case 1 -> 65_535;
            default -> random.nextInt(min, 65_536);
        };
    }

    private static String pick(final SplittableRandom random, final String[] choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static String text(final SplittableRandom random, final String chars, final int maxLength) {
        final char[] out = new char[random.nextInt(maxLength + 1)];
        for (int i = 0; i < out.length; i++) {
            out[i] = chars.charAt(random.nextInt(chars.length()));
        }
        return new String(out);
    }

    /** Printable ASCII plus a Latin-1 letter, a CJK character, and chars JSON must escape. */
    private static String regionTextChars() {
        final StringBuilder sb = new StringBuilder();
        for (char c = ' '; c <= '~'; c++) {
            sb.append(c);
        }
        return sb.append("\u00e9\u4e16\"\\\n").toString();
    }

    /** The value as JSON with every char outside printable ASCII escaped, so the message shows it exactly. */
    private static String describe(final Object value) {
        if (value instanceof String s) {
            // JsonWriter would turn a lone surrogate into U+FFFD; show the Java string itself.
            final StringBuilder sb = new StringBuilder("\"");
            for (int i = 0; i < s.length(); i++) {
                final char c = s.charAt(i);
                if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                    sb.append(c);
                } else {
                    sb.append("\\u").append(String.format("%04x", (int) c));
                }
            }
            return sb.append('"').toString();
        }
        return String.valueOf(value);
    }

    private static byte[] bundledBytes() {
        try (InputStream in = DerpMapLoader.class.getResourceAsStream(DerpMapLoader.BUNDLED_RESOURCE)) {
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
