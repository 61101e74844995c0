package dev.derphole.derp.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class JsonReaderTest {

    @Test
    void shouldMapEveryJsonTypeToItsJavaType() throws JsonException {
        final Object value = JsonReader.parse(
            " {\"s\":\"x\",\"i\":-42,\"d\":1.5,\"e\":1e3,\"t\":true,\"f\":false,\"n\":null,\"a\":[1,\"2\"],\"o\":{}} ");

        assertThat(value).isInstanceOf(java.util.LinkedHashMap.class);
        @SuppressWarnings("unchecked") final Map<String, Object> map = (Map<String, Object>) value;
        assertThat(map.keySet()).containsExactly("s", "i", "d", "e", "t", "f", "n", "a", "o");
        assertThat(map.get("s")).isEqualTo("x");
        assertThat(map.get("i")).isEqualTo(-42L);
        assertThat(map.get("d")).isEqualTo(1.5d);
        assertThat(map.get("e")).isEqualTo(1000.0d);
        assertThat(map.get("t")).isEqualTo(Boolean.TRUE);
        assertThat(map.get("f")).isEqualTo(Boolean.FALSE);
        assertThat(map.containsKey("n")).isTrue();
        assertThat(map.get("n")).isNull();
        assertThat(map.get("a")).isEqualTo(List.of(1L, "2"));
        assertThat(map.get("o")).isEqualTo(Map.of());
    }

    @Test
    void shouldAcceptScalarTopLevelValues() throws JsonException {
        assertThat(JsonReader.parse("null")).isNull();
        assertThat(JsonReader.parse("\"a\"")).isEqualTo("a");
        assertThat(JsonReader.parse(" 7 ")).isEqualTo(7L);
        assertThat(JsonReader.parse("[]")).isEqualTo(List.of());
    }

    @Test
    void shouldKeepIntegersExactAtTheLongLimits() throws JsonException {
        assertThat(JsonReader.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(JsonReader.parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(JsonReader.parse("-0")).isEqualTo(0L);
    }

    @Test
    void shouldReadIntegersBeyondLongAsDouble() throws JsonException {
        assertThat(JsonReader.parse("9223372036854775808")).isEqualTo(9.223372036854775808e18);
        assertThat(JsonReader.parse("-9223372036854775809")).isEqualTo(-9.223372036854775809e18);
        assertThat(JsonReader.parse("123456789012345678901234567890")).isInstanceOf(Double.class);
    }

    @Test
    void shouldDecodeEscapesAndSurrogatePairs() throws JsonException {
        assertThat(JsonReader.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\uD83D\\uDE00\""))
            .isEqualTo("\"\\/\b\f\n\r\tA\u00e9\uD83D\uDE00");
        assertThat(JsonReader.parse("\"caf\u00e9 \uD83D\uDE00\"")).isEqualTo("caf\u00e9 \uD83D\uDE00");
    }

    @Test
    void shouldDecodeUtf8AndSkipOneByteOrderMark() throws JsonException {
        final byte[] body = "{\"k\":\"\u00e9\u20ac\uD83D\uDE00\"}".getBytes(StandardCharsets.UTF_8);
        final byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);

        assertThat(JsonReader.parse(body)).isEqualTo(Map.of("k", "\u00e9\u20ac\uD83D\uDE00"));
        assertThat(JsonReader.parse(withBom)).isEqualTo(Map.of("k", "\u00e9\u20ac\uD83D\uDE00"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":}", "{a:1}",
        "{'a':1}", "'a'", "\"abc", "\"a\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\uD800\"",
        "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"\\uD800x\"", "01", "-", "-a", "1.", ".5", "1e", "1e+", "+1",
        "0x10", "NaN", "Infinity", "-Infinity", "tru", "truex", "nul", "null null", "1 2", "[1 2]",
        "{\"a\":1}{", "/*c*/1", "1 // c", "\"tab\there\"", "\"nl\nhere\"", "\u00a01", "\ufeff1", "1e400",
        "-1e400", "[\"\uD800\"]", "{\"a\":1,\"a\":2}", "\u0000"
    })
    void shouldRejectMalformedInputWithJsonException(final String input) {
        assertThatThrownBy(() -> JsonReader.parse(input)).isInstanceOf(JsonException.class);
    }

    @Test
    void shouldReportTheOffsetOfTheFault() {
        assertThatThrownBy(() -> JsonReader.parse("[1, 2, x]"))
            .isInstanceOf(JsonException.class)
            .hasMessageContaining("at offset 7")
            .satisfies(e -> assertThat(((JsonException) e).offset()).isEqualTo(7));
        assertThatThrownBy(() -> JsonReader.parse("{\"a\":1,\"a\":2}"))
            .hasMessageContaining("duplicate object key \"a\"")
            .satisfies(e -> assertThat(((JsonException) e).offset()).isEqualTo(7));
    }

    @Test
    void shouldRejectInvalidUtf8WithTheByteOffset() {
        final byte[] bytes = {'"', 'a', (byte) 0xC3, '"'};
        assertThatThrownBy(() -> JsonReader.parse(bytes))
            .isInstanceOf(JsonException.class)
            .hasMessageContaining("invalid UTF-8")
            .satisfies(e -> assertThat(((JsonException) e).offset()).isEqualTo(2));
        // An encoded surrogate (CESU-8) is not UTF-8.
        assertThatThrownBy(() -> JsonReader.parse(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}))
            .isInstanceOf(JsonException.class);
    }

    @Test
    void shouldEnforceTheDepthLimitWithoutOverflowingTheStack() throws JsonException {
        final JsonReader reader = new JsonReader(3, 1000);
        assertThat(reader.read("[[[1]]]")).isEqualTo(List.of(List.of(List.of(1L))));
        assertThatThrownBy(() -> reader.read("[[[[1]]]]"))
            .isInstanceOf(JsonException.class)
            .hasMessageContaining("nesting deeper than 3");

        final String deep = "[".repeat(1_000_000);
        assertThatThrownBy(() -> JsonReader.parse(deep)).isInstanceOf(JsonException.class);
        final String deepObjects = "{\"a\":".repeat(100_000);
        assertThatThrownBy(() -> JsonReader.parse(deepObjects)).isInstanceOf(JsonException.class);
    }

    @Test
    void shouldAcceptExactlyTheDefaultDepth() throws JsonException {
        final int depth = JsonReader.DEFAULT_MAX_DEPTH;
        assertThat(JsonReader.parse("[".repeat(depth) + "]".repeat(depth))).isInstanceOf(List.class);
        assertThatThrownBy(() -> JsonReader.parse("[".repeat(depth + 1) + "]".repeat(depth + 1)))
            .isInstanceOf(JsonException.class);
    }

    @Test
    void shouldEnforceTheInputSizeLimit() throws JsonException {
        final JsonReader reader = new JsonReader(8, 10);
        assertThat(reader.read("\"12345678\"")).isEqualTo("12345678");
        assertThatThrownBy(() -> reader.read("\"123456789\"")).isInstanceOf(JsonException.class)
            .hasMessageContaining("longer than 10");
        final byte[] elevenBytes = new byte[11];
        Arrays.fill(elevenBytes, (byte) ' ');
        assertThatThrownBy(() -> reader.read(elevenBytes)).isInstanceOf(JsonException.class);
    }

    @Test
    void shouldRejectBadLimits() {
        assertThatThrownBy(() -> new JsonReader(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JsonReader(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JsonReader(100_000, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldParseLongNumbersAndStringsInLinearTime() throws JsonException {
        assertThat(JsonReader.parse("1" + "0".repeat(300))).isEqualTo(1e300);
        final String huge = "1" + "0".repeat(1_000_000);
        assertThatThrownBy(() -> JsonReader.parse(huge)).isInstanceOf(JsonException.class)
            .hasMessageContaining("number out of range");
        final String fraction = "0." + "1".repeat(1_000_000);
        assertThat(JsonReader.parse(fraction)).isInstanceOf(Double.class);
        final String text = "\"" + "a\\n".repeat(300_000) + "\"";
        assertThat((String) JsonReader.parse(text)).hasSize(600_000);
    }
}
