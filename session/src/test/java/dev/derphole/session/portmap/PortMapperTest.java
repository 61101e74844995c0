package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The facade against loopback fakes: which protocol wins, refresh at half the lifetime, change and loss reports,
 * delete on close, the bound on a first attempt with a silent or absent router, close during an attempt, and the
 * retry schedule that finds a mapping service starting late.
 */
@Timeout(60)
class PortMapperTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int LOCAL_PORT = 41641;
    private static final Duration WAIT = Duration.ofSeconds(5);

    /** What the listener saw: a mapping, or a loss (the lost mapping, wrapped). */
    private record Lost(Mapping mapping) {
    }

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final PortMapper.Listener listener = new PortMapper.Listener() {
        @Override
        public void onMapping(final Mapping mapping) {
            events.add(mapping);
        }

        @Override
        public void onMappingLost(final Mapping lost) {
            events.add(new Lost(lost));
        }
    };
    private FakePxpServer pxp;
    private DatagramSocket silentSsdp;

    @BeforeEach
    void start() throws Exception {
        pxp = new FakePxpServer();
        silentSsdp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
    }

    @AfterEach
    void stop() {
        pxp.close();
        silentSsdp.close();
    }

    private PortMapper.Config config() {
        return config(pxp.port());
    }

    private PortMapper.Config config(final int pxpPort) {
        return PortMapper.Config.of(LOCAL_PORT, LOOPBACK, LOOPBACK).withPxpPort(pxpPort)
            .withSsdpTargets(List.of((InetSocketAddress)silentSsdp.getLocalSocketAddress()))
            .withTiming(PortMapper.DEFAULT_FIRST_ATTEMPT_BUDGET, Duration.ofMillis(200), Duration.ofMinutes(1));
    }

    /** PCP and NAT-PMP stop answering (a router rebooting, or one whose mapping service is not up yet). */
    private void silenceGateway() {
        pxp.pcpMode = FakePxpServer.PcpMode.SILENT;
        pxp.pmpMode = FakePxpServer.PmpMode.SILENT;
    }

    private Object nextEvent() throws InterruptedException {
        final Object e = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(e).as("listener event within %s", WAIT).isNotNull();
        return e;
    }

    @Test
    void shouldMapWithPcpRefreshAtHalfTheLifetimeAndDeleteOnClose() throws Exception {
        pxp.grantedLifetime = 2;
        final long start = System.nanoTime();
        final PortMapper mapper = PortMapper.start(config(), listener);
        try {
            final Mapping m = mapper.awaitFirstAttempt(WAIT).orElseThrow();

            // Mapped by the first request (no retransmission at 250 ms was needed).
            assertThat(pxp.mapRequests(2)).isEqualTo(1);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
            assertThat(m.kind()).isEqualTo(Mapping.Kind.PCP);
            assertThat(m.externalText()).isEqualTo("203.0.113.7:" + LOCAL_PORT);
            assertThat(m.lifetime()).isEqualTo(Duration.ofSeconds(2));
            assertThat(nextEvent()).isEqualTo(m);
            assertThat(mapper.describe()).isEqualTo("portmap=pcp external=203.0.113.7:" + LOCAL_PORT);
            final long deadline = System.nanoTime() + WAIT.toNanos();
            while (pxp.mapRequests(2) < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // Refreshes at 1 s intervals, with the creating nonce and the current mapping as the suggestion.
            assertThat(pxp.mapRequests(2)).isGreaterThanOrEqualTo(3);
            assertThat(pxp.requests).extracting(FakePxpServer.Request::nonce)
                .allSatisfy(n -> assertThat(n).isEqualTo(pxp.requests.getFirst().nonce()));
            assertThat(pxp.requests.getLast().suggestedPort()).isEqualTo(LOCAL_PORT);
            assertThat(events).isEmpty();
            assertThat(mapper.counters().get(PortmapCounters.Name.REFRESHES)).isGreaterThanOrEqualTo(2);
        } finally {
            final long closeStart = System.nanoTime();
            mapper.close();
            assertThat((System.nanoTime() - closeStart) / 1_000_000).isLessThan(1000);
        }
        assertThat(pxp.deletes()).singleElement()
            .satisfies(d -> assertThat(d.nonce()).isEqualTo(pxp.requests.getFirst().nonce()));
        assertThat(pxp.mappings).isEmpty();
        assertThat(mapper.current()).isEmpty();
        assertThat(mapper.counters().get(PortmapCounters.Name.DELETES)).isEqualTo(1);
    }

    @Test
    void shouldFallBackToNatPmpAtOnceWhenPcpIsUnsupported() throws Exception {
        pxp.pcpMode = FakePxpServer.PcpMode.PMP_HEADER_UNSUPPORTED;
        final long start = System.nanoTime();
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping m = mapper.awaitFirstAttempt(WAIT).orElseThrow();

            // NAT-PMP right after the first PCP answer, not after the 500 ms PCP-alone wait.
            assertThat(pxp.mapRequests(2)).isEqualTo(1);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
            assertThat(m.kind()).isEqualTo(Mapping.Kind.NAT_PMP);
            assertThat(mapper.describe()).isEqualTo("portmap=pmp external=203.0.113.7:" + LOCAL_PORT);
        }
        assertThat(pxp.deletes()).singleElement().satisfies(d -> assertThat(d.version()).isZero());
        assertThat(pxp.mappings).isEmpty();
    }

    @Test
    void shouldFallBackToNatPmpWhenPcpIsSilent() throws Exception {
        pxp.pcpMode = FakePxpServer.PcpMode.SILENT;
        final long start = System.nanoTime();
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping m = mapper.awaitFirstAttempt(WAIT).orElseThrow();

            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(450L, 1400L);
            assertThat(m.kind()).isEqualTo(Mapping.Kind.NAT_PMP);
            assertThat(pxp.mapRequests(2)).isEqualTo(2);
        }
    }

    @Test
    void shouldReportAChangedExternalPortAsANewMapping() throws Exception {
        pxp.grantedLifetime = 2;
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping first = (Mapping)nextEvent();
            pxp.forcedExternalPort = 50001;

            final Mapping changed = (Mapping)nextEvent();

            assertThat(first.external().getPort()).isEqualTo(LOCAL_PORT);
            assertThat(changed.kind()).isEqualTo(Mapping.Kind.PCP);
            assertThat(changed.externalText()).isEqualTo("203.0.113.7:50001");
            assertThat(mapper.current()).contains(changed);
            assertThat(mapper.counters().get(PortmapCounters.Name.CHANGES)).isEqualTo(1);
        }
    }

    @Test
    void shouldCheckAtOnceWhenAskedAndAtMostOncePerInterval() throws Exception {
        pxp.grantedLifetime = 3600; // next refresh in half an hour
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping first = (Mapping)nextEvent();
            // The router rebooted and now hands out another port; nobody would notice for 30 minutes.
            pxp.forcedExternalPort = 50002;
            final int before = pxp.requests.size();

            mapper.recheckSoon();
            final Mapping changed = (Mapping)nextEvent();
            mapper.recheckSoon(); // within the interval: no second check
            Thread.sleep(300);

            assertThat(first.external().getPort()).isEqualTo(LOCAL_PORT);
            assertThat(changed.externalText()).isEqualTo("203.0.113.7:50002");
            assertThat(mapper.counters().get(PortmapCounters.Name.RECHECKS)).isEqualTo(1);
            assertThat(pxp.requests.size() - before).as("requests for one check").isEqualTo(1);
            assertThat(events).isEmpty();
        }
    }

    @Test
    void shouldReportALossAndMapAfresh() throws Exception {
        pxp.grantedLifetime = 2;
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping first = (Mapping)nextEvent();
            pxp.refuseRefresh = true;

            assertThat(nextEvent()).isEqualTo(new Lost(first));
            final Mapping again = (Mapping)nextEvent();

            assertThat(again.kind()).isEqualTo(Mapping.Kind.PCP);
            assertThat(mapper.counters().get(PortmapCounters.Name.LOSSES)).isGreaterThanOrEqualTo(1);
            // A fresh attempt uses a fresh nonce.
            final byte[] firstNonce = pxp.requests.getFirst().nonce();
            assertThat(pxp.requests).anySatisfy(r -> assertThat(r.nonce()).isNotEqualTo(firstNonce));
        }
    }

    @Test
    void shouldReportALossWhenTheGatewayFallsSilentUntilExpiry() throws Exception {
        pxp.grantedLifetime = 2;
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping first = (Mapping)nextEvent();
            silenceGateway();

            assertThat(nextEvent()).isEqualTo(new Lost(first));
            final long deadline = System.nanoTime() + WAIT.toNanos();
            while (!mapper.describe().equals("portmap=none") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(mapper.describe()).isEqualTo("portmap=none");
            assertThat(mapper.counters().get(PortmapCounters.Name.REFRESH_FAILURES)).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void shouldNoticeAGatewayRestartFromItsEpochAndKeepTheMapping() throws Exception {
        pxp.grantedLifetime = 2;
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping first = (Mapping)nextEvent();
            pxp.epochOffset = 0;
            pxp.mappings.clear();

            final long deadline = System.nanoTime() + WAIT.toNanos();
            while (mapper.counters().get(PortmapCounters.Name.GATEWAY_RESTARTS) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }

            assertThat(mapper.counters().get(PortmapCounters.Name.GATEWAY_RESTARTS)).isEqualTo(1);
            // The refresh re-created the mapping on the restarted gateway, at the same port: nothing to report.
            assertThat(pxp.mappings).containsKey(LOCAL_PORT);
            assertThat(mapper.current()).contains(first);
            assertThat(events).isEmpty();
        }
    }

    @Test
    void shouldKeepAPermanentUpnpLeaseAndStillDeleteItOnClose() throws Exception {
        pxp.pcpMode = FakePxpServer.PcpMode.REFUSE;
        try (FakeIgd igd = new FakeIgd()) {
            igd.onlyPermanentLeases = true;
            try (PortMapper mapper = PortMapper.start(config().withSsdpTargets(List.of(igd.ssdpAddress())),
                listener)) {
                final Mapping m = mapper.awaitFirstAttempt(WAIT).orElseThrow();

                assertThat(m.kind()).isEqualTo(Mapping.Kind.UPNP);
                assertThat(m.lifetime()).isEqualTo(Duration.ZERO);
                assertThat(igd.mappings).containsEntry(LOCAL_PORT, 0L);
            }
            assertThat(igd.mappings).isEmpty();
        }
    }

    @Test
    void shouldBoundTheFirstAttemptWhenNothingAnswers() throws Exception {
        silenceGateway();
        final long start = System.nanoTime();
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            assertThat(mapper.describe()).isEqualTo("portmap=probing");

            assertThat(mapper.awaitFirstAttempt(WAIT)).isEmpty();

            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(1400L, 2300L);
            assertThat(mapper.firstAttemptDone()).isTrue();
            assertThat(mapper.describe()).isEqualTo("portmap=none");
            assertThat(pxp.mapRequests(2)).isEqualTo(2);
            assertThat(pxp.mapRequests(0)).isEqualTo(2);
            assertThat(events).isEmpty();
        }
    }

    @Test
    void shouldMapWithUpnpWhenNothingListensOnThePcpPort() throws Exception {
        final int closedPort = pxp.port();
        pxp.close();
        try (FakeIgd igd = new FakeIgd()) {
            final long start = System.nanoTime();
            try (PortMapper mapper = PortMapper.start(config(closedPort).withSsdpTargets(List.of(igd.ssdpAddress())),
                listener)) {
                final Mapping m = mapper.awaitFirstAttempt(WAIT).orElseThrow();

                // Faster than the 1 s a silent PCP/NAT-PMP port costs: the ICMP port unreachable ends it at once.
                assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(950);
                assertThat(m.kind()).isEqualTo(Mapping.Kind.UPNP);
                assertThat(m.externalText()).isEqualTo("198.51.100.9:" + LOCAL_PORT);
                assertThat(mapper.describe()).isEqualTo("portmap=upnp external=198.51.100.9:" + LOCAL_PORT);
                assertThat(igd.mappings).containsEntry(LOCAL_PORT, PortMapper.DEFAULT_LIFETIME_SECONDS);
            }
            assertThat(igd.calls("DeletePortMapping")).singleElement()
                .satisfies(c -> assertThat(c.args()).containsEntry("NewExternalPort", Integer.toString(LOCAL_PORT)));
            assertThat(igd.mappings).isEmpty();
        }
    }

    @Test
    void shouldTryAnotherExternalPortWhenUpnpReportsAConflict() throws Exception {
        pxp.pcpMode = FakePxpServer.PcpMode.REFUSE;
        try (FakeIgd igd = new FakeIgd()) {
            igd.conflictPorts = Set.of(LOCAL_PORT);
            try (PortMapper mapper = PortMapper.start(config().withSsdpTargets(List.of(igd.ssdpAddress())),
                listener)) {
                final Mapping m = mapper.awaitFirstAttempt(WAIT).orElseThrow();

                assertThat(m.kind()).isEqualTo(Mapping.Kind.UPNP);
                assertThat(m.external().getPort()).isNotEqualTo(LOCAL_PORT).isBetween(1024, 65535);
                assertThat(igd.calls("AddPortMapping")).hasSize(2);
            }
            assertThat(igd.mappings).isEmpty();
        }
    }

    @Test
    void shouldUseOnlyTheConfiguredProtocols() throws Exception {
        try (FakeIgd igd = new FakeIgd();
             PortMapper mapper = PortMapper.start(config().withSsdpTargets(List.of(igd.ssdpAddress()))
                 .withProtocols(Set.of(Mapping.Kind.UPNP)), listener)) {
            assertThat(mapper.awaitFirstAttempt(WAIT).orElseThrow().kind()).isEqualTo(Mapping.Kind.UPNP);
            assertThat(pxp.requests).isEmpty();
        }
    }

    @Test
    void shouldStopQuicklyWhenClosedDuringTheFirstAttempt() throws Exception {
        silenceGateway();
        final PortMapper mapper = PortMapper.start(config(), listener);
        Thread.sleep(100);
        final long start = System.nanoTime();

        mapper.close();

        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
        assertThat(mapper.firstAttemptDone()).isTrue();
        assertThat(mapper.current()).isEmpty();
        assertThat(events).isEmpty();
        final int seen = pxp.requests.size();
        Thread.sleep(300);
        assertThat(pxp.requests).hasSize(seen);
    }

    @Test
    void shouldRetryQuicklyAtFirstThenEvery30SecondsThenAtTheLongInterval() {
        final PortMapper.Config defaults = PortMapper.Config.of(LOCAL_PORT, LOOPBACK, LOOPBACK);
        final long early = Duration.ofSeconds(5).toNanos();
        final long[] waits = new long[7];
        for (int failed = 1; failed <= waits.length; failed++) {
            waits[failed - 1] = PortMapper.retryDelayNs(defaults, failed, early) / 1_000_000_000L;
        }

        // A session running now finds a late mapping service within seconds; a long-lived one keeps asking.
        assertThat(waits).containsExactly(2, 4, 8, 16, 30, 30, 30);
        assertThat(PortMapper.retryDelayNs(defaults, 40, Duration.ofMinutes(9).toNanos()))
            .isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(PortMapper.retryDelayNs(defaults, 30, Duration.ofMinutes(10).toNanos()))
            .isEqualTo(PortMapper.DEFAULT_RETRY_INTERVAL.toNanos());
        assertThat(PortMapper.retryDelayNs(defaults, Integer.MAX_VALUE, 0)).isEqualTo(Duration.ofSeconds(30).toNanos());
        // The long interval also caps the quick schedule, and a huge initial wait does not overflow.
        final PortMapper.Config tight = defaults.withTiming(PortMapper.DEFAULT_FIRST_ATTEMPT_BUDGET,
            PortMapper.DEFAULT_MIN_REFRESH, Duration.ofSeconds(5));
        assertThat(PortMapper.retryDelayNs(tight, 3, 0)).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(PortMapper.retryDelayNs(defaults.withRetryInitial(Duration.ofDays(100_000)), 31, 0))
            .isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @Test
    void shouldFindAMappingServiceThatStartsAfterTheFirstAttempt() throws Exception {
        // The router's mapping service is not up yet: PCP/NAT-PMP silent, no UPnP.
        silenceGateway();
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            assertThat(mapper.awaitFirstAttempt(WAIT)).isEmpty();
            final long failedAt = System.nanoTime();
            pxp.pcpMode = FakePxpServer.PcpMode.ANSWER;
            pxp.pmpMode = FakePxpServer.PmpMode.ANSWER;

            // Reported like any mapping (the session's cue for a candidate update), at the 2 s retry, not minutes.
            final Mapping late = (Mapping)nextEvent();

            assertThat((System.nanoTime() - failedAt) / 1_000_000).isBetween(1_900L, 3_500L);
            assertThat(late.kind()).isEqualTo(Mapping.Kind.PCP);
            assertThat(late.externalText()).isEqualTo("203.0.113.7:" + LOCAL_PORT);
            assertThat(mapper.current()).contains(late);
            assertThat(mapper.counters().get(PortmapCounters.Name.MAPPINGS_CREATED)).isEqualTo(1);
        }
        assertThat(pxp.deletes()).hasSize(1);
        assertThat(pxp.mappings).isEmpty();
    }

    @Test
    void shouldRestartTheQuickScheduleAfterALoss() throws Exception {
        pxp.grantedLifetime = 2;
        try (PortMapper mapper = PortMapper.start(config(), listener)) {
            final Mapping first = (Mapping)nextEvent();
            // The router reboots: silent until the mapping expires, then back.
            silenceGateway();
            assertThat(nextEvent()).isEqualTo(new Lost(first));
            final long lostAt = System.nanoTime();
            // The loss's own fresh attempt (up to 1.5 s) still meets silence; the retry 2 s after it does not.
            Thread.sleep(PortMapper.DEFAULT_FIRST_ATTEMPT_BUDGET.toMillis() + 200);
            pxp.pcpMode = FakePxpServer.PcpMode.ANSWER;
            pxp.pmpMode = FakePxpServer.PmpMode.ANSWER;

            final Mapping again = (Mapping)nextEvent();

            assertThat((System.nanoTime() - lostAt) / 1_000_000).isBetween(3_000L, 5_000L);
            assertThat(again.kind()).isEqualTo(Mapping.Kind.PCP);
            assertThat(mapper.current()).contains(again);
        }
    }

    @Test
    void shouldCountAThrowingListenerAndCarryOn() throws Exception {
        final PortMapper.Listener throwing = new PortMapper.Listener() {
            @Override
            public void onMapping(final Mapping mapping) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onMappingLost(final Mapping lost) {
                throw new IllegalStateException("listener bug");
            }
        };
        try (PortMapper mapper = PortMapper.start(config(), throwing)) {
            assertThat(mapper.awaitFirstAttempt(WAIT)).isPresent();
            assertThat(mapper.counters().get(PortmapCounters.Name.LISTENER_ERRORS)).isEqualTo(1);
            assertThat(mapper.counters().get(PortmapCounters.Name.WORKER_ERRORS)).isZero();
        }
        assertThat(pxp.deletes()).hasSize(1);
    }
}
