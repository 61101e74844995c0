package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DerpServerHttpTest {
    @Test
    void shouldAnswerProbesWithGetAndHead() throws Exception {
        try (DerpServer server = TestRelays.startPlain()) {
            for (final String path : new String[] {"/derp/probe", "/derp/latency-check"}) {
                for (final String method : new String[] {"GET", "HEAD"}) {
                    final RawDerpTestClient.HttpResponse r =
                        RawDerpTestClient.http(server, method + " " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(r.status()).as(method + " " + path).isEqualTo(200);
                    assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("*");
                    assertThat(r.body()).isEmpty();
                }
            }
            final RawDerpTestClient.HttpResponse post =
                RawDerpTestClient.http(server, "POST /derp/probe HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
            assertThat(post.status()).isEqualTo(405);
            assertThat(server.counters().httpResponses()).isEqualTo(5);
        }
    }

    @Test
    void shouldEchoAValidCaptivePortalChallenge() throws Exception {
        try (DerpServer server = TestRelays.startPlain()) {
            final RawDerpTestClient.HttpResponse ok = RawDerpTestClient.http(server,
                "GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: ts_abc-1.2:3\r\n\r\n");
            assertThat(ok.status()).isEqualTo(204);
            assertThat(ok.header("X-Tailscale-Response")).isEqualTo("response ts_abc-1.2:3");
            assertThat(ok.body()).isEmpty();

            final RawDerpTestClient.HttpResponse badChar = RawDerpTestClient.http(server,
                "GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: a b<script>\r\n\r\n");
            assertThat(badChar.status()).isEqualTo(204);
            assertThat(badChar.header("X-Tailscale-Response")).isNull();

            final RawDerpTestClient.HttpResponse tooLong = RawDerpTestClient.http(server,
                "GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: " + "a".repeat(65) + "\r\n\r\n");
            assertThat(tooLong.header("X-Tailscale-Response")).isNull();

            final RawDerpTestClient.HttpResponse longest = RawDerpTestClient.http(server,
                "GET /generate_204 HTTP/1.1\r\nX-Tailscale-Challenge: " + "a".repeat(64) + "\r\n\r\n");
            assertThat(longest.header("X-Tailscale-Response")).isEqualTo("response " + "a".repeat(64));
        }
    }

    @Test
    void shouldRefuseDerpWithoutTheUpgradeWith426() throws Exception {
        try (DerpServer server = TestRelays.startTls()) {
            final RawDerpTestClient.HttpResponse r =
                RawDerpTestClient.http(server, "GET /derp HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(r.status()).isEqualTo(426);
            assertThat(r.body()).isEqualTo("DERP requires connection upgrade\n");
            assertThat(server.counters().currentClients()).isZero();
        }
    }

    @Test
    void shouldServeTheHomePageAndNotFound() throws Exception {
        try (DerpServer server = TestRelays.startPlain()) {
            final RawDerpTestClient.HttpResponse home = RawDerpTestClient.http(server, "GET / HTTP/1.1\r\n\r\n");
            assertThat(home.status()).isEqualTo(200);
            assertThat(home.body()).contains("<h1>DERP</h1>");
            assertThat(home.header("Content-Length")).isEqualTo(Integer.toString(home.body().length()));

            final RawDerpTestClient.HttpResponse missing =
                RawDerpTestClient.http(server, "GET /nope?x=1 HTTP/1.0\r\n\r\n");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.body()).isEqualTo("404 page not found\n");

            final RawDerpTestClient.HttpResponse robots =
                RawDerpTestClient.http(server, "GET /robots.txt HTTP/1.1\r\n\r\n");
            assertThat(robots.body()).isEqualTo("User-agent: *\nDisallow: /\n");
        }
    }

    @Test
    void shouldAcceptTheUpgradeTokenInAnyCaseAndAnAbsoluteTarget() throws Exception {
        // No ClientInfo follows, so the short handshake deadline ends the connection and the read.
        try (DerpServer server = TestRelays.startPlain(b -> b.handshakeTimeout(Duration.ofMillis(200)))) {
            final RawDerpTestClient.HttpResponse r = RawDerpTestClient.http(server,
                "GET http://127.0.0.1/derp HTTP/1.1\r\nupgrade: dErP\r\nconnection: upgrade\r\n\r\n");
            assertThat(r.status()).isEqualTo(101);
            assertThat(r.header("Derp-Public-Key")).isEqualTo(server.serverKey().toHex());
        }
    }
}
