package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
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
import dev.derphole.derp.server.DerpServer;
import dev.derphole.derp.server.TestRelays;
import dev.derphole.lanes.StreamConfig;
import dev.derphole.session.rendezvous.CandidatePolicy;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.SessionToken;

/**
 * send/receive sessions in one JVM over a real relay on loopback: the issuer sends, the claimer receives (the
 * reverse of listen/pipe), on the relay and promoted to a direct path between loopback sockets.
 */
@Timeout(120)
class OfferSessionTest {
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private DerpServer relay;
    private DerpMap map;

    @BeforeEach
    void startRelay() throws Exception {
        relay = TestRelays.startPlain();
        map = DerpRelayUrl.parse(relay.derpUrl() + "?stun=-1").toDerpMap();
    }

    @AfterEach
    void stopRelay() {
        threads.shutdownNow();
        relay.close();
    }

    private TransferSetup setup(final boolean direct) {
        return new TransferSetup(map, false, "test relay", DerpNode.HostResolver.SYSTEM, () -> {
            throw new AssertionError("TLS context asked for on an http relay");
        }, StreamConfig.defaults(), direct ? CandidatePolicy.ALLOW_LOOPBACK : CandidatePolicy.STRICT,
            Clock.systemUTC(), direct, false);
    }

    @Test
    void shouldDeliverTheOfferToTheClaimerOnTheRelay() throws Exception {
        final byte[] payload = random(8 << 20, 11);
        final List<String> senderEvents = new CopyOnWriteArrayList<>();
        final List<String> receiverEvents = new CopyOnWriteArrayList<>();
        final TransferSetup setup = setup(false);
        try (OfferSession offer = new OfferSession(setup, senderEvents::add)) {
            final SessionToken token = offer.open();
            assertThat(token.capabilityBits()).isEqualTo(Capability.OFFER.bit());
            final CompletableFuture<Long> sending = sending(offer, new ByteArrayInputStream(payload));
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            try (ReceiveSession receive = new ReceiveSession(setup, receiverEvents::add, token, setup.map())) {
                assertThat(receive.receive(received)).isEqualTo(payload.length);
            }
            assertThat(sending.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(received.toByteArray()).isEqualTo(payload);
        }
        assertThat(senderEvents).containsSubsequence("waiting-for-claim", "claimed", "connected-relay",
            "stream-complete").doesNotContain("connected-direct");
        assertThat(receiverEvents).containsSubsequence("claimed", "connected-relay", "stream-complete");
    }

    @Test
    void shouldPromoteTheOfferToADirectPath() throws Exception {
        final byte[] payload = random(64 << 20, 12);
        final List<String> senderEvents = new CopyOnWriteArrayList<>();
        final List<String> receiverEvents = new CopyOnWriteArrayList<>();
        final TransferSetup setup = setup(true);
        try (OfferSession offer = new OfferSession(setup, senderEvents::add)) {
            final SessionToken token = offer.open();
            final CompletableFuture<Long> sending = sending(offer, new ByteArrayInputStream(payload));
            final ByteArrayOutputStream received = new ByteArrayOutputStream(payload.length);
            try (ReceiveSession receive = new ReceiveSession(setup, receiverEvents::add, token, setup.map())) {
                assertThat(receive.receive(received)).isEqualTo(payload.length);
            }
            assertThat(sending.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(received.toByteArray()).isEqualTo(payload);
        }
        // The sender moved its stream: packets went out on the direct path, not only the relay.
        assertThat(senderEvents).containsSubsequence("connected-relay", "connected-direct", "stream-complete");
        assertThat(receiverEvents).contains("connected-direct");
        final String stats = senderEvents.stream().filter(e -> e.startsWith("direct-stats")).findFirst().orElseThrow();
        assertThat(stats).doesNotContain("udp-sent=0 ");
    }

    @Test
    void shouldReceiveOnTheConnectionStartedBeforeTheSession() throws Exception {
        final byte[] payload = random(1 << 20, 13);
        final TransferSetup setup = setup(false);
        try (OfferSession offer = new OfferSession(setup, SessionEvents.NONE)) {
            final SessionToken token = offer.open();
            final CompletableFuture<Long> sending = sending(offer, new ByteArrayInputStream(payload));
            final EarlyRelay early = EarlyRelay.start(token, () -> setup);
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            try (ReceiveSession receive = new ReceiveSession(setup, SessionEvents.NONE, token, setup.map())
                .earlyRelay(early)) {
                assertThat(receive.receive(received)).isEqualTo(payload.length);
            }
            assertThat(sending.get(60, TimeUnit.SECONDS)).isEqualTo(payload.length);
            assertThat(received.toByteArray()).isEqualTo(payload);
            assertThat(early.take(token.relay())).as("taken by the session").isNull();
            assertThat(relay.counters().clientsRegistered()).as("the sender and the early connection only")
                .isEqualTo(2);
        }
    }

    @Test
    void shouldFailTheSenderWhenTheReceiverAborts() throws Exception {
        final TransferSetup setup = setup(false);
        try (OfferSession offer = new OfferSession(setup, SessionEvents.NONE)) {
            final SessionToken token = offer.open();
            final CompletableFuture<Long> sending = sending(offer, new EndlessSource());
            try (ReceiveSession receive = new ReceiveSession(setup, SessionEvents.NONE, token, setup.map())) {
                final OutputStreamAfter sink = new OutputStreamAfter(1 << 20, () -> receive.abort("interrupted"));
                assertThatThrownBy(() -> receive.receive(sink)).isInstanceOf(TransferException.class);
            }
            assertThatThrownBy(() -> sending.get(60, TimeUnit.SECONDS)).hasRootCauseInstanceOf(
                dev.derphole.lanes.StreamException.class).hasMessageContaining("interrupted");
        }
    }

    private CompletableFuture<Long> sending(final OfferSession offer, final InputStream source) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return offer.send(source);
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        }, threads);
    }

    private static byte[] random(final int length, final long seed) {
        final byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    /** Zeros without end: only an abort ends a transfer from it. */
    private static final class EndlessSource extends InputStream {
        @Override
        public int read() {
            return 0;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) {
            java.util.Arrays.fill(b, off, off + len, (byte)0);
            return len;
        }
    }

    /** Counts what it is given and runs an action once past a threshold. */
    private static final class OutputStreamAfter extends java.io.OutputStream {
        private final long threshold;
        private final Runnable action;
        private long written;

        OutputStreamAfter(final long threshold, final Runnable action) {
            this.threshold = threshold;
            this.action = action;
        }

        @Override
        public void write(final int b) throws IOException {
            write(new byte[] {(byte)b}, 0, 1);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) {
            final boolean crossing = written < threshold && written + len >= threshold;
            written += len;
            if (crossing) {
                action.run();
            }
        }
    }
}
