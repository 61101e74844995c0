package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.testing.Fuzz;

@Timeout(60)
class HttpRequestHeadTest {
    @Test
    void shouldParseARequestAndLeaveTheBytesAfterIt() throws IOException {
        final InputStream in = stream(
            "\r\nGET /derp?x=1 HTTP/1.1\r\nHost: a\r\nUPGRADE:  DERP \r\nHost: b\r\n\r\nFRAME");
        final HttpRequestHead head = HttpRequestHead.read(in);
        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.path()).isEqualTo("/derp");
        assertThat(head.version()).isEqualTo("HTTP/1.1");
        assertThat(head.header("upgrade")).isEqualTo("DERP");
        assertThat(head.header("Host")).isEqualTo("a");
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("FRAME");
    }

    @Test
    void shouldAcceptBareLineFeedsAndAbsoluteTargets() throws IOException {
        final HttpRequestHead head = HttpRequestHead.read(stream("HEAD https://h:1/derp/probe HTTP/1.0\nA: b\n\n"));
        assertThat(head.method()).isEqualTo("HEAD");
        assertThat(head.path()).isEqualTo("/derp/probe");
        assertThat(head.header("a")).isEqualTo("b");
    }

    @Test
    void shouldRejectMalformedHeads() {
        for (final String bad : new String[] {
            "GET /\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "GET nopath HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nA: \u0001\r\n\r\n"}) {
            assertThatThrownBy(() -> HttpRequestHead.read(stream(bad)))
                .as(bad).isInstanceOf(HttpRequestHead.BadRequestException.class);
        }
    }

    @Test
    void shouldEnforceSizeAndHeaderCountLimits() {
        final String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(HttpRequestHead.MAX_HEAD_BYTES) + "\r\n\r\n";
        assertThatThrownBy(() -> HttpRequestHead.read(stream(big))).hasMessageContaining("larger than");
        final String many = "GET / HTTP/1.1\r\n" + "A: b\r\n".repeat(HttpRequestHead.MAX_HEADERS + 1) + "\r\n";
        assertThatThrownBy(() -> HttpRequestHead.read(stream(many))).hasMessageContaining("too many");
        assertThatThrownBy(() -> HttpRequestHead.read(stream("GET / HTTP/1.1\r\nA: b\r\n")))
            .isInstanceOf(EOFException.class);
    }

    @Test
    void shouldOnlyEverThrowIOExceptionOnMutatedInput() {
        final byte[] valid = "GET /derp HTTP/1.1\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
        Fuzz.forAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, valid, 2000), input -> {
            try {
                HttpRequestHead.read(new ByteArrayInputStream(input));
            } catch (final IOException expected) {
                // Malformed or truncated: fine.
            }
        });
    }

    private static InputStream stream(final String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
