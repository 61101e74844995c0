package dev.derphole.derp.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StunServerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static StunServer startServer(final InetAddress address) throws IOException {
        final StunServer server = new StunServer(new InetSocketAddress(address, 0));
        server.start();
        return server;
    }

    @Test
    void shouldReportTheIpv4SourceAddressOfTheRequest() throws Exception {
        try (StunServer server = startServer(Loopback.V4);
             StunClient client = StunClient.open(new InetSocketAddress(Loopback.V4, 0))) {
            final StunClient.Result result = client.query(server.localAddress(), WAIT);

            assertThat(result.mappedAddress()).isEqualTo(client.localAddress());
            assertThat(result.server()).isEqualTo(server.localAddress());
            assertThat(result.rtt()).isPositive().isLessThan(WAIT);
            assertThat(server.requests()).isEqualTo(1);
            assertThat(eventually(server::responses, 1)).isEqualTo(1);
            assertThat(server.malformed()).isZero();
            assertThat(server.notBinding()).isZero();
        }
    }

    @Test
    void shouldReportTheIpv6SourceAddressOfTheRequest() throws Exception {
        final String cause = Loopback.ipv6Unavailable();
        assumeTrue(cause == null, () -> "no IPv6 loopback on this machine (binding [::1] failed: " + cause + ")");
        try (StunServer server = startServer(Loopback.V6);
             StunClient client = StunClient.open(new InetSocketAddress(Loopback.V6, 0))) {
            final StunClient.Result result = client.query(server.localAddress(), WAIT);

            assertThat(result.mappedAddress().getAddress()).isEqualTo(Loopback.V6);
            assertThat(result.mappedAddress().getPort()).isEqualTo(client.localAddress().getPort());
            assertThat(eventually(server::responses, 1)).isEqualTo(1);
        }
    }

    @Test
    void shouldCountAndDropEverythingButBindingRequests() throws Exception {
        try (StunServer server = startServer(Loopback.V4);
             DatagramChannel peer = Loopback.channel(Loopback.V4, false)) {
            final InetSocketAddress to = server.localAddress();
            final SplittableRandom random = new SplittableRandom(0xcafebabeL);
            final byte[] garbage = new byte[64];
            random.nextBytes(garbage);
            garbage[0] = (byte) 0xFF; // top bits set: never STUN
            final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
            StunMessage.writeBindingRequest(StunTransactionId.random(), request, 0);
            final byte[] indication = request.clone();
            indication[1] = 0x11;
            final byte[] badFingerprint = request.clone();
            badFingerprint[39] ^= 1;

            peer.send(ByteBuffer.wrap(garbage), to);                               // malformed
            peer.send(ByteBuffer.wrap(new byte[0]), to);                           // malformed (empty)
            peer.send(ByteBuffer.wrap(request, 0, 30), to);                        // malformed (truncated)
            peer.send(ByteBuffer.wrap(badFingerprint), to);                        // malformed
            peer.send(ByteBuffer.wrap(new byte[3000]), to);                        // malformed (oversized, truncated)
            peer.send(ByteBuffer.wrap(indication), to);                            // not binding
            peer.send(ByteBuffer.wrap(StunMessageTest.RFC5769_IPV4_RESPONSE), to); // not binding (a response)
            assertThat(Loopback.await(() -> server.malformed() == 5 && server.notBinding() == 2, WAIT)).isTrue();

            peer.send(ByteBuffer.wrap(request), to);
            final ByteBuffer in = ByteBuffer.allocate(1500);
            final InetSocketAddress from = Loopback.receive(peer, in, WAIT);
            assertThat(from).isEqualTo(to);
            final StunResponse response = StunMessage.parseBindingResponse(in.array(), 0, in.limit());
            assertThat(response.transactionId()).isEqualTo(StunTransactionId.read(request, 8));
            assertThat(response.mappedAddress()).isEqualTo(peer.getLocalAddress());

            // Only the valid request was answered: nothing else arrives.
            assertThat(Loopback.receive(peer, in, Duration.ofMillis(200))).isNull();
            assertThat(server.requests()).isEqualTo(1);
            assertThat(eventually(server::responses, 1)).isEqualTo(1);
            assertThat(server.malformed()).isEqualTo(5);
            assertThat(server.notBinding()).isEqualTo(2);
            assertThat(server.sendErrors()).isZero();
        }
    }

    @Test
    void shouldAnswerEveryRequestOfABurst() throws Exception {
        final int requests = 2_000;
        try (StunServer server = startServer(Loopback.V4);
             DatagramChannel peer = Loopback.channel(Loopback.V4, false)) {
            final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
            final ByteBuffer in = ByteBuffer.allocate(1500);
            int answered = 0;
            for (int i = 0; i < requests; i++) {
                final StunTransactionId id = StunTransactionId.random();
                StunMessage.writeBindingRequest(id, request, 0);
                peer.send(ByteBuffer.wrap(request), server.localAddress());
                if (Loopback.receive(peer, in, WAIT) != null
                    && StunMessage.parseBindingResponse(in.array(), 0, in.limit()).transactionId().equals(id)) {
                    answered++;
                }
            }
            assertThat(answered).isEqualTo(requests);
            assertThat(eventually(server::responses, requests)).isEqualTo(requests);
        }
    }

    @Test
    void shouldNameTheAddressWhenThePortIsTaken() throws Exception {
        try (DatagramChannel taken = Loopback.channel(Loopback.V4, true)) {
            final InetSocketAddress address = (InetSocketAddress) taken.getLocalAddress();
            final StunServer server = new StunServer(address);
            assertThatThrownBy(server::start)
                .isInstanceOf(BindException.class)
                .hasMessageStartingWith("cannot bind STUN server to UDP 127.0.0.1:" + address.getPort() + ": ");
            server.close();
        }
    }

    @Test
    void shouldCloseIdempotentlyAndReleaseThePort() throws Exception {
        final StunServer server = startServer(Loopback.V4);
        final InetSocketAddress address = server.localAddress();
        final String threadName = "derphole-stun-" + address.getPort();
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals(threadName));

        server.close();
        server.close();

        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals(threadName) && t.isAlive());
        try (StunServer again = new StunServer(address)) {
            again.start();
            assertThat(again.localAddress()).isEqualTo(address);
        }
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRejectMisuse() throws IOException {
        final StunServer notStarted = new StunServer(new InetSocketAddress(Loopback.V4, 0));
        assertThatThrownBy(notStarted::localAddress).isInstanceOf(IllegalStateException.class);
        notStarted.close();
        assertThatThrownBy(() -> new StunServer(InetSocketAddress.createUnresolved("stun.example", 3478)))
            .isInstanceOf(IllegalArgumentException.class);
        try (StunServer started = startServer(Loopback.V4)) {
            assertThatThrownBy(started::start).isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * The server counts a response after {@code send} returns, which can be after the client already read it:
     * wait (bounded) for the counter to reach {@code expected}, then return its value.
     */
    private static long eventually(final java.util.function.LongSupplier counter, final long expected) {
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (counter.getAsLong() < expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        return counter.getAsLong();
    }
}
