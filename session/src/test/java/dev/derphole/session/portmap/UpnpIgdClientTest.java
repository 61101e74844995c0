package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UPnP IGD against a loopback fake (unicast SSDP responder + HTTP server): discovery, the SOAP calls and their
 * arguments, the permanent-lease retry, URL resolution and the only-the-gateway rule.
 */
@Timeout(30)
class UpnpIgdClientTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration BUDGET = Duration.ofSeconds(2);

    private final PortmapCounters counters = new PortmapCounters();
    private FakeIgd igd;
    private UpnpIgdClient client;

    @BeforeEach
    void start() throws Exception {
        igd = new FakeIgd();
        client = new UpnpIgdClient(LOOPBACK, LOOPBACK, List.of(igd.ssdpAddress()), counters);
    }

    @AfterEach
    void stop() {
        client.close();
        igd.close();
    }

    @Test
    void shouldDiscoverTheWanIpConnectionAndItsControlUrl() throws InterruptedException {
        final List<UpnpIgdClient.Service> services = client.discover(BUDGET);

        assertThat(services).singleElement().satisfies(s -> {
            assertThat(s.serviceType()).isEqualTo(FakeIgd.WAN_IP_1);
            assertThat(s.controlAddress()).isEqualTo(new InetSocketAddress(LOOPBACK, igd.httpPort()));
            assertThat(s.controlPath()).isEqualTo("/ctl/IPConn");
        });
        assertThat(igd.awaitSearches(3)).hasSize(3).allSatisfy(m -> assertThat(m).contains("MAN: \"ssdp:discover\""));
        assertThat(igd.searches).anySatisfy(m -> assertThat(m).contains(
            "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"));
        assertThat(igd.searches).anySatisfy(m -> assertThat(m).contains("ST: " + FakeIgd.WAN_IP_2 + "\r\n"));
        assertThat(counters.get(PortmapCounters.Name.SSDP_RESPONSES)).isEqualTo(1);
    }

    @Test
    void shouldAddAUdpMappingToOurLanAddressAndDeleteIt() {
        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();

        final MapResult r = client.map(service, 41641, 41641, 7200, BUDGET);

        final Mapping m = ((MapResult.Mapped)r).mapping();
        assertThat(m.kind()).isEqualTo(Mapping.Kind.UPNP);
        assertThat(m.externalText()).isEqualTo("198.51.100.9:41641");
        assertThat(m.lifetime()).isEqualTo(Duration.ofSeconds(7200));
        final FakeIgd.Call add = igd.calls("AddPortMapping").getFirst();
        assertThat(add.soapAction()).isEqualTo("\"" + FakeIgd.WAN_IP_1 + "#AddPortMapping\"");
        assertThat(add.path()).isEqualTo("/ctl/IPConn");
        assertThat(add.args()).containsExactly(
            java.util.Map.entry("NewRemoteHost", ""), java.util.Map.entry("NewExternalPort", "41641"),
            java.util.Map.entry("NewProtocol", "UDP"), java.util.Map.entry("NewInternalPort", "41641"),
            java.util.Map.entry("NewInternalClient", "127.0.0.1"), java.util.Map.entry("NewEnabled", "1"),
            java.util.Map.entry("NewPortMappingDescription", "derphole"),
            java.util.Map.entry("NewLeaseDuration", "7200"));
        assertThat(igd.mappings).containsEntry(41641, 7200L);

        assertThat(client.delete(service, 41641, BUDGET)).isTrue();
        assertThat(igd.mappings).isEmpty();
        assertThat(igd.calls("DeletePortMapping").getFirst().args()).containsEntry("NewProtocol", "UDP")
            .containsEntry("NewExternalPort", "41641").containsEntry("NewRemoteHost", "");
        assertThat(client.delete(service, 41641, BUDGET)).isFalse();
    }

    @Test
    void shouldRetryWithAPermanentLeaseWhenTheRouterOnlyTakesThose() {
        igd.onlyPermanentLeases = true;
        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();

        final MapResult r = client.map(service, 41641, 41641, 7200, BUDGET);

        assertThat(((MapResult.Mapped)r).mapping().lifetime()).isEqualTo(Duration.ZERO);
        assertThat(igd.calls("AddPortMapping")).extracting(c -> c.args().get("NewLeaseDuration"))
            .containsExactly("7200", "0");
        assertThat(igd.mappings).containsEntry(41641, 0L);
        assertThat(counters.get(PortmapCounters.Name.SOAP_FAULTS)).isEqualTo(1);
    }

    @Test
    void shouldReportARefusalWithItsUpnpErrorCode() {
        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();
        igd.conflictPorts = Set.of(41641);

        assertThat(client.map(service, 41641, 41641, 7200, BUDGET))
            .isEqualTo(new MapResult.Failed(MapResult.Failure.REFUSED, 718));
        igd.refuseAllWith = 606;
        assertThat(client.map(service, 41642, 41641, 7200, BUDGET))
            .isEqualTo(new MapResult.Failed(MapResult.Failure.REFUSED, 606));
    }

    @Test
    void shouldReportAnEmptyExternalAddressLikeMiniupnpdWithAPrivateWan() {
        igd.externalIp = "";
        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();

        assertThat(client.map(service, 41641, 41641, 7200, BUDGET))
            .isEqualTo(MapResult.Failed.of(MapResult.Failure.NO_EXTERNAL_ADDRESS));
        assertThat(client.externalAddress(service, BUDGET)).isEmpty();
        assertThat(igd.calls("AddPortMapping")).isEmpty();
    }

    @Test
    void shouldResolveARelativeControlUrlAgainstTheLocation() {
        igd.descriptionPath = "/dev/rootDesc.xml";
        igd.controlUrl = "ctl/IPConn";

        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();

        assertThat(service.controlPath()).isEqualTo("/dev/ctl/IPConn");
        assertThat(client.map(service, 41641, 41641, 7200, BUDGET).isMapped()).isTrue();
        assertThat(igd.calls("AddPortMapping").getFirst().path()).isEqualTo("/dev/ctl/IPConn");
    }

    @Test
    void shouldResolveAgainstUrlBaseWhenPresent() {
        igd.urlBase = "http://127.0.0.1:" + igd.httpPort();
        igd.descriptionPath = "/dev/rootDesc.xml";
        igd.controlUrl = "upnp/control/WANIPConn1";

        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();

        assertThat(service.controlPath()).isEqualTo("/upnp/control/WANIPConn1");
    }

    @Test
    void shouldPreferWanIpConnection2AndAlsoFindWanPppConnection() {
        igd.serviceType = FakeIgd.WAN_PPP_1;
        igd.extraDescriptionServices = "<service><serviceType>" + FakeIgd.WAN_IP_2
            + "</serviceType><controlURL>/ctl/IPConn2</controlURL></service>";

        final List<UpnpIgdClient.Service> services = client.discover(BUDGET);

        assertThat(services).extracting(UpnpIgdClient.Service::serviceType)
            .containsExactly(FakeIgd.WAN_IP_2, FakeIgd.WAN_PPP_1);
    }

    @Test
    void shouldMapThroughAWanPppConnection() {
        igd.serviceType = FakeIgd.WAN_PPP_1;
        final UpnpIgdClient.Service service = client.discover(BUDGET).getFirst();

        assertThat(client.map(service, 41641, 41641, 7200, BUDGET).isMapped()).isTrue();
        assertThat(igd.calls("AddPortMapping").getFirst().soapAction()).contains("WANPPPConnection:1#AddPortMapping");
    }

    @Test
    void shouldReadAChunkedDescription() {
        igd.chunkedDescription = true;

        assertThat(client.discover(BUDGET)).hasSize(1);
    }

    @Test
    void shouldPointALocationOnAnotherHostBackAtTheGateway() {
        igd.locationHost = "10.9.9.9";

        final List<UpnpIgdClient.Service> services = client.discover(BUDGET);

        assertThat(services).singleElement()
            .satisfies(s -> assertThat(s.controlAddress().getAddress()).isEqualTo(LOOPBACK));
        assertThat(igd.descriptionPaths).containsExactly("/rootDesc.xml");
        assertThat(counters.get(PortmapCounters.Name.URLS_REPOINTED)).isEqualTo(1);
    }

    @Test
    void shouldRejectALocationThatIsNotHttp() {
        igd.locationScheme = "https";

        assertThat(client.discover(BUDGET)).isEmpty();
        assertThat(igd.descriptionPaths).isEmpty();
        assertThat(counters.get(PortmapCounters.Name.URLS_REJECTED)).isEqualTo(1);
    }

    @Test
    void shouldIgnoreSsdpAnswersFromAnAddressOtherThanTheGateway() throws Exception {
        try (FakeIgd other = new FakeIgd(InetAddress.getByName("127.0.0.2"));
             UpnpIgdClient c = new UpnpIgdClient(LOOPBACK, LOOPBACK, List.of(other.ssdpAddress()), counters)) {
            final long start = System.nanoTime();

            assertThat(c.discover(Duration.ofMillis(500))).isEmpty();

            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(450L, 1500L);
            assertThat(counters.get(PortmapCounters.Name.SSDP_FOREIGN)).isEqualTo(6);
            assertThat(other.descriptionPaths).isEmpty();
        }
    }

    @Test
    void shouldGiveUpWithinTheBudgetWhenNothingAnswers() {
        igd.ssdpSilent = true;
        final long start = System.nanoTime();

        assertThat(client.discover(Duration.ofMillis(700))).isEmpty();

        assertThat((System.nanoTime() - start) / 1_000_000).isBetween(650L, 1600L);
        // Two rounds of three searches: at 0 and 300 ms.
        assertThat(igd.searches).hasSize(6);
    }

    @Test
    void shouldResolveUrlsOnlyToTheGateway() {
        assertThat(client.resolve(null, "http://127.0.0.1:5000/rootDesc.xml"))
            .isEqualTo(new UpnpIgdClient.Endpoint(new InetSocketAddress(LOOPBACK, 5000), "/rootDesc.xml"));
        assertThat(client.resolve(null, "HTTP://router.lan/desc?x=1"))
            .isEqualTo(new UpnpIgdClient.Endpoint(new InetSocketAddress(LOOPBACK, 80), "/desc?x=1"));
        assertThat(client.resolve("http://127.0.0.1:5000", "ctl"))
            .isEqualTo(new UpnpIgdClient.Endpoint(new InetSocketAddress(LOOPBACK, 5000), "/ctl"));
        assertThat(client.resolve("http://127.0.0.1:5000/a/b.xml", "http://192.0.2.99:6000/c"))
            .isEqualTo(new UpnpIgdClient.Endpoint(new InetSocketAddress(LOOPBACK, 6000), "/c"));
        assertThat(client.resolve(null, "ctl/IPConn")).isNull();
        assertThat(client.resolve(null, "file:///etc/passwd")).isNull();
        assertThat(client.resolve(null, "http://127.0.0.1:0/x")).isNull();
        assertThat(client.resolve(null, "http://127.0.0.1/a b")).isNull();
        assertThat(client.resolve(null, "http://127.0.0.1/a%0d%0aHost:%20x")).isNotNull();
        assertThat(client.resolve(null, "http://127.0.0.1/a\r\nX: y")).isNull();
    }
}
