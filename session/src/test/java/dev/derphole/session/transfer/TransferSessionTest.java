package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
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

import dev.derphole.derp.client.DerpClient;
import dev.derphole.derp.client.DerpClientConfig;
import dev.derphole.derp.client.DerpTarget;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRelayUrl;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.derp.server.DerpServer;
import dev.derphole.derp.server.TestRelays;
import dev.derphole.lanes.StreamConfig;
import dev.derphole.lanes.wire.CodecWarmup;
import dev.derphole.session.relay.RelayUnreachableException;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;
import dev.derphole.session.token.TestTokens;

/**
 * listen/pipe sessions in one JVM over a real relay on loopback: the layer below the CLI. Also the joining side's
 * relay connection opened before its session ({@link EarlyRelay}, as {@code pipe TOKEN} does at process start).
 */
@Timeout(120)
class TransferSessionTest {
    /** Blocking sessions need threads of their own; the common pool has one on 2 cores. */
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private DerpServer relay;
    private TransferSetup setup;

    @BeforeEach
    void startRelay() throws Exception {
        relay = TestRelays.startPlain();
        final DerpMap map = DerpRelayUrl.parse(relay.derpUrl() + "?stun=-1").toDerpMap();
        // A plain-http relay must never build the TLS context: it costs ~0.1 s of every transfer's start.
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
    void shouldDeliverAStreamAndRefuseASecondClaimer() throws Exception {
        final byte[] payload = new byte[8 << 20];
        new SplittableRandom(3).nextBytes(payload);
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE)) {
            final SessionToken token = listener.open();
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final CompletableFuture<Long> receiving = receiving(listener, received);
            final SlowSource source = new SlowSource(payload);
            final CompletableFuture<Long> sending = CompletableFuture.supplyAsync(() -> send(token, source), threads);

            // While the first claimer is mid-stream, a second one is turned away.
            source.awaitHalf();
            try (PipeSession second = new PipeSession(setup, SessionEvents.NONE, token, setup.map())) {
                assertThatThrownBy(() -> second.send(new ByteArrayInputStream(new byte[1])))
                    .isInstanceOf(TransferException.class).hasMessageContaining("session already claimed");
            }
            source.release();
            assertThat(sending.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(receiving.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(received.toByteArray()).isEqualTo(payload);
        }
    }

    /** The token is shown once the listener is ready: warm-up and receiver build done, or the settle time spent. */
    @Test
    void shouldIssueTheTokenOnceTheListenerIsReady() throws Exception {
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE)) {
            final long start = System.nanoTime();
            listener.open();
            final long tookMs = (System.nanoTime() - start) / 1_000_000;
            if (tookMs < ListenSession.SETTLE_MS) {
                assertThat(CodecWarmup.startInBackground().isAlive()).as("crypto warm-up still running").isFalse();
                assertThat(listener.receiverReady()).as("receiver built").isTrue();
            } else {
                assertThat(tookMs).as("bounded by the settle time").isLessThan(ListenSession.SETTLE_MS + 10_000);
            }
        }
    }

    @Test
    void shouldIgnoreStreamPacketsFromStrangers() throws Exception {
        final byte[] payload = new byte[2 << 20];
        new SplittableRandom(4).nextBytes(payload);
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE);
            DerpClient stranger = new DerpClient(DerpClientConfig.builder(DerpTarget.parse(relay.derpUrl())).build())) {
            final SessionToken token = listener.open();
            stranger.connect();
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final CompletableFuture<Long> receiving = receiving(listener, received);
            final CompletableFuture<Long> sending = CompletableFuture.supplyAsync(() ->
                send(token, new ByteArrayInputStream(payload)), threads);
            // Garbage in the stream range from a key that is not the claimer's.
            final byte[] junk = new byte[1200];
            for (int i = 0; i < 200; i++) {
                junk[0] = (byte)(0x10 + i % 0x30);
                stranger.send(token.derpPublicKey(), junk, 0, junk.length);
            }
            assertThat(sending.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(receiving.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(received.toByteArray()).isEqualTo(payload);
        }
    }

    @Test
    void shouldTimeOutAClaimNobodyAnswers() throws Exception {
        final SessionToken token;
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE)) {
            token = listener.open();
        }
        // The listener is gone: the claim is never answered. (ClaimDriver's own tests cover the 30 s default.)
        try (PipeSession pipe = new PipeSession(setup, SessionEvents.NONE, token, setup.map())) {
            final long startNs = System.nanoTime();
            assertThatThrownBy(() -> pipe.send(new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(TransferException.class).hasMessageContaining("no answer from the listener");
            assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(45));
        }
    }

    @Test
    void shouldCarryTheSessionOnTheEarlyConnection() throws Exception {
        final byte[] payload = new byte[256 << 10];
        new SplittableRandom(5).nextBytes(payload);
        try (ListenSession listener = new ListenSession(setup, SessionEvents.NONE)) {
            final SessionToken token = listener.open();
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final CompletableFuture<Long> receiving = receiving(listener, received);
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

    private CompletableFuture<Long> receiving(final ListenSession listener, final ByteArrayOutputStream received) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return listener.receive(received);
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        }, threads);
    }

    private long send(final SessionToken token, final InputStream source) {
        try (PipeSession pipe = new PipeSession(setup, SessionEvents.NONE, token, setup.map())) {
            return pipe.send(source);
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves half the payload, then waits until released, so a test can act mid-stream. */
    private static final class SlowSource extends InputStream {
        private final byte[] data;
        private final CompletableFuture<Void> half = new CompletableFuture<>();
        private final CompletableFuture<Void> released = new CompletableFuture<>();
        private int position;

        SlowSource(final byte[] data) {
            this.data = data;
        }

        void awaitHalf() throws Exception {
            half.get(60, TimeUnit.SECONDS);
        }

        void release() {
            released.complete(null);
        }

        @Override
        public int read() {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) {
            if (position >= data.length / 2 && !released.isDone()) {
                half.complete(null);
                released.join();
            }
            if (position >= data.length) {
                return -1;
            }
            final int n = Math.min(len, data.length - position);
            System.arraycopy(data, position, b, off, n);
            position += n;
            return n;
        }
    }
}
