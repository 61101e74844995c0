package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.proto.DerpProtocolException;
import dev.derphole.testing.Fuzz;

@Timeout(30)
class HttpHeadTest {
    private static InputStream stream(final String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void shouldReadA101HeadAndLeaveTheFramesInTheStream() throws IOException {
        final InputStream in = stream("HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n"
            + "Derp-Version: 2\r\n\r\n\u0001\u0000");
        final HttpHead.Response r = HttpHead.read(in);
        assertThat(r.status()).isEqualTo(101);
        assertThat(r.statusText()).isEqualTo("101 Switching Protocols");
        assertThat(r.headers()).containsEntry("upgrade", "DERP").containsEntry("derp-version", "2");
        assertThat(in.read()).isEqualTo(1);
        assertThat(in.read()).isEqualTo(0);
    }

    @Test
    void shouldAcceptBareLineFeedsAndAStatusWithoutReason() throws IOException {
        final HttpHead.Response r = HttpHead.read(stream("HTTP/1.0 404\nX: y\n\n"));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.statusText()).isEqualTo("404");
    }

    @Test
    void shouldRejectNonHttpAnswersWithAPrintableExcerpt() {
        assertThatThrownBy(() -> HttpHead.read(stream("\u0015\u0003\u0003\u0000\u0002\u0002\u0028\r\n\r\n")))
            .isInstanceOf(DerpProtocolException.class)
            .hasMessageStartingWith("relay did not answer HTTP/1.1: \"");
        assertThatThrownBy(() -> HttpHead.read(stream("SSH-2.0-OpenSSH_9.6\r\n\r\n")))
            .isInstanceOf(DerpProtocolException.class)
            .hasMessage("relay did not answer HTTP/1.1: \"SSH-2.0-OpenSSH_9.6\"");
    }

    @Test
    void shouldStopAtTheSizeLimit() {
        final String huge = "HTTP/1.1 200 OK\r\nX: " + "a".repeat(HttpHead.MAX_HEAD_BYTES) + "\r\n\r\n";
        assertThatThrownBy(() -> HttpHead.read(stream(huge)))
            .isInstanceOf(DerpProtocolException.class)
            .hasMessageContaining("exceeds 16384 bytes");
    }

    @Test
    void shouldReportAnEarlyEnd() {
        assertThatThrownBy(() -> HttpHead.read(stream("")))
            .isInstanceOf(EOFException.class)
            .hasMessage("relay closed the connection without an HTTP answer");
        assertThatThrownBy(() -> HttpHead.read(stream("HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\n")))
            .isInstanceOf(EOFException.class)
            .hasMessageContaining("inside its HTTP answer (HTTP/1.1 101 Switching Protocols)");
    }

    @Test
    void shouldWriteTheUpgradeRequestTailscaleSends() {
        final DerpTarget target = DerpTarget.parse("https://derp1.example.net/derp");
        assertThat(new String(HttpHead.upgradeRequest(target), StandardCharsets.US_ASCII)).isEqualTo(
            "GET /derp HTTP/1.1\r\nHost: derp1.example.net\r\nUser-Agent: derphole-java\r\n"
                + "Connection: Upgrade\r\nUpgrade: DERP\r\n\r\n");
        assertThat(new String(HttpHead.getRequest(DerpTarget.parse("http://[::1]:8080"), "/derp/probe"),
            StandardCharsets.US_ASCII)).startsWith("GET /derp/probe HTTP/1.1\r\nHost: [::1]:8080\r\n")
            .contains("Connection: close\r\n");
    }

    @Test
    void shouldOnlyThrowIOExceptionsOnGarbage() {
        final byte[] valid = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);
        final List<byte[]> inputs = new java.util.ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 300, 300));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid, 300));
        inputs.addAll(Fuzz.truncations(valid));
        Fuzz.forAll(inputs, input -> {
            try {
                final HttpHead.Response r = HttpHead.read(new ByteArrayInputStream(input));
                assertThat(r.status()).isBetween(0, 999);
            } catch (final IOException expected) {
                // Any IOException (protocol, EOF) is a clean rejection.
            }
        });
    }
}
