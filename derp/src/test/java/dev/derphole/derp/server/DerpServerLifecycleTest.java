package dev.derphole.derp.server;

import static dev.derphole.derp.server.DerpServerHandshakeTest.awaitCounter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DerpServerLifecycleTest {
    @Test
    void shouldRefuseASecondServerOnTheSamePortWithAClearMessage() throws Exception {
        try (DerpServer first = TestRelays.startPlain()) {
            final int port = first.localAddress().getPort();
            final DerpServer second = new DerpServer(DerpServerConfig.builder().listen("127.0.0.1:" + port).build());
            assertThatThrownBy(second::start)
                .isInstanceOf(BindException.class)
                .hasMessage("address 127.0.0.1:" + port + " already in use");
            second.close();
        }
    }

    @Test
    void shouldCloseEveryConnectionPromptlyAndIdempotently() throws Exception {
        final DerpServer server = TestRelays.startPlain(b -> b.writeTimeout(Duration.ofSeconds(60)));
        final List<RawDerpTestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                clients.add(RawDerpTestClient.connect(server));
            }
            awaitCounter(() -> server.counters().currentClients(), 20);
            final long startNs = System.nanoTime();
            server.close();
            assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(5));
            for (final RawDerpTestClient c : clients) {
                assertThat(c.awaitClosed(Duration.ofSeconds(5))).isTrue();
            }
            assertThat(server.counters().currentClients()).isZero();
            server.close();
        } finally {
            clients.forEach(RawDerpTestClient::close);
            server.close();
        }
    }

    @Test
    void shouldParseListenAddresses() {
        assertThat(DerpServerConfig.parseHostPort("127.0.0.1:3340").getPort()).isEqualTo(3340);
        assertThat(DerpServerConfig.parseHostPort("[::1]:0").getAddress().getHostAddress())
            .isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(DerpServerConfig.parseHostPort(":443").getAddress().isAnyLocalAddress()).isTrue();
        assertThatThrownBy(() -> DerpServerConfig.parseHostPort("::1:80")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> DerpServerConfig.parseHostPort("localhost")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> DerpServerConfig.parseHostPort("a:99999")).hasMessageContaining("range");
    }

    @Test
    void shouldRejectBadSettings() {
        assertThatThrownBy(() -> DerpServerConfig.builder().queueDepth(0).build())
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queueDepth");
        assertThatThrownBy(() -> DerpServerConfig.builder().handshakeTimeout(Duration.ZERO).build())
            .hasMessageContaining("handshakeTimeout");
        assertThatThrownBy(() -> DerpServerConfig.builder().rateLimit(-1, 0).build())
            .hasMessageContaining("rate limit");
        assertThat(DerpServerConfig.builder().build().queueDepth()).isEqualTo(32);
        assertThat(DerpServerConfig.builder().rateLimit(0, 5).build().rateLimitBurstBytes()).isZero();
    }
}
