package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With the default (public) DERP map and no network at all, {@code netcheck} must fail fast and name the
 * flags for a custom relay. Runs inside a fresh network namespace with only loopback, so not one packet
 * can leave the machine (this test must never dial the public relays for real).
 */
@Timeout(120)
class OfflineNetcheckIT {
    @Test
    void shouldFailFastWithTheCustomRelayFlagsWhenOffline() throws Exception {
        try (NetnsLab lab = NetnsLab.create("offline")) {
            final String ns = lab.namespace("host");
            final long started = System.nanoTime();
            try (CliProcess p = CliProcess.start(List.of("ip", "netns", "exec", ns), Map.of(),
                "dev.derphole.cli.DerpholeMain", "netcheck")) {
                assertThat(p.waitFor(30_000)).as(p.stderr()).isEqualTo(ExitCode.RUNTIME);
                assertThat(p.stderr()).startsWith("error: no DERP relay reachable")
                    .contains("--derp-url").contains("--derp-map").contains("DERPHOLE_DERP_URL")
                    .doesNotContain("\tat ");
            }
            assertThat((System.nanoTime() - started) / 1_000_000).as("ms to fail").isLessThan(10_000);
        }
    }

    @Test
    void shouldFailListenFastWithTheCustomRelayFlagsWhenOffline() throws Exception {
        try (NetnsLab lab = NetnsLab.create("offline-listen")) {
            final String ns = lab.namespace("host");
            try (CliProcess p = CliProcess.start(List.of("ip", "netns", "exec", ns), Map.of(),
                "dev.derphole.cli.DerpholeMain", "listen")) {
                assertThat(p.waitFor(30_000)).as(p.stderr()).isEqualTo(ExitCode.RUNTIME);
                assertThat(p.stderr()).startsWith("error: no DERP relay reachable").contains("--derp-url")
                    .contains("--derp-map").doesNotContain("\tat ");
                assertThat(p.stdout()).isEmpty();
            }
        }
    }
}
