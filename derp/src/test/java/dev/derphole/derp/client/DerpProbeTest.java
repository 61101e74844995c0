package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.Handshake;

@Timeout(60)
class DerpProbeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<String> paths = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (final AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** A relay answering {@code status} to {@code /derp/latency-check} and 200 to {@code /derp/probe}. */
    private ScriptedDerpServer httpRelay(final String latencyCheckStatus, final SSLContext tls) throws IOException {
        final ScriptedDerpServer s = new ScriptedDerpServer(conn -> {
            final String head = conn.readRequest();
            final String path = head.substring(4, head.indexOf(' ', 4));
            paths.add(path);
            final String status = path.equals(DerpProbe.LATENCY_PATH) ? latencyCheckStatus : "200 OK";
            conn.writeRaw("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }, tls);
        toClose.add(s);
        return s;
    }

    @Test
    void shouldTimeTheLatencyCheck() throws Exception {
        final ScriptedDerpServer relay = httpRelay("200 OK", null);
        final Duration rtt = DerpProbe.latencyCheck(relay.target(), TIMEOUT);
        assertThat(rtt).isPositive().isLessThan(TIMEOUT);
        assertThat(paths).containsExactly("/derp/latency-check");
    }

    @Test
    void shouldFallBackToDerpProbeOn404() throws Exception {
        final ScriptedDerpServer relay = httpRelay("404 Not Found", null);
        assertThat(DerpProbe.latencyCheck(relay.target(), TIMEOUT)).isPositive();
        assertThat(paths).containsExactly("/derp/latency-check", "/derp/probe");
    }

    @Test
    void shouldFailOnOtherStatuses() throws Exception {
        final ScriptedDerpServer relay = httpRelay("403 Forbidden", null);
        assertThatThrownBy(() -> DerpProbe.latencyCheck(relay.target(), TIMEOUT))
            .isInstanceOf(IOException.class)
            .hasMessage("DERP relay 127.0.0.1:" + relay.port() + " answered 403 Forbidden to its latency check");
    }

    @Test
    void shouldTimeTheLatencyCheckOverTls() throws Exception {
        final ScriptedDerpServer relay = httpRelay("200 OK", TestCertificates.serverContext("server.p12", true));
        assertThat(DerpProbe.latencyCheck(relay.tlsTarget(), TIMEOUT, TestCertificates.clientContext())).isPositive();
    }

    @Test
    void shouldGiveUpOnASilentRelayWithinTheTimeout() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final ScriptedDerpServer relay = new ScriptedDerpServer(conn -> {
            conn.readRequest();
            release.await(10, TimeUnit.SECONDS);
        });
        toClose.add(relay);
        final long startNs = System.nanoTime();
        assertThatThrownBy(() -> DerpProbe.latencyCheck(relay.target(), Duration.ofMillis(300)))
            .isInstanceOf(SocketTimeoutException.class)
            .hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(3));
        release.countDown();
    }

    @Test
    void shouldTimeAFullHandshake() throws Exception {
        final ScriptedDerpServer relay = new ScriptedDerpServer(conn -> {
            conn.accept();
            conn.readFrame();
        });
        toClose.add(relay);
        final Duration took = DerpProbe.handshakeCheck(relay.target(), TIMEOUT);
        assertThat(took).isPositive().isLessThan(TIMEOUT);
        final ScriptedDerpServer.Conn conn = relay.nextConnection(TIMEOUT);
        assertThat(conn).isNotNull();
        assertThat(conn.clientInfoJson).contains("\"version\":2");
    }

    @Test
    void shouldFailTheHandshakeCheckOnANonDerpServer() throws Exception {
        final ScriptedDerpServer relay = new ScriptedDerpServer(conn -> {
            conn.readRequest();
            conn.answer101();
            final byte[] payload = Handshake.serverKeyPayload(conn.serverKey());
            payload[7] = 0;
            conn.sendFrame(FrameType.SERVER_KEY, payload);
            conn.readFrame();
        });
        toClose.add(relay);
        assertThatThrownBy(() -> DerpProbe.handshakeCheck(relay.target(), TIMEOUT))
            .isInstanceOf(DerpProtocolException.class)
            .hasMessageContaining("bad DERP magic");
    }
}
