package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.client.DerpClientConfig;
import dev.derphole.derp.client.DerpEvent;
import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.json.JsonReader;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.server.TestTls;
import dev.derphole.session.relay.RelayTargets;

/** {@code derphole relay} and {@code derphole netcheck} as real processes on loopback. */
@Timeout(120)
class RelayCommandIT {
    private static final long START_MS = 20_000;

    @TempDir
    Path temp;

    @Test
    void shouldRelayBetweenClientsAnswerNetcheckAndStopCleanlyOnSigterm() throws Exception {
        final Path mapFile = temp.resolve("relay-map.json");
        try (CliProcess relay = CliProcess.derphole("relay", "--listen", "127.0.0.1:0", "--stun", "127.0.0.1:0",
            "--map-out", mapFile.toString())) {
            final String url = relay.awaitStderr("^derp-url (\\S+)$", START_MS);
            assertThat(url).startsWith("http://127.0.0.1:").contains("?stun=");

            // The written map is Tailscale's format and points at the relay.
            final DerpMap map = DerpMap.parse(Files.readString(mapFile, StandardCharsets.UTF_8));
            final DerpNode node = map.lowestDerpRegion().firstDerpNode().orElseThrow();
            assertThat(node.hostName()).isEqualTo("127.0.0.1");
            assertThat(url).contains(":" + node.effectiveDerpPort());

            // Two DERP clients meet through it.
            final DerpTarget target = RelayTargets.of(node, DerpNode.HostResolver.SYSTEM);
            try (DerpClient a = new DerpClient(DerpClientConfig.builder(target).build());
                DerpClient b = new DerpClient(DerpClientConfig.builder(target).build())) {
                a.connect();
                b.connect();
                final byte[] hello = "hello through the relay".getBytes(StandardCharsets.UTF_8);
                a.send(b.publicKey(), hello, 0, hello.length);
                final DerpEvent event = b.receive(Duration.ofSeconds(10));
                assertThat(event).isInstanceOf(DerpEvent.Packet.class);
                assertThat(((DerpEvent.Packet)event).data()).isEqualTo(hello);
                assertThat(((DerpEvent.Packet)event).source()).isEqualTo(a.publicKey());
            }

            // netcheck against it, by URL (JSON) and by map (table).
            try (CliProcess netcheck = CliProcess.derphole("netcheck", "--derp-url", url, "--json")) {
                assertThat(netcheck.waitFor(30_000)).as(netcheck.stderr()).isZero();
                @SuppressWarnings("unchecked")
                final Map<String, Object> report = (Map<String, Object>)JsonReader.parse(netcheck.stdout().strip());
                assertThat(report).containsEntry("reachable", true).containsEntry("homeRegion", 900L);
                @SuppressWarnings("unchecked")
                final Map<String, Object> region = ((List<Map<String, Object>>)report.get("regions")).getFirst();
                assertThat(region).containsEntry("derpOk", true);
                assertThat((String)region.get("stunAddress")).startsWith("127.0.0.1:");
                assertThat(region.get("latencyMs")).isInstanceOf(Double.class);
            }
            try (CliProcess netcheck = CliProcess.derphole("netcheck", "--derp-map", mapFile.toString())) {
                assertThat(netcheck.waitFor(30_000)).as(netcheck.stderr()).isZero();
                assertThat(netcheck.stdout()).contains("ok ").contains("home region: derphole (region 900)");
            }

            // A second relay on the same port fails with a clear message, without disturbing the first.
            final int port = URI.create(url).getPort();
            try (CliProcess second = CliProcess.derphole("relay", "--listen", "127.0.0.1:" + port, "--no-stun")) {
                assertThat(second.waitFor(START_MS)).isEqualTo(ExitCode.RUNTIME);
                assertThat(second.stderr()).contains("already in use").doesNotContain("Exception");
            }
            assertThat(relay.alive()).isTrue();

            relay.terminate();
            assertThat(relay.waitFor(10_000)).as(relay.stderr()).isZero();
        }
    }

    @Test
    void shouldServeDerpOverTls() throws Exception {
        final Path cert = temp.resolve("cert.pem");
        final Path key = temp.resolve("key.pem");
        Files.writeString(cert, TestTls.resource(TestTls.CERT));
        Files.writeString(key, TestTls.resource(TestTls.KEY));
        try (CliProcess relay = CliProcess.derphole("relay", "--listen", "127.0.0.1:0", "--no-stun",
            "--tls-cert", cert.toString(), "--tls-key", key.toString())) {
            final String url = relay.awaitStderr("^derp-url (\\S+)$", START_MS);
            assertThat(url).startsWith("https://127.0.0.1:").endsWith("?stun=-1");
            final URI uri = URI.create(url);
            final DerpTarget target = DerpTarget.parse("https://127.0.0.1:" + uri.getPort());
            try (DerpClient a = new DerpClient(DerpClientConfig.builder(target)
                .sslContext(TestTls.clientSslContext()).build());
                DerpClient b = new DerpClient(DerpClientConfig.builder(target)
                    .sslContext(TestTls.clientSslContext()).build())) {
                a.connect();
                b.connect();
                assertThat(a.ping(Duration.ofSeconds(5))).isPositive();
                a.send(b.publicKey(), new byte[] {1, 2, 3}, 0, 3);
                assertThat(b.receive(Duration.ofSeconds(10))).isInstanceOf(DerpEvent.Packet.class);
            }
            relay.terminate();
            assertThat(relay.waitFor(10_000)).isZero();
        }
    }

    @Test
    void shouldRejectBadRelayFlagsAsUsageErrors() throws Exception {
        final String[][] bad = {
            {"relay"},
            {"relay", "--listen", "nonsense"},
            {"relay", "--listen", "127.0.0.1:0", "--stun", "127.0.0.1:0", "--no-stun"},
            {"relay", "--listen", "127.0.0.1:0", "--tls-cert", "x.pem"},
            {"netcheck", "--timeout", "soon"},
            {"netcheck", "--derp-url", "http://127.0.0.1:1", "--derp-map", "m.json"},
        };
        for (final String[] args : bad) {
            try (CliProcess p = CliProcess.derphole(args)) {
                assertThat(p.waitFor(START_MS)).as(String.join(" ", args) + ": " + p.stderr())
                    .isEqualTo(ExitCode.USAGE);
                assertThat(p.stderr()).as(String.join(" ", args)).startsWith("error: ").doesNotContain("\tat ");
            }
        }
    }

    @Test
    void shouldReportAnUnreachableCustomRelayInOneLine() throws Exception {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        try (CliProcess p = CliProcess.derphole("netcheck", "--derp-url", "http://127.0.0.1:1?stun=-1")) {
            assertThat(p.waitFor(30_000)).isEqualTo(ExitCode.RUNTIME);
            assertThat(p.stderr()).startsWith("error: no DERP relay reachable").contains("--derp-url")
                .doesNotContain("\tat ");
            assertThat(p.stdout()).isEmpty();
        }
    }
}
