package dev.derphole.derp.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Round trips of random JSON values and fuzzing of the reader. jqwik ignores JUnit's {@code @Timeout},
 * so every parse of fuzzed input runs under {@code assertTimeoutPreemptively}: a hang fails the try.
 */
class JsonProperties {
    private static final Duration PARSE_BUDGET = Duration.ofSeconds(5);

    @Property(tries = 500)
    void writtenValuesReadBackEqual(@ForAll("jsonValues") final Object value) throws JsonException {
        assertThat(JsonReader.parse(JsonWriter.write(value))).isEqualTo(value);
        assertThat(JsonReader.parse(JsonWriter.writePretty(value))).isEqualTo(value);
        assertThat(JsonReader.parse(JsonWriter.write(value).getBytes(StandardCharsets.UTF_8))).isEqualTo(value);
    }

    @Property(tries = 1000)
    void randomBytesOnlyEverThrowJsonException(@ForAll @Size(max = 256) final byte[] bytes) {
        assertOnlyJsonException(bytes);
    }

    @Property(tries = 1000)
    void randomTextOnlyEverThrowsJsonException(@ForAll("jsonishText") final String text) {
        assertTimeoutPreemptively(PARSE_BUDGET, () -> {
            try {
                JsonReader.parse(text);
            } catch (final JsonException expected) {
                // the only permitted failure
            }
        });
    }

    @Property(tries = 500)
    void truncatedJsonOnlyEverThrowsJsonException(@ForAll("jsonValues") final Object value,
                                                  @ForAll @IntRange(min = 0, max = 10_000) final int cut) {
        final byte[] bytes = JsonWriter.write(value).getBytes(StandardCharsets.UTF_8);
        final byte[] truncated = java.util.Arrays.copyOf(bytes, Math.min(cut, bytes.length));
        assertOnlyJsonException(truncated);
    }

    @Property(tries = 1000)
    void mutatedJsonOnlyEverThrowsJsonException(
        @ForAll("jsonValues") final Object value,
        @ForAll @Size(min = 1, max = 8) final List<@IntRange(min = 0, max = 1 << 20) Integer> positions,
        @ForAll @Size(min = 8, max = 8) final byte[] replacements) {
        final byte[] bytes = JsonWriter.writePretty(value).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < positions.size(); i++) {
            bytes[positions.get(i) % bytes.length] = replacements[i];
        }
        assertOnlyJsonException(bytes);
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

    @Provide
    Arbitrary<Object> jsonValues() {
        return value(4);
    }

    @Provide
    Arbitrary<String> jsonishText() {
        final Arbitrary<String> pieces = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD83D",
            "\\uDE00", "true", "false", "null", "-", "0", "1", "9", ".", "e", "E", "+", " ", "\n", "\"k\"", "1e999",
            "\uD800", "\u0000", "a");
        return pieces.list().ofMaxSize(64).map(list -> String.join("", list));
    }

    private static Arbitrary<Object> value(final int depth) {
        final Arbitrary<Object> scalar = Arbitraries.oneOf(
            text().map(Object.class::cast),
            Arbitraries.longs().map(Object.class::cast),
            Arbitraries.doubles().map(Object.class::cast),
            Arbitraries.of(Boolean.TRUE, Boolean.FALSE).map(Object.class::cast)
        ).injectNull(0.05);
        if (depth == 0) {
            return scalar;
        }
        final Arbitrary<Object> list = Arbitraries.lazy(() -> value(depth - 1)).list().ofMaxSize(5)
            .map(l -> (Object) new ArrayList<>(l));
        final Arbitrary<Object> object = Combinators.combine(
                text().list().ofMaxSize(5).uniqueElements(),
                Arbitraries.lazy(() -> value(depth - 1)).list().ofSize(5))
            .as((keys, values) -> {
                final Map<String, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < keys.size(); i++) {
                    map.put(keys.get(i), values.get(i));
                }
                return (Object) map;
            });
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, scalar),
            net.jqwik.api.Tuple.of(1, list),
            net.jqwik.api.Tuple.of(1, object));
    }

    /** Any valid Unicode text: code points from the whole range, surrogate halves excluded. */
    private static Arbitrary<String> text() {
        final Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0x20, 0x7E)),
            net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 0x1F)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0x80, 0xD7FF)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0xE000, 0x10FFFF)));
        return codePoint.list().ofMaxSize(12).map(cps -> {
            final StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }
}
