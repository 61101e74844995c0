package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PCP MAP against a loopback fake: request layout, nonce rules, unsupported versions, refusal, delete. */
@Timeout(30)
class PcpClientTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration BUDGET = Duration.ofSeconds(1);

    private final PortmapCounters counters = new PortmapCounters();
    private FakePxpServer server;
    private PcpClient client;

    @BeforeEach
    void start() throws Exception {
        server = new FakePxpServer();
        client = new PcpClient(server.address(), LOOPBACK, counters);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void shouldSendAVersion2UdpMapWithOurAddressIpv4MappedAndAFreshNonce() {
        final byte[] nonce = PcpClient.newNonce();

        final MapResult r = client.map(nonce, 41641, null, 7200, BUDGET);

        final Mapping m = ((MapResult.Mapped)r).mapping();
        assertThat(m.kind()).isEqualTo(Mapping.Kind.PCP);
        assertThat(m.externalText()).isEqualTo("203.0.113.7:41641");
        assertThat(m.lifetime()).isEqualTo(Duration.ofSeconds(7200));
        final FakePxpServer.Request req = server.requests.getFirst();
        assertThat(req.version()).isEqualTo(2);
        assertThat(req.protocol()).isEqualTo(17);
        assertThat(req.nonce()).isEqualTo(nonce);
        assertThat(req.lifetime()).isEqualTo(7200);
        assertThat(HexFormat.of().formatHex(req.clientAddress())).isEqualTo("00000000000000000000ffff7f000001");
        assertThat(HexFormat.of().formatHex(req.suggestedExternal())).isEqualTo("00000000000000000000ffff00000000");
        assertThat(req.suggestedPort()).isZero();
        assertThat(PcpClient.newNonce()).isNotEqualTo(nonce).hasSize(12);
    }

    @Test
    void shouldReuseTheNonceAndSuggestTheCurrentMappingOnRefresh() throws Exception {
        final byte[] nonce = PcpClient.newNonce();
        final Mapping first = ((MapResult.Mapped)client.map(nonce, 41641, null, 7200, BUDGET)).mapping();
        server.grantedLifetime = 120;

        final MapResult r = client.map(nonce, 41641, first.external(), 7200, BUDGET);

        assertThat(((MapResult.Mapped)r).mapping().lifetime()).isEqualTo(Duration.ofSeconds(120));
        final FakePxpServer.Request req = server.requests.getLast();
        assertThat(req.nonce()).isEqualTo(nonce);
        assertThat(req.suggestedPort()).isEqualTo(41641);
        assertThat(HexFormat.of().formatHex(req.suggestedExternal())).isEqualTo("00000000000000000000ffffcb007107");
    }

    @Test
    void shouldIgnoreAResponseWithAnotherNonceAndAMalformedOne() {
        server.noiseFirst = true;

        final MapResult r = client.map(PcpClient.newNonce(), 41641, null, 7200, BUDGET);

        assertThat(((MapResult.Mapped)r).mapping().external().getPort()).isEqualTo(41641);
        assertThat(counters.get(PortmapCounters.Name.PXP_MISMATCHED)).isEqualTo(1);
        assertThat(counters.get(PortmapCounters.Name.PXP_MALFORMED)).isEqualTo(1);
    }

    @Test
    void shouldReportUnsupportedVersionFromANatPmpOnlyGateway() {
        server.pcpMode = FakePxpServer.PcpMode.PMP_HEADER_UNSUPPORTED;

        assertThat(client.map(PcpClient.newNonce(), 41641, null, 7200, BUDGET))
            .isEqualTo(new MapResult.Failed(MapResult.Failure.UNSUPPORTED_VERSION, 1));
    }

    @Test
    void shouldReportUnsupportedVersionFromAnotherPcpVersion() {
        server.pcpMode = FakePxpServer.PcpMode.PCP_UNSUPP_VERSION;

        assertThat(client.map(PcpClient.newNonce(), 41641, null, 7200, BUDGET))
            .isEqualTo(new MapResult.Failed(MapResult.Failure.UNSUPPORTED_VERSION, 1));
    }

    @Test
    void shouldReportNotAuthorized() {
        server.pcpMode = FakePxpServer.PcpMode.REFUSE;

        assertThat(client.map(PcpClient.newNonce(), 41641, null, 7200, BUDGET))
            .isEqualTo(new MapResult.Failed(MapResult.Failure.REFUSED, 2));
    }

    @Test
    void shouldDeleteOnlyWithTheCreatingNonce() {
        final byte[] nonce = PcpClient.newNonce();
        client.map(nonce, 41641, null, 7200, BUDGET);

        assertThat(client.delete(PcpClient.newNonce(), 41641, BUDGET)).isFalse();
        assertThat(server.mappings).containsKey(41641);
        assertThat(client.delete(nonce, 41641, BUDGET)).isTrue();
        assertThat(server.mappings).isEmpty();
        assertThat(server.deletes()).hasSize(2).allSatisfy(d -> assertThat(d.lifetime()).isZero());
    }

    @Test
    void shouldTimeOutWithinTheBudgetWhenSilent() {
        server.pcpMode = FakePxpServer.PcpMode.SILENT;
        final long start = System.nanoTime();

        final MapResult r = client.map(PcpClient.newNonce(), 41641, new InetSocketAddress(LOOPBACK, 1), 7200,
            Duration.ofMillis(500));

        assertThat(r).isEqualTo(MapResult.Failed.of(MapResult.Failure.NO_RESPONSE));
        assertThat((System.nanoTime() - start) / 1_000_000).isBetween(450L, 1500L);
        assertThat(server.mapRequests(2)).isEqualTo(2);
    }
}
