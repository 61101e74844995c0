package dev.derphole.derp.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DerpRelayUrlTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        http://127.0.0.1:3340 | true | 127.0.0.1 | 3340 | 3478
        http://127.0.0.1:3340/derp | true | 127.0.0.1 | 3340 | 3478
        http://127.0.0.1:3340/derp/ | true | 127.0.0.1 | 3340 | 3478
        http://127.0.0.1:3340/ | true | 127.0.0.1 | 3340 | 3478
        http://relay.local | true | relay.local | 80 | 3478
        https://derp.example.com | false | derp.example.com | 443 | 3478
        HTTPS://derp.example.com:8443/derp | false | derp.example.com | 8443 | 3478
        https://[::1]:8443/derp | false | ::1 | 8443 | 3478
        http://[2001:db8::1]:80 | true | 2001:db8::1 | 80 | 3478
        http://127.0.0.1:3340/derp?stun=3479 | true | 127.0.0.1 | 3340 | 3479
        http://127.0.0.1:3340?stun=-1 | true | 127.0.0.1 | 3340 | -1
          https://d.example/derp | false | d.example | 443 | 3478
        """)
    void shouldParseAcceptedForms(final String url, final boolean plain, final String host, final int port,
                                  final int stunPort) throws DerpMapException {
        assertThat(DerpRelayUrl.parse(url)).isEqualTo(new DerpRelayUrl(plain, host, port, stunPort));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        127.0.0.1:3340 | has no scheme; did you mean https://127.0.0.1:3340 or http://127.0.0.1:3340?
        derp.example.com | has no scheme
        '' | is empty
        ftp://h:21 | must start with https:// or http://
        http://user@h:1 | must not contain user info
        http://:3340 | has no valid host
        http://h:3340/other | only /derp is allowed
        http://h:3340/derp#stun=1 | must not have a fragment
        http://h:3340/derp?port=1 | the only query parameter allowed is stun=PORT
        http://h:3340/derp?stun= | stun must be a port
        http://h:3340/derp?stun=0 | stun must be a port 1..65535 or -1, got 0
        http://h:3340/derp?stun=65536 | stun must be a port
        http://h:3340/derp?stun=12&x=1 | stun must be a port
        http://h:0 | relay port must be 1..65535
        http://h h:1 | is not a valid URL
        """)
    void shouldRejectOtherFormsWithAHint(final String url, final String message) {
        assertThatThrownBy(() -> DerpRelayUrl.parse(url))
            .isInstanceOf(DerpMapException.class)
            .hasMessageContaining(message);
    }

    @Test
    void shouldBuildAOneRegionMapForAPlainHttpRelay() throws DerpMapException {
        final DerpMap map = DerpRelayUrl.parse("http://127.0.0.1:3340/derp?stun=3479").toDerpMap();

        assertThat(map.regions().keySet()).containsExactly(900);
        final DerpRegion region = map.region(900).orElseThrow();
        assertThat(region.regionCode()).isEqualTo("custom");
        final DerpNode node = region.firstDerpNode().orElseThrow();
        assertThat(node.name()).isEqualTo("900a");
        assertThat(node.plainHttp()).isTrue();
        assertThat(node.scheme()).isEqualTo("http");
        assertThat(node.hostName()).isEqualTo("127.0.0.1");
        assertThat(node.ipv4()).isEqualTo("127.0.0.1");
        assertThat(node.ipv6()).isEqualTo("none");
        assertThat(node.effectiveDerpPort()).isEqualTo(3340);
        assertThat(node.effectiveStunPort()).isEqualTo(3479);
        assertThat(node.derpUrl()).isEqualTo(URI.create("http://127.0.0.1:3340/derp"));
    }

    @Test
    void shouldBuildAnHttpsNodeWithDefaultsForADnsName() throws DerpMapException {
        final DerpNode node = DerpRelayUrl.parse("https://derp.example.com").toDerpMap().lowestDerpRegion()
            .firstDerpNode().orElseThrow();
        assertThat(node.plainHttp()).isFalse();
        assertThat(node.derpPort()).isZero();
        assertThat(node.stunPort()).isZero();
        assertThat(node.ipv4()).isEmpty();
        assertThat(node.derpUrl()).isEqualTo(URI.create("https://derp.example.com/derp"));
        assertThat(node.tlsServerName()).isEqualTo("derp.example.com");
    }

    @Test
    void shouldUseAnIpv6LiteralWithoutDns() throws DerpMapException {
        final DerpNode node = DerpRelayUrl.parse("https://[::1]:8443?stun=-1").toDerpMap().lowestDerpRegion()
            .firstDerpNode().orElseThrow();
        assertThat(node.ipv4()).isEqualTo("none");
        assertThat(node.ipv6()).isEqualTo("::1");
        assertThat(node.stunEnabled()).isFalse();
        assertThat(node.derpUrl()).isEqualTo(URI.create("https://[::1]:8443/derp"));
    }

    @Test
    void shouldPrintACanonicalFormThatParsesBack() throws DerpMapException {
        for (final String url : new String[] {"http://h:3340/derp?stun=1", "https://[::1]:443/derp",
            "https://d.example:8443/derp?stun=-1"}) {
            final DerpRelayUrl relay = DerpRelayUrl.parse(url);
            assertThat(relay.toString()).isEqualTo(url);
            assertThat(DerpRelayUrl.parse(relay.toString())).isEqualTo(relay);
        }
        assertThat(DerpRelayUrl.parse("https://d.example").toString()).isEqualTo("https://d.example:443/derp");
    }
}
