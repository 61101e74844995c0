package dev.derphole.derp.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class JsonWriterTest {

    @Test
    void shouldWriteCompactJsonInMapOrder() {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("version", 2);
        map.put("CanAckPings", true);
        map.put("n", null);
        map.put("list", List.of(1L, 2.5d, "x"));
        map.put("empty", Map.of());
        map.put("none", List.of());

        assertThat(JsonWriter.write(map))
            .isEqualTo("{\"version\":2,\"CanAckPings\":true,\"n\":null,\"list\":[1,2.5,\"x\"],"
                + "\"empty\":{},\"none\":[]}");
    }

    @Test
    void shouldWritePrettyJson() {
        final Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("a", 1);
        inner.put("b", List.of(true, false));
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("o", inner);
        map.put("e", List.of());

        assertThat(JsonWriter.writePretty(map)).isEqualTo("""
            {
              "o": {
                "a": 1,
                "b": [
                  true,
                  false
                ]
              },
              "e": []
            }""");
    }

    @Test
    void shouldEscapeStrings() {
        assertThat(JsonWriter.write("q\" b\\ n\n r\r t\t bs\b ff\f nul\u0000 us\u001f del\u007f ls\u2028 ps\u2029 /"))
            .isEqualTo("\"q\\\" b\\\\ n\\n r\\r t\\t bs\\b ff\\f nul\\u0000 us\\u001f del\u007f"
                + " ls\\u2028 ps\\u2029 /\"");
        assertThat(JsonWriter.write("\u00e9\uD83D\uDE00")).isEqualTo("\"\u00e9\uD83D\uDE00\"");
    }

    @Test
    void shouldReplaceUnpairedSurrogatesLikeGo() {
        assertThat(JsonWriter.write("a\uD800b\uDC00")).isEqualTo("\"a\uFFFDb\uFFFD\"");
        assertThat(JsonWriter.write("\uD800")).isEqualTo("\"\uFFFD\"");
    }

    @Test
    void shouldWriteNumbersSoTheyReadBackEqual() throws JsonException {
        assertThat(JsonWriter.write(List.of(Long.MIN_VALUE, 0.1d, -0.0d, 1e300, 5.0d, 40.7128d)))
            .isEqualTo("[-9223372036854775808,0.1,-0.0,1.0E300,5.0,40.7128]");
        assertThat(JsonReader.parse(JsonWriter.write(List.of(5.0d, 7L)))).isEqualTo(List.of(5.0d, 7L));
        assertThat(JsonWriter.write(List.of((short) 3, (byte) 4, 1.5f, BigInteger.TEN.pow(30), new BigDecimal("1.25"))))
            .isEqualTo("[3,4,1.5,1000000000000000000000000000000,1.25]");
    }

    @Test
    void shouldWriteNumericMapKeysAsStrings() {
        final Map<Integer, Double> scores = new TreeMap<>(Map.of(1, 0.5, 10, 2.0));
        assertThat(JsonWriter.write(scores)).isEqualTo("{\"1\":0.5,\"10\":2.0}");
    }

    @Test
    void shouldRejectValuesJsonCannotRepresent() {
        assertThatThrownBy(() -> JsonWriter.write(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonWriter.write(Double.POSITIVE_INFINITY))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonWriter.write(new Object())).isInstanceOf(IllegalArgumentException.class);
        final Map<Object, Object> badKey = new LinkedHashMap<>();
        badKey.put(List.of(), 1);
        assertThatThrownBy(() -> JsonWriter.write(badKey)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectCyclesInsteadOfOverflowingTheStack() {
        final List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertThatThrownBy(() -> JsonWriter.write(cycle))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("deeper than");
    }
}
