package dev.derphole.derp.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StunClientTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static StunServer server() throws IOException {
        final StunServer server = new StunServer(new InetSocketAddress(Loopback.V4, 0));
        server.start();
        return server;
    }

    @Test
    void shouldWorkOverACallersNonBlockingChannelAndLeaveItOpen() throws Exception {
        try (StunServer server = server(); DatagramChannel ch = Loopback.channel(Loopback.V4, false)) {
            try (StunClient client = StunClient.over(ch)) {
                final StunClient.Result result = client.query(server.localAddress(), WAIT);
                assertThat(result.mappedAddress()).isEqualTo(ch.getLocalAddress());
            }
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.isBlocking()).isFalse();
        }
    }

    @Test
    void shouldWorkOverACallersBlockingChannelAndRestoreItsTimeout() throws Exception {
        try (StunServer server = server(); DatagramChannel ch = Loopback.channel(Loopback.V4, true)) {
            ch.socket().setSoTimeout(1234);
            try (StunClient client = StunClient.over(ch)) {
                assertThat(client.query(server.localAddress(), WAIT).mappedAddress()).isEqualTo(ch.getLocalAddress());
            }
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.socket().getSoTimeout()).isEqualTo(1234);
        }
    }

    @Test
    void shouldTimeOutWhenNobodyAnswers() throws Exception {
        try (DatagramChannel silent = Loopback.channel(Loopback.V4, true);
             StunClient client = StunClient.open(new InetSocketAddress(Loopback.V4, 0))) {
            final long startNs = System.nanoTime();
            assertThatThrownBy(() -> client.query((InetSocketAddress) silent.getLocalAddress(), Duration.ofMillis(300)))
                .isInstanceOf(SocketTimeoutException.class)
                .hasMessageContaining("no STUN response from");
            final Duration took = Duration.ofNanos(System.nanoTime() - startNs);
            assertThat(took).isBetween(Duration.ofMillis(290), Duration.ofSeconds(3));
        }
    }

    @Test
    void shouldIgnoreStrayAndMismatchedDatagrams() throws Exception {
        try (DatagramChannel fake = Loopback.channel(Loopback.V4, false);
             DatagramChannel impostor = Loopback.channel(Loopback.V4, false);
             StunClient client = StunClient.open(new InetSocketAddress(Loopback.V4, 0))) {
            final InetSocketAddress fakeAddress = (InetSocketAddress) fake.getLocalAddress();
            final Responder responder = new Responder(() -> {
                final ByteBuffer in = ByteBuffer.allocate(1500);
                final InetSocketAddress clientAddress = Loopback.receive(fake, in, WAIT);
                final byte[] request = Arrays.copyOf(in.array(), in.limit());
                final byte[] out = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
                // 1: not STUN.  2: a response with another transaction id.  3: the right response from the
                // wrong address.  4: the right response.
                fake.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), clientAddress);
                final byte[] otherRequest = new byte[StunMessage.BINDING_REQUEST_LENGTH];
                StunMessage.writeBindingRequest(StunTransactionId.random(), otherRequest, 0);
                int n = StunMessage.writeBindingResponse(otherRequest, 0, Loopback.V4, 1, out, 0);
                fake.send(ByteBuffer.wrap(out, 0, n), clientAddress);
                n = StunMessage.writeBindingResponse(request, 0, Loopback.V4, 2, out, 0);
                impostor.send(ByteBuffer.wrap(out, 0, n), clientAddress);
                n = StunMessage.writeBindingResponse(request, 0, Loopback.V4, 3, out, 0);
                fake.send(ByteBuffer.wrap(out, 0, n), clientAddress);
            });
            final StunClient.Result result = client.query(fakeAddress, WAIT);
            responder.join();

            assertThat(result.mappedAddress()).isEqualTo(new InetSocketAddress(Loopback.V4, 3));
            assertThat(client.ignoredDatagrams()).isEqualTo(3);
        }
    }

    @Test
    void shouldRetransmitWithAFreshTransactionIdAfterALoss() throws Exception {
        try (DatagramChannel fake = Loopback.channel(Loopback.V4, false);
             StunClient client = StunClient.open(new InetSocketAddress(Loopback.V4, 0))) {
            final Responder responder = new Responder(() -> {
                final ByteBuffer in = ByteBuffer.allocate(1500);
                final InetSocketAddress first = Loopback.receive(fake, in, WAIT); // dropped
                final StunTransactionId firstId = StunTransactionId.read(in.array(), 8);
                final InetSocketAddress second = Loopback.receive(fake, in, WAIT);
                assertThat(second).isEqualTo(first);
                assertThat(StunTransactionId.read(in.array(), 8)).isNotEqualTo(firstId);
                final byte[] out = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
                final int n = StunMessage.writeBindingResponse(in.array(), 0, second.getAddress(), second.getPort(),
                    out, 0);
                fake.send(ByteBuffer.wrap(out, 0, n), second);
            });
            final long startNs = System.nanoTime();
            final StunClient.Result result = client.query((InetSocketAddress) fake.getLocalAddress(), WAIT);
            final Duration took = Duration.ofNanos(System.nanoTime() - startNs);
            responder.join();

            assertThat(result.mappedAddress()).isEqualTo(client.localAddress());
            assertThat(took).isGreaterThanOrEqualTo(StunClient.INITIAL_RTO);
            // The RTT belongs to the second request, not the first one.
            assertThat(result.rtt()).isLessThan(StunClient.INITIAL_RTO);
        }
    }

    @Test
    void shouldQuerySeveralServersFromOneSocket() throws Exception {
        try (StunServer a = server(); StunServer b = server();
             DatagramChannel silent = Loopback.channel(Loopback.V4, true);
             StunClient client = StunClient.open(new InetSocketAddress(Loopback.V4, 0))) {
            final InetSocketAddress silentAddress = (InetSocketAddress) silent.getLocalAddress();
            final Map<InetSocketAddress, StunClient.Result> results = client.queryAll(
                List.of(a.localAddress(), silentAddress, b.localAddress()), Duration.ofMillis(400));

            assertThat(results.keySet()).containsExactlyInAnyOrder(a.localAddress(), b.localAddress());
            final InetSocketAddress self = client.localAddress();
            assertThat(results.values()).allSatisfy(r -> assertThat(r.mappedAddress()).isEqualTo(self));
        }
    }

    @Test
    void shouldReportASendErrorInsteadOfWaiting() throws Exception {
        assumeTrue(Loopback.ipv6Unavailable() == null, "needs an IPv6 loopback to have an unreachable family");
        try (StunClient client = StunClient.open(new InetSocketAddress(Loopback.V4, 0))) {
            final long startNs = System.nanoTime();
            assertThatThrownBy(() -> client.query(new InetSocketAddress(Loopback.V6, 3478), WAIT))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(WAIT);
        }
    }

    /** Runs a fake server on a virtual thread; {@link #join()} rethrows whatever it failed with. */
    private static final class Responder {
        private final Thread thread;
        private volatile Throwable failure;

        interface Body {
            void run() throws Exception;
        }

        Responder(final Body body) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    body.run();
                } catch (final Throwable t) {
                    failure = t;
                }
            });
        }

        void join() throws InterruptedException {
            assertThat(thread.join(WAIT)).as("responder finished").isTrue();
            assertThat(failure).as("responder failure").isNull();
        }
    }
}
