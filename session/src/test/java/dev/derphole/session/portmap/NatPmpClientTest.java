package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** NAT-PMP against a loopback fake: map, refresh, delete, refusals, silence, a closed port, noise, abort. */
@Timeout(30)
class NatPmpClientTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration BUDGET = Duration.ofSeconds(1);

    private final PortmapCounters counters = new PortmapCounters();
    private FakePxpServer server;
    private NatPmpClient client;

    @BeforeEach
    void start() throws Exception {
        server = new FakePxpServer();
        client = new NatPmpClient(server.address(), LOOPBACK, counters);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void shouldMapAndReportExternalAddressPortAndLifetime() {
        final MapResult r = client.map(41641, 0, 7200, BUDGET);

        assertThat(r).isInstanceOf(MapResult.Mapped.class);
        final MapResult.Mapped m = (MapResult.Mapped)r;
        assertThat(m.mapping().kind()).isEqualTo(Mapping.Kind.NAT_PMP);
        assertThat(m.mapping().externalText()).isEqualTo("203.0.113.7:41641");
        assertThat(m.mapping().lifetime()).isEqualTo(Duration.ofSeconds(7200));
        assertThat(m.epochSeconds()).isGreaterThanOrEqualTo(1000);
        assertThat(m.mapping().describe()).isEqualTo("portmap=pmp external=203.0.113.7:41641");
        assertThat(server.mapRequests(0, 7200)).isEqualTo(1);
        assertThat(server.requests.getFirst().opcode()).isZero();
        assertThat(counters.get(PortmapCounters.Name.PXP_RESPONSES)).isEqualTo(2);
    }

    @Test
    void shouldSuggestThePreviousPortOnRefreshAndSeeAChangedOne() {
        server.forcedExternalPort = 50000;
        final MapResult first = client.map(41641, 0, 7200, BUDGET);
        server.forcedExternalPort = 50001;
        server.grantedLifetime = 600;
        final MapResult second = client.map(41641, 50000, 7200, BUDGET);

        assertThat(((MapResult.Mapped)first).mapping().external().getPort()).isEqualTo(50000);
        final Mapping m = ((MapResult.Mapped)second).mapping();
        assertThat(m.external().getPort()).isEqualTo(50001);
        assertThat(m.lifetime()).isEqualTo(Duration.ofSeconds(600));
        assertThat(server.requests.getLast().suggestedPort()).isEqualTo(50000);
    }

    @Test
    void shouldNotTakeALateAnswerToTheLastRequestForTheAnswerToThisOne() {
        server.answerTwice = true; // the second copy stands for the answer to a retransmission
        server.forcedExternalPort = 50000;
        final MapResult first = client.map(41641, 0, 7200, BUDGET);
        server.forcedExternalPort = 50001;
        final MapResult second = client.map(41641, 50000, 7200, BUDGET);

        assertThat(((MapResult.Mapped)first).mapping().external().getPort()).isEqualTo(50000);
        assertThat(((MapResult.Mapped)second).mapping().external().getPort()).isEqualTo(50001);
        assertThat(counters.get(PortmapCounters.Name.PXP_STALE)).isPositive();
    }

    @Test
    void shouldDeleteWithZeroLifetimeAndZeroSuggestedPort() {
        client.map(41641, 0, 7200, BUDGET);

        assertThat(client.delete(41641, BUDGET)).isTrue();
        assertThat(server.deletes()).singleElement().satisfies(d -> {
            assertThat(d.internalPort()).isEqualTo(41641);
            assertThat(d.suggestedPort()).isZero();
        });
        assertThat(server.mappings).isEmpty();
    }

    @Test
    void shouldReportRefusalWithResultCode() {
        server.pmpMode = FakePxpServer.PmpMode.REFUSE;

        assertThat(client.map(41641, 0, 7200, BUDGET)).isEqualTo(new MapResult.Failed(MapResult.Failure.REFUSED, 2));
    }

    @Test
    void shouldReportMissingExternalAddressLikeMiniupnpdWithAPrivateWan() {
        server.pmpMode = FakePxpServer.PmpMode.NO_EXTERNAL;

        assertThat(client.map(41641, 0, 7200, BUDGET))
            .isEqualTo(new MapResult.Failed(MapResult.Failure.NO_EXTERNAL_ADDRESS, 3));
        assertThat(client.externalAddress(BUDGET)).isEmpty();
    }

    @Test
    void shouldReturnTheExternalAddressAlone() {
        assertThat(client.externalAddress(BUDGET)).map(InetAddress::getHostAddress)
            .isEqualTo(Optional.of("203.0.113.7"));
    }

    @Test
    void shouldRejectAnUnusableExternalAddress() {
        server.externalAddress = new byte[4];

        assertThat(client.map(41641, 0, 7200, BUDGET))
            .isEqualTo(MapResult.Failed.of(MapResult.Failure.NO_EXTERNAL_ADDRESS));
    }

    @Test
    void shouldRetransmitAt250MsDoublingAndGiveUpWithinTheBudgetWhenSilent() {
        server.pmpMode = FakePxpServer.PmpMode.SILENT;
        final long start = System.nanoTime();

        final MapResult r = client.map(41641, 0, 7200, BUDGET);

        final long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r).isEqualTo(MapResult.Failed.of(MapResult.Failure.NO_RESPONSE));
        assertThat(ms).isBetween(950L, 2000L);
        // Sent at 0, 250 and 750 ms; the next would be at 1750.
        assertThat(server.mapRequests(0, 7200)).isEqualTo(3);
    }

    @Test
    void shouldFailFastWhenNothingListensOnTheGatewayPort() throws Exception {
        final int closedPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            closedPort = s.getLocalPort();
        }
        try (NatPmpClient c = new NatPmpClient(new InetSocketAddress(LOOPBACK, closedPort), LOOPBACK, counters)) {
            final long start = System.nanoTime();

            final MapResult r = c.map(41641, 0, 7200, BUDGET);

            assertThat(r).isEqualTo(MapResult.Failed.of(MapResult.Failure.PORT_UNREACHABLE));
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(500);
        }
    }

    @Test
    void shouldIgnoreMalformedAndMismatchedResponsesBeforeTheRealOne() {
        server.noiseFirst = true;

        final MapResult r = client.map(41641, 0, 7200, BUDGET);

        assertThat(((MapResult.Mapped)r).mapping().externalText()).isEqualTo("203.0.113.7:41641");
        assertThat(counters.get(PortmapCounters.Name.PXP_MALFORMED)).isEqualTo(1);
        assertThat(counters.get(PortmapCounters.Name.PXP_MISMATCHED)).isEqualTo(1);
    }

    @Test
    void shouldAbortWhenClosedFromAnotherThread() throws Exception {
        server.pmpMode = FakePxpServer.PmpMode.SILENT;
        final Thread closer = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(100);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            client.close();
        });
        final long start = System.nanoTime();

        final MapResult r = client.map(41641, 0, 7200, Duration.ofSeconds(5));

        closer.join();
        assertThat(r).isEqualTo(MapResult.Failed.of(MapResult.Failure.ABORTED));
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
    }
}
