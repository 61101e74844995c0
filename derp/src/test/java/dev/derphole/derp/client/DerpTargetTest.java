package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DerpTargetTest {
    @Test
    void shouldParseDerpUrls() throws Exception {
        final DerpTarget a = DerpTarget.parse("https://derp1.tailscale.com/derp");
        assertThat(a.https()).isTrue();
        assertThat(a.port()).isEqualTo(443);
        assertThat(a.serverName()).isEqualTo("derp1.tailscale.com");
        assertThat(a.hostHeader()).isEqualTo("derp1.tailscale.com");
        assertThat(a).hasToString("https://derp1.tailscale.com/derp");

        final DerpTarget b = DerpTarget.parse("http://127.0.0.1:3340");
        assertThat(b.https()).isFalse();
        assertThat(b.hostHeader()).isEqualTo("127.0.0.1:3340");
        assertThat(b.label()).isEqualTo("127.0.0.1:3340");

        final DerpTarget c = DerpTarget.parse("HTTPS://[2001:db8::1]:8443/");
        assertThat(c.host()).isEqualTo("2001:db8::1");
        assertThat(c.hostHeader()).isEqualTo("[2001:db8::1]:8443");

        final DerpTarget d = DerpTarget.https("derp.example").withServerName("cert.example")
            .withDialAddresses(List.of(InetAddress.ofLiteral("192.0.2.1")));
        assertThat(d.serverName()).isEqualTo("cert.example");
        assertThat(d.hostHeader()).isEqualTo("derp.example");
        assertThat(d.dialAddresses()).hasSize(1);
    }

    @Test
    void shouldRejectWhatIsNotADerpUrl() {
        for (final String bad : List.of("ftp://x/derp", "https://x/other", "https://user@x/derp", "https://x/derp?a=b",
            "derp.example", "https://", "https://x:99999/derp", "http://[::1")) {
            assertThatThrownBy(() -> DerpTarget.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
