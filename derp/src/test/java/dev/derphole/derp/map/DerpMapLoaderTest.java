package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DerpMapLoaderTest {
    private static final String SMALL_MAP =
        "{\"Regions\":{\"5\":{\"RegionID\":5,\"RegionCode\":\"t\","
            + "\"Nodes\":[{\"Name\":\"5a\",\"HostName\":\"h.example\"}]}}}";

    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/map.json", exchange -> respond(exchange, 200, utf8(SMALL_MAP)));
        server.createContext("/missing", exchange -> respond(exchange, 404, "nope".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/huge", exchange -> respond(exchange, 200, new byte[DerpMapLoader.MAX_MAP_BYTES + 1]));
        server.createContext("/garbage", exchange -> respond(exchange, 200, utf8("{\"Regions\":")));
        server.createContext("/redirect", exchange -> {
            exchange.getResponseHeaders().add("Location", "/map.json");
            respond(exchange, 302, new byte[0]);
        });
        server.createContext("/slow", exchange -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, SMALL_MAP.getBytes(StandardCharsets.UTF_8));
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        release.countDown();
        server.stop(0);
    }

    private static void respond(final com.sun.net.httpserver.HttpExchange exchange, final int status, final byte[] body)
        throws IOException {
        try (exchange; OutputStream out = exchange.getResponseBody()) {
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                out.write(body);
            }
        }
    }

    private static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private URI url(final String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void shouldLoadTheBundledPublicSnapshot() throws DerpMapException, IOException {
        final DerpMap map = DerpMapLoader.loadBundled();

        final Properties info = new Properties();
        try (InputStream in = DerpMapLoader.class.getResourceAsStream(DerpMapLoader.BUNDLED_INFO_RESOURCE)) {
            assertThat(in).isNotNull();
            info.load(in);
        }
        assertThat(map.regions()).hasSize(Integer.parseInt(info.getProperty("regions")));
        assertThat(map.regions().values().stream().mapToInt(r -> r.nodes().size()).sum())
            .isEqualTo(Integer.parseInt(info.getProperty("nodes")));
        assertThat(info.getProperty("source.path")).isEqualTo("net/dnsfallback/dns-fallback-servers.json");
        final DerpRegion first = map.lowestDerpRegion();
        assertThat(first.regionId()).isEqualTo(1);
        final DerpNode node = first.firstDerpNode().orElseThrow();
        assertThat(node.hostName()).endsWith(".tailscale.com");
        assertThat(node.derpUrl().toString()).startsWith("https://derp1").endsWith(".tailscale.com/derp");
        assertThat(node.ipv4Address()).isPresent();
        assertThat(map.regions().values()).allSatisfy(r -> assertThat(r.hasDerpNode()).isTrue());
        assertThat(DerpMapLoader.load(new DerpMapSource.Bundled())).isEqualTo(map);
    }

    @Test
    void shouldKeepTheBundledFileInCanonicalForm() throws DerpMapException, IOException {
        try (InputStream in = DerpMapLoader.class.getResourceAsStream(DerpMapLoader.BUNDLED_RESOURCE)) {
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(text).isEqualTo(DerpMap.parse(text).toPrettyJson() + "\n");
        }
    }

    @Test
    void shouldLoadAFile(@TempDir final Path dir) throws IOException, DerpMapException {
        final Path file = dir.resolve("map.json");
        Files.writeString(file, SMALL_MAP);
        assertThat(DerpMapLoader.loadFile(file).region(5)).isPresent();
        assertThat(DerpMapLoader.load(DerpMapSource.resolve(file.toString(), null, Map.of())).region(5)).isPresent();
    }

    @Test
    void shouldNameTheSourceWhenAFileFails(@TempDir final Path dir) throws IOException {
        final Path missing = dir.resolve("missing.json");
        assertThatThrownBy(() -> DerpMapLoader.load(DerpMapSource.resolve(missing.toString(), null, Map.of())))
            .isInstanceOf(DerpMapException.class)
            .hasMessage("DERP map from --derp-map " + missing + ": no such file: " + missing);

        final Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"Regions\":{\"1\":{\"RegionID\":1,\"Nodes\":[{}]}}}");
        assertThatThrownBy(() -> DerpMapLoader.load(DerpMapSource.resolve(null, null,
            Map.of(DerpMapSource.ENV_DERP_MAP, bad.toString()))))
            .hasMessage("DERP map from DERPHOLE_DERP_MAP " + bad + ": Regions[\"1\"].Nodes[0]: HostName is required");

        assertThatThrownBy(() -> DerpMapLoader.loadFile(dir)).isInstanceOf(DerpMapException.class);
    }

    @Test
    void shouldCapTheFileSize(@TempDir final Path dir) throws IOException {
        final Path big = dir.resolve("big.json");
        Files.write(big, new byte[DerpMapLoader.MAX_MAP_BYTES + 1]);
        assertThatThrownBy(() -> DerpMapLoader.loadFile(big)).hasMessageContaining("larger than");
        final Path zero = Path.of("/dev/zero");
        if (Files.isReadable(zero)) {
            assertThatThrownBy(() -> DerpMapLoader.loadFile(zero)).hasMessageContaining("larger than");
        }
    }

    @Test
    void shouldLoadFromAnHttpUrlOnLoopback() throws DerpMapException {
        assertThat(DerpMapLoader.loadUrl(url("/map.json"), Duration.ofSeconds(5)).region(5)).isPresent();
        assertThat(DerpMapLoader.loadUrl(url("/redirect"), Duration.ofSeconds(5)).region(5)).isPresent();
        assertThat(DerpMapLoader.load(DerpMapSource.resolve(url("/map.json").toString(), null, Map.of())).region(5))
            .isPresent();
    }

    @Test
    void shouldFailClearlyOnHttpErrors() {
        assertThatThrownBy(() -> DerpMapLoader.loadUrl(url("/missing"), Duration.ofSeconds(5)))
            .isInstanceOf(DerpMapException.class).hasMessageContaining("HTTP status 404");
        assertThatThrownBy(() -> DerpMapLoader.loadUrl(url("/huge"), Duration.ofSeconds(5)))
            .isInstanceOf(DerpMapException.class).hasMessageContaining("larger than");
        assertThatThrownBy(() -> DerpMapLoader.loadUrl(url("/garbage"), Duration.ofSeconds(5)))
            .isInstanceOf(DerpMapException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> DerpMapLoader.loadUrl(URI.create("ftp://127.0.0.1/x"), Duration.ofSeconds(1)))
            .isInstanceOf(DerpMapException.class).hasMessageContaining("only http:// and https://");
        assertThatThrownBy(() -> DerpMapLoader.load(new DerpMapSource.MapUrl("ftp://127.0.0.1/x", "--derp-map")))
            .isInstanceOf(DerpMapException.class).hasMessageStartingWith("DERP map from --derp-map ftp://127.0.0.1/x");
    }

    @Test
    void shouldTimeOutOnASlowServer() {
        final long startNs = System.nanoTime();
        assertThatThrownBy(() -> DerpMapLoader.loadUrl(url("/slow"), Duration.ofMillis(300)))
            .isInstanceOf(DerpMapException.class).hasMessageContaining("timed out after 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void shouldFailWhenNothingListens() throws IOException {
        final int port;
        try (var probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        assertThatThrownBy(() -> DerpMapLoader.loadUrl(URI.create("http://127.0.0.1:" + port + "/m"),
            Duration.ofSeconds(2))).isInstanceOf(DerpMapException.class).hasMessageContaining("cannot fetch");
    }

    @Test
    void shouldBuildTheMapOfARelayUrl() throws DerpMapException {
        final DerpMap map = DerpMapLoader.load(DerpMapSource.resolve(null, "http://127.0.0.1:3340", Map.of()));
        assertThat(map.lowestDerpRegion().firstDerpNode().orElseThrow().plainHttp()).isTrue();
        assertThatThrownBy(() -> DerpMapLoader.load(DerpMapSource.resolve(null, "127.0.0.1:3340", Map.of())))
            .hasMessageStartingWith(
                "DERP map from --derp-url 127.0.0.1:3340: relay URL \"127.0.0.1:3340\" has no scheme");
    }
}
