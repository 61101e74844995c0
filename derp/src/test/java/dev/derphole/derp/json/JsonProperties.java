package dev.derphole.derp.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.derphole.testing.Fuzz;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Round trips of random JSON values and fuzzing of the reader. Every case comes from a generator seeded
 * with {@link Fuzz#DEFAULT_SEED}, so a run is reproducible and a failure names its case and input. Every
 * parse of fuzzed input runs under {@code assertTimeoutPreemptively}, so a hang fails the case that caused it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JsonProperties {
    private static final Duration PARSE_BUDGET = Duration.ofSeconds(5);
    /** Levels of arrays and objects a generated value may nest below its root. */
    private static final int VALUE_DEPTH = 4;
    /** Most elements of a generated array, and most members of a generated object. */
    private static final int MAX_CONTAINER_SIZE = 5;
    /** Most code points of a generated string. */
    private static final int MAX_TEXT_CODE_POINTS = 12;
    private static final int ROUND_TRIP_CASES = 500;
    private static final int RANDOM_BYTES_CASES = 1000;
    private static final int RANDOM_BYTES_MAX_LENGTH = 256;
    private static final int RANDOM_TEXT_CASES = 1000;
    private static final int RANDOM_TEXT_MAX_PIECES = 64;
    /** Values whose every truncation is parsed. */
    private static final int TRUNCATED_VALUES = 500;
    /** Values mutated; each gives one mutant with random overwrites plus {@link #FUZZ_MUTANTS_PER_VALUE}. */
    private static final int MUTATED_VALUES = 1000;
    private static final int MAX_OVERWRITES = 8;
    private static final int FUZZ_MUTANTS_PER_VALUE = 4;

    /** Tokens and broken tokens that random text is glued from, so it often gets deep into the grammar. */
    private static final String[] TEXT_PIECES = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD83D",
        "\\uDE00", "true", "false", "null", "-", "0", "1", "9", ".", "e", "E", "+", " ", "\n", "\"k\"", "1e999",
        "\uD800", "\u0000", "a"};
    private static final long[] EDGE_LONGS = {0, 1, -1, 2, -2, 9, 10, Integer.MAX_VALUE, Integer.MIN_VALUE,
        (1L << 53) + 1, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1};
    private static final double[] EDGE_DOUBLES = {0.0, -0.0, 1.0, -1.0, 0.1, 0.01, -0.01, 1e-7, 1e7, 1e21, 1e22,
        Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE,
        9_007_199_254_740_993.0, 123_456_789.125};

    @Test
    void writtenValuesReadBackEqual() {
        final SplittableRandom random = random(1);
        for (int i = 0; i < ROUND_TRIP_CASES; i++) {
            final Object value = value(random, VALUE_DEPTH);
            reporting(i, describe(value), () -> {
                assertThat(JsonReader.parse(JsonWriter.write(value))).isEqualTo(value);
                assertThat(JsonReader.parse(JsonWriter.writePretty(value))).isEqualTo(value);
                assertThat(JsonReader.parse(JsonWriter.write(value).getBytes(StandardCharsets.UTF_8)))
                    .isEqualTo(value);
            });
        }
    }

    @Test
    void randomBytesOnlyEverThrowJsonException() {
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 2, RANDOM_BYTES_CASES, RANDOM_BYTES_MAX_LENGTH),
            JsonProperties::assertOnlyJsonException);
    }

    @Test
    void randomTextOnlyEverThrowsJsonException() {
        final SplittableRandom random = random(3);
        for (int i = 0; i < RANDOM_TEXT_CASES; i++) {
            final StringBuilder sb = new StringBuilder();
            final int pieces = random.nextInt(RANDOM_TEXT_MAX_PIECES + 1);
            for (int p = 0; p < pieces; p++) {
                sb.append(TEXT_PIECES[random.nextInt(TEXT_PIECES.length)]);
            }
            final String text = sb.toString();
            reporting(i, escape(text), () -> assertTimeoutPreemptively(PARSE_BUDGET, () -> {
                try {
                    JsonReader.parse(text);
                } catch (final JsonException expected) {
                    // the only permitted failure
                }
            }));
        }
    }

    /** Every prefix of each value's compact form (a stronger sweep than one random cut per value). */
    @Test
    void truncatedJsonOnlyEverThrowsJsonException() {
        final SplittableRandom random = random(4);
        for (int i = 0; i < TRUNCATED_VALUES; i++) {
            final Object value = value(random, VALUE_DEPTH);
            final byte[] bytes = JsonWriter.write(value).getBytes(StandardCharsets.UTF_8);
            reporting(i, describe(value), () -> Fuzz.forAll(Fuzz.truncations(bytes),
                JsonProperties::assertOnlyJsonException));
        }
    }

    /**
     * Each value's pretty form with 1..8 bytes overwritten by random bytes at random offsets, plus the
     * structural mutants of {@link Fuzz#mutations} (bit flips, special bytes, inserted and deleted runs).
     */
    @Test
    void mutatedJsonOnlyEverThrowsJsonException() {
        final SplittableRandom random = random(5);
        for (int i = 0; i < MUTATED_VALUES; i++) {
            final Object value = value(random, VALUE_DEPTH);
            final byte[] pretty = JsonWriter.writePretty(value).getBytes(StandardCharsets.UTF_8);
            final byte[] overwritten = pretty.clone();
            final int overwrites = 1 + random.nextInt(MAX_OVERWRITES);
            for (int k = 0; k < overwrites; k++) {
                overwritten[random.nextInt(overwritten.length)] = (byte) random.nextInt(256);
            }
            final List<byte[]> mutants = new ArrayList<>();
            mutants.add(overwritten);
            mutants.addAll(Fuzz.mutations(random.nextLong(), pretty, FUZZ_MUTANTS_PER_VALUE));
            reporting(i, describe(value), () -> Fuzz.forAll(mutants, JsonProperties::assertOnlyJsonException));
        }
    }

    private static void assertOnlyJsonException(final byte[] bytes) {
        assertTimeoutPreemptively(PARSE_BUDGET, () -> {
            try {
                JsonReader.parse(bytes);
            } catch (final JsonException expected) {
                // the only permitted failure
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

    /** A JSON value: 4 in 6 a scalar (always one at depth 0), else an array or an object one level deeper. */
    private static Object value(final SplittableRandom random, final int depth) {
        final int kind = depth == 0 ? 0 : random.nextInt(6);
        if (kind < 4) {
            return scalar(random);
        }
        final int size = random.nextInt(MAX_CONTAINER_SIZE + 1);
        if (kind == 4) {
            final List<Object> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                list.add(value(random, depth - 1));
            }
            return list;
        }
        final Set<String> keys = new HashSet<>();
        final Map<String, Object> object = new LinkedHashMap<>();
        // Duplicate keys are skipped, so an object may come out smaller than size.
        for (int i = 0; i < size; i++) {
            final String key = text(random);
            if (keys.add(key)) {
                object.put(key, value(random, depth - 1));
            }
        }
        return object;
    }

    /** null (1 in 20), else a string, a long, a double or a boolean, equally likely. */
    private static Object scalar(final SplittableRandom random) {
        if (random.nextInt(20) == 0) {
            return null;
        }
        return switch (random.nextInt(4)) {
            case 0 -> text(random);
            case 1 -> longValue(random);
            case 2 -> doubleValue(random);
            default -> random.nextBoolean();
        };
    }

    /** An edge case, a small number or any long, equally likely. */
    private static long longValue(final SplittableRandom random) {
        return switch (random.nextInt(3)) {
            case 0 -> EDGE_LONGS[random.nextInt(EDGE_LONGS.length)];
            case 1 -> random.nextLong(-1000, 1001);
            default -> random.nextLong();
        };
    }

    /** An edge case, a number with two decimals (as people write them) or any finite double. */
    private static double doubleValue(final SplittableRandom random) {
        return switch (random.nextInt(3)) {
            case 0 -> EDGE_DOUBLES[random.nextInt(EDGE_DOUBLES.length)];
            case 1 -> random.nextLong(-10_000_000, 10_000_001) / 100.0;
            default -> {
                final double d = Double.longBitsToDouble(random.nextLong());
                yield Double.isFinite(d) ? d : -0.0;
            }
        };
    }

    /**
     * Any valid Unicode text of up to 12 code points from the whole range, surrogate halves excluded:
     * printable ASCII 6 in 10, control characters 2 in 10, the BMP below the surrogates and everything
     * above them 1 in 10 each.
     */
    private static String text(final SplittableRandom random) {
        final int n = random.nextInt(MAX_TEXT_CODE_POINTS + 1);
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            final int bucket = random.nextInt(10);
            if (bucket < 6) {
                sb.appendCodePoint(random.nextInt(0x20, 0x7F));
            } else if (bucket < 8) {
                sb.appendCodePoint(random.nextInt(0, 0x20));
            } else if (bucket < 9) {
                sb.appendCodePoint(random.nextInt(0x80, 0xD800));
            } else {
                sb.appendCodePoint(random.nextInt(0xE000, 0x110000));
            }
        }
        return sb.toString();
    }

    /** The value as JSON with every char outside printable ASCII escaped, so the message shows it exactly. */
    private static String describe(final Object value) {
        try {
            return escape(JsonWriter.write(value));
        } catch (final RuntimeException e) {
            return escape(String.valueOf(value)) + " (JsonWriter failed: " + e + ")";
        }
    }

    /** Java-style escapes for every char outside printable ASCII (lone surrogates included). */
    private static String escape(final String s) {
        final StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F) {
                sb.append(c);
            } else {
                sb.append("\\u").append(String.format("%04x", (int) c));
            }
        }
        return sb.toString();
    }
}
