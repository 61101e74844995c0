package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DerpNodeTest {
    private static final DerpNode.HostResolver NO_DNS = host -> {
        throw new UnknownHostException("no DNS in tests: " + host);
    };

    private static DerpNode node(final String host, final String ipv4, final String ipv6, final int stunPort,
                                 final int derpPort, final boolean plainHttp) {
        return new DerpNode("n", 1, host, "", ipv4, ipv6, stunPort, false, derpPort, false, "", false, plainHttp);
    }

    @Test
    void shouldBuildTheDerpUrlLikeTailscale() {
        assertThat(DerpNode.of("1a", 1, "derp1.tailscale.com").derpUrl())
            .isEqualTo(URI.create("https://derp1.tailscale.com/derp"));
        assertThat(node("d.example", "", "", 0, 443, false).derpUrl()).isEqualTo(URI.create("https://d.example/derp"));
        assertThat(node("d.example", "", "", 0, 8443, false).derpUrl())
            .isEqualTo(URI.create("https://d.example:8443/derp"));
        assertThat(node("::1", "", "", 0, 8443, false).derpUrl()).isEqualTo(URI.create("https://[::1]:8443/derp"));
        assertThat(node("127.0.0.1", "", "", 0, 3340, true).derpUrl())
            .isEqualTo(URI.create("http://127.0.0.1:3340/derp"));
        assertThat(node("h", "", "", 0, 0, true).derpUrl()).isEqualTo(URI.create("http://h/derp"));
        assertThat(node("h", "", "", 0, 0, true).effectiveDerpPort()).isEqualTo(80);
        assertThat(node("h", "", "", 0, 0, false).effectiveDerpPort()).isEqualTo(443);
        assertThat(node("h", "", "", 0, 0, false).scheme()).isEqualTo("https");
        assertThat(node("h", "", "", 0, 0, true).scheme()).isEqualTo("http");
    }

    @Test
    void shouldKeepHttpsForInsecureForTestsNodes() {
        final DerpNode insecure = new DerpNode("n", 1, "h", "", "", "", 0, false, 0, true, "", false, false);
        assertThat(insecure.scheme()).isEqualTo("https");
        assertThat(insecure.verifyTls()).isFalse();
        assertThat(DerpNode.of("n", 1, "h").verifyTls()).isTrue();
    }

    @Test
    void shouldNameTheCertificateByCertNameElseHostName() {
        assertThat(DerpNode.of("n", 1, "h.example").tlsServerName()).isEqualTo("h.example");
        final DerpNode withCert = new DerpNode("n", 1, "1.2.3.4", "derp.example", "", "", 0, false, 0, false, "", false,
            false);
        assertThat(withCert.tlsServerName()).isEqualTo("derp.example");
        assertThat(withCert.certSha256Pin()).isEmpty();
        final DerpNode pinned = new DerpNode("n", 1, "1.2.3.4", "sha256-raw:ABCDEF", "", "", 0, false, 0, false, "",
            false, false);
        assertThat(pinned.certSha256Pin()).contains("abcdef");
    }

    @Test
    void shouldApplyStunPortDefaults() {
        assertThat(node("h", "", "", 0, 0, false).effectiveStunPort()).isEqualTo(3478);
        assertThat(node("h", "", "", 0, 0, false).stunEnabled()).isTrue();
        assertThat(node("h", "", "", 3479, 0, false).effectiveStunPort()).isEqualTo(3479);
        assertThat(node("h", "", "", -1, 0, false).stunEnabled()).isFalse();
        assertThat(node("h", "", "", -1, 0, false).effectiveStunPort()).isEqualTo(-1);
    }

    @Test
    void shouldDialLiteralAddressesWithoutDns() throws UnknownHostException {
        final DerpNode both = node("derp.example", "192.0.2.1", "2001:db8::1", 0, 0, false);
        assertThat(both.dialAddresses(NO_DNS)).containsExactly(
            InetAddress.ofLiteral("192.0.2.1"), InetAddress.ofLiteral("2001:db8::1"));
        assertThat(both.ipv4Address()).contains((java.net.Inet4Address) InetAddress.ofLiteral("192.0.2.1"));
        assertThat(both.ipv6Address()).isPresent();
    }

    @Test
    void shouldUseDnsOnlyForFamiliesWithAnEmptyField() throws UnknownHostException {
        final AtomicInteger lookups = new AtomicInteger();
        final DerpNode.HostResolver dns = host -> {
            lookups.incrementAndGet();
            return new InetAddress[] {InetAddress.ofLiteral("198.51.100.7"), InetAddress.ofLiteral("2001:db8::7")};
        };

        assertThat(node("d.example", "", "", 0, 0, false).dialAddresses(dns)).containsExactly(
            InetAddress.ofLiteral("198.51.100.7"), InetAddress.ofLiteral("2001:db8::7"));
        assertThat(node("d.example", "192.0.2.1", "", 0, 0, false).dialAddresses(dns)).containsExactly(
            InetAddress.ofLiteral("192.0.2.1"), InetAddress.ofLiteral("2001:db8::7"));
        assertThat(node("d.example", "", "none", 0, 0, false).dialAddresses(dns))
            .containsExactly(InetAddress.ofLiteral("198.51.100.7"));
        final int before = lookups.get();
        assertThat(node("d.example", "192.0.2.1", "none", 0, 0, false).dialAddresses(dns))
            .containsExactly(InetAddress.ofLiteral("192.0.2.1"));
        assertThat(lookups.get()).isEqualTo(before);
    }

    @Test
    void shouldKeepLiteralsWhenDnsFailsAndFailWhenNothingIsLeft() throws UnknownHostException {
        assertThat(node("d.example", "192.0.2.1", "", 0, 0, false).dialAddresses(NO_DNS))
            .containsExactly(InetAddress.ofLiteral("192.0.2.1"));
        assertThatThrownBy(() -> node("d.example", "", "", 0, 0, false).dialAddresses(NO_DNS))
            .isInstanceOf(UnknownHostException.class);
        assertThatThrownBy(() -> node("d.example", "none", "none", 0, 0, false).dialAddresses(NO_DNS))
            .isInstanceOf(UnknownHostException.class)
            .hasMessageContaining("no usable address");
    }

    @Test
    void shouldTreatNonLiteralFamilyFieldsAsDisabledLikeGo() {
        assertThat(node("h", "none", "none", 0, 0, false).dialsIpv4()).isFalse();
        assertThat(node("h", "127.1", "", 0, 0, false).dialsIpv4()).isFalse();
        assertThat(node("h", "01.2.3.4", "", 0, 0, false).ipv4Address()).isEmpty();
        assertThat(node("h", "2001:db8::1", "1.2.3.4", 0, 0, false).dialsIpv4()).isFalse();
        assertThat(node("h", "", "1.2.3.4", 0, 0, false).dialsIpv6()).isFalse();
        assertThat(node("h", "", "fe80::1%1", 0, 0, false).dialsIpv6()).isFalse();
        assertThat(node("h", "", "", 0, 0, false).dialsIpv4()).isTrue();
    }

    @Test
    void shouldDeriveStunAddresses() throws UnknownHostException {
        assertThat(node("h", "192.0.2.1", "none", 0, 0, false).stunAddresses(NO_DNS))
            .containsExactly(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 3478));
        assertThat(node("h", "192.0.2.1", "none", -1, 0, false).stunAddresses(NO_DNS)).isEmpty();
        final DerpNode testIp = new DerpNode("n", 1, "h", "", "", "", 4000, false, 0, false, "127.0.0.1", false, false);
        assertThat(testIp.stunHost()).isEqualTo("127.0.0.1");
        assertThat(DerpNode.of("n", 1, "h").stunHost()).isEqualTo("h");
        assertThat(testIp.stunAddresses(NO_DNS))
            .containsExactly(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 4000));
    }

    @Test
    void shouldRejectBadHostNames() {
        for (final String bad : List.of("", "a b", "[::1]", "h/x", "h:1", "x".repeat(254), "::1%lo")) {
            assertThatThrownBy(() -> DerpNode.of("n", 1, bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(DerpNode.of("n", 1, "::1").hostName()).isEqualTo("::1");
        assertThat(DerpNode.of("n", 1, "my_host.local").hostName()).isEqualTo("my_host.local");
    }
}
