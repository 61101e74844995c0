package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRelayUrl;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.derp.server.DerpServer;
import dev.derphole.derp.server.TestRelays;
import dev.derphole.lanes.StreamConfig;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.token.TestTokens;

/** The joining side's relay connection opened before its session (at process start), then handed over. */
@Timeout(60)
class EarlyRelayTest {
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private DerpServer relay;
    private TransferSetup setup;

    @BeforeEach
    void startRelay() throws Exception {
        relay = TestRelays.startPlain();
        final DerpMap map = DerpRelayUrl.parse(relay.derpUrl() + "?stun=-1").toDerpMap();
        setup = new TransferSetup(map, false, "test relay", DerpNode.HostResolver.SYSTEM, () -> {
            throw new AssertionError("TLS context asked for on an http relay");
        }, StreamConfig.defaults(), CandidatePolicy.STRICT, Clock.systemUTC(), false, false);
    }

    @AfterEach
    void stopRelay() {
        threads.shutdownNow();
        relay.close();
    }

    @Test
    void shouldCarryTheSessionOnTheEarlyConnection() throws Exception {
        final byte[] payload = new byte[256 << 10];
        new SplittableRandom(5).nextBytes(payload);
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE)) {
            final SessionToken token = listener.open();
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final CompletableFuture<Long> receiving = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.receive(received);
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            final EarlyRelay early = EarlyRelay.start(token, () -> setup);
            try (PipeSession pipe = new PipeSession(setup, SessionEvents.NONE, token, setup.map())
                .earlyRelay(early)) {
                assertThat(pipe.send(new ByteArrayInputStream(payload))).isEqualTo(payload.length);
            }
            assertThat(receiving.get(30, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(received.toByteArray()).isEqualTo(payload);
            assertThat(early.take(token.relay())).as("taken by the session").isNull();
            assertThat(relay.counters().clientsRegistered()).as("the listener and the early connection only")
                .isEqualTo(2);
        }
    }

    @Test
    void shouldCloseAConnectionToAnotherRelay() throws Exception {
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE)) {
            final SessionToken token = listener.open();
            final EarlyRelay early = EarlyRelay.start(token, () -> setup);
            awaitClients(2);
            assertThat(early.take(new RelayBootstrap.CustomRelay("http://127.0.0.1:9", 0))).isNull();
            awaitClients(1);
            assertThat(early.take(token.relay())).as("closed, not kept for a later session").isNull();
        }
    }

    @Test
    void shouldReportAnUnreachableRelayWhenTaken() throws Exception {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        final String url = "http://127.0.0.1:" + closedPort;
        final SplittableRandom random = new SplittableRandom(6);
        final SessionToken elsewhere = new SessionToken(EnumSet.of(Capability.STDIO), TestTokens.bytes(random, 16),
            Instant.now().getEpochSecond() + 3600, new RelayBootstrap.CustomRelay(url, 0),
            NodeKey.of(TestTokens.bytes(random, 32)), TestTokens.identity(random), TestTokens.bytes(random, 32));
        final EarlyRelay early = EarlyRelay.start(elsewhere, () -> setup);
        assertThatThrownBy(() -> early.take(elsewhere.relay())).isInstanceOf(RelayUnreachableException.class)
            .hasMessageContaining(String.valueOf(closedPort));
    }

    private void awaitClients(final long count) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (relay.counters().currentClients() != count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(relay.counters().currentClients()).as("clients on the relay").isEqualTo(count);
    }
}
