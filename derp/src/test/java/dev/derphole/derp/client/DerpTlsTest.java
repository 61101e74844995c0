package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DerpTlsTest {
    @Test
    void shouldPrepareTheOneDefaultContextInTheBackground() throws Exception {
        final Thread prepare = DerpTls.prepareInBackground();
        assertThat(prepare.getName()).isEqualTo("derphole-tls-prepare");
        assertThat(prepare.isDaemon()).as("never keeps the process alive").isTrue();
        assertThat(prepare.join(Duration.ofSeconds(30))).isTrue();
        final SSLContext context = DerpTls.defaultContext();
        assertThat(context.getProtocol()).isEqualTo("TLS");
        assertThat(DerpTls.defaultContext()).as("built once, shared by every connection").isSameAs(context);
        assertThat(DerpTls.prepareInBackground().join(Duration.ofSeconds(30))).isTrue();
        assertThat(DerpTls.defaultContext()).isSameAs(context);
    }
}
