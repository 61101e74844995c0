package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DerpMapSourceTest {
    private static final Map<String, String> BOTH_ENV = Map.of(
        DerpMapSource.ENV_DERP_URL, "http://env-relay:1",
        DerpMapSource.ENV_DERP_MAP, "/env/map.json");

    @Test
    void shouldPreferTheUrlFlagOverEverything() {
        assertThat(DerpMapSource.resolve(null, "http://flag:1", BOTH_ENV))
            .isEqualTo(new DerpMapSource.Relay("http://flag:1", "--derp-url"));
    }

    @Test
    void shouldPreferTheMapFlagOverTheEnvironment() {
        assertThat(DerpMapSource.resolve("/flag/map.json", null, BOTH_ENV))
            .isEqualTo(new DerpMapSource.MapFile("/flag/map.json", "--derp-map"));
        assertThat(DerpMapSource.resolve("https://maps.example/derp.json", "", BOTH_ENV))
            .isEqualTo(new DerpMapSource.MapUrl("https://maps.example/derp.json", "--derp-map"));
    }

    @Test
    void shouldPreferTheEnvironmentUrlOverTheEnvironmentMap() {
        assertThat(DerpMapSource.resolve(null, null, BOTH_ENV))
            .isEqualTo(new DerpMapSource.Relay("http://env-relay:1", "DERPHOLE_DERP_URL"));
        assertThat(DerpMapSource.resolve(null, null, Map.of(DerpMapSource.ENV_DERP_MAP, " /env/map.json ")))
            .isEqualTo(new DerpMapSource.MapFile("/env/map.json", "DERPHOLE_DERP_MAP"));
    }

    @Test
    void shouldFallBackToTheBundledMap() {
        assertThat(DerpMapSource.resolve(null, null, Map.of())).isEqualTo(new DerpMapSource.Bundled());
        assertThat(DerpMapSource.resolve(" ", "", Map.of(DerpMapSource.ENV_DERP_URL, "", "OTHER", "x")))
            .isInstanceOf(DerpMapSource.Bundled.class);
    }

    @Test
    void shouldRejectBothFlagsAsAUsageError() {
        assertThatThrownBy(() -> DerpMapSource.resolve("/m.json", "http://h:1", Map.of()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("--derp-map and --derp-url cannot be used together");
    }

    @Test
    void shouldClassifyMapValuesByScheme() {
        assertThat(DerpMapSource.resolve("ftp://x/y", null, Map.of())).isInstanceOf(DerpMapSource.MapUrl.class);
        assertThat(DerpMapSource.resolve("HTTP://x/y", null, Map.of())).isInstanceOf(DerpMapSource.MapUrl.class);
        assertThat(DerpMapSource.resolve("./maps/a://b", null, Map.of())).isInstanceOf(DerpMapSource.MapFile.class);
        assertThat(DerpMapSource.resolve("C:\\maps\\derp.json", null, Map.of()))
            .isInstanceOf(DerpMapSource.MapFile.class);
    }

    @Test
    void shouldDescribeItselfForMessages() {
        assertThat(DerpMapSource.resolve("/m.json", null, Map.of()).describe()).isEqualTo("--derp-map /m.json");
        assertThat(new DerpMapSource.Bundled().describe()).isEqualTo("the built-in public DERP map");
    }
}
