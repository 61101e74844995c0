package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.derphole.derp.stun.StunMessage;
import dev.derphole.derp.stun.StunServer;
import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;

/** The session's UDP socket: every engine this machine has, sized for what it can prove; STUN on the socket. */
@Timeout(30)
class UdpEndpointTest {
    @Test
    void shouldLearnItsOwnAddressFromAStunServerOnTheDataSocket() throws Exception {
        final StunServer server = new StunServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.start();
        try (UdpEndpoint endpoint = UdpEndpoint.open()) {
            final InetSocketAddress mapped = endpoint.stun(server.localAddress(), 2_000);
            // No NAT on loopback: the server sees the socket's own port (the data socket, not a second one).
            assertThat(mapped).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port()));
        } finally {
            server.close();
        }
    }

    @Test
    void shouldGiveUpWhenNoStunServerAnswers() throws Exception {
        try (UdpEndpoint endpoint = UdpEndpoint.open();
            DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            final long startNs = System.nanoTime();
            assertThat(endpoint.stun((InetSocketAddress)silent.getLocalSocketAddress(), 300)).isNull();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isBetween(250L, 2_000L);
            // The requests did go out: the first and its repeats at 100 and 250 ms, none after the deadline.
            silent.setSoTimeout(500);
            final DatagramPacket packet = new DatagramPacket(new byte[64], 64);
            for (int i = 0; i < 3; i++) {
                silent.receive(packet);
                assertThat(StunMessage.checkBindingRequest(packet.getData(), 0, packet.getLength()))
                    .isEqualTo(StunMessage.VALID_BINDING_REQUEST);
            }
            silent.setSoTimeout(200);
            assertThatThrownBy(() -> silent.receive(packet)).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void shouldRepeatTheBindingRequestUntilOneIsAnsweredWithinTheTimeout() throws Exception {
        // A lossy link: the first four requests (or their answers) are lost; the fifth is answered.
        try (UdpEndpoint endpoint = UdpEndpoint.open();
            DatagramSocket lossy = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            final Thread server = Thread.ofVirtual().start(() -> answerTheNth(lossy, 5));
            final InetSocketAddress mapped = endpoint.stun((InetSocketAddress)lossy.getLocalSocketAddress(), 1_000);
            server.join(2_000);
            assertThat(mapped).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port()));
        }
    }

    private static void answerTheNth(final DatagramSocket socket, final int nth) {
        final DatagramPacket packet = new DatagramPacket(new byte[64], 64);
        try {
            socket.setSoTimeout(2_000);
            for (int i = 1; i <= nth; i++) {
                socket.receive(packet);
            }
            final byte[] answer = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
            final int length = StunMessage.writeBindingResponse(packet.getData(), 0, packet.getAddress(),
                packet.getPort(), answer, 0);
            socket.send(new DatagramPacket(answer, length, packet.getSocketAddress()));
        } catch (final java.io.IOException e) {
            // The endpoint gave up first: the test sees no answer.
        }
    }

    @Test
    void shouldHandStreamPacketsThatCameBeforeThePromotionToThePathOfTheirSource() throws Exception {
        try (UdpEndpoint endpoint = UdpEndpoint.open();
            DatagramSocket peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port());
            // The sender switched first: its first flight arrives before this side promoted anything.
            for (int i = 0; i < 3; i++) {
                peer.send(new DatagramPacket(new byte[] {0x10, (byte)i, 42}, 3, to));
            }
            stranger.send(new DatagramPacket(new byte[] {0x10, 9, 9}, 3, to));
            Thread.sleep(100);
            final DirectPath path = endpoint.promote((InetSocketAddress)peer.getLocalSocketAddress(), 1232);
            final List<byte[]> got = new CopyOnWriteArrayList<>();
            path.receiver((p, buffer, offset, length) -> got.add(Arrays.copyOfRange(buffer, offset, offset + length)));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (got.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(got).extracting(b -> (int)b[1]).containsExactly(0, 1, 2);
            // Later datagrams from the peer come after them; the stranger's was never the path's.
            peer.send(new DatagramPacket(new byte[] {0x10, 3, 42}, 3, to));
            while (got.size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(got).extracting(b -> (int)b[1]).containsExactly(0, 1, 2, 3);
            assertThat(endpoint.dropped()).isEqualTo(1);
        }
    }

    @Test
    void shouldForgetEarlyStreamPacketsWhenNoPathComesForThem() throws Exception {
        try (UdpEndpoint endpoint = UdpEndpoint.open();
            DatagramSocket peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            final InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), endpoint.port());
            peer.send(new DatagramPacket(new byte[] {0x10, 0, 42}, 3, to));
            peer.send(new DatagramPacket(new byte[] {0x10, 1, 42}, 3, to));
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(EarlyStream.MAX_AGE_NS) + 300);
            assertThat(endpoint.dropped()).isEqualTo(2);
            final DirectPath path = endpoint.promote((InetSocketAddress)peer.getLocalSocketAddress(), 1232);
            final List<byte[]> got = new CopyOnWriteArrayList<>();
            path.receiver((p, buffer, offset, length) -> got.add(Arrays.copyOfRange(buffer, offset, offset + length)));
            Thread.sleep(100);
            assertThat(got).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineKind.class)
    void shouldOpenWithEveryAvailableEngine(final EngineKind kind) throws Exception {
        if (!kind.isAvailable()) {
            // Not on this machine: nothing to open (the contract tests in core-udp say why).
            assertThat(kind.unavailabilityCause()).isNotNull();
            return;
        }
        System.setProperty(DatagramEngines.ENGINE_PROPERTY, kind.label());
        try (UdpEndpoint endpoint = UdpEndpoint.open()) {
            assertThat(endpoint.engineLabel()).isEqualTo(kind.label());
            assertThat(endpoint.port()).isPositive();
            if (kind.setsDontFragment()) {
                assertThat(endpoint.probesPathMtu()).isTrue();
                assertThat(endpoint.maxDatagramBytes()).isEqualTo(UdpEndpoint.MAX_DATAGRAM_BYTES);
            } else {
                // Large buffers would only waste memory (the epoll queue holds thousands of slots): the peer's
                // large probes go unanswered and both sides keep 1,400-byte datagrams.
                assertThat(endpoint.probesPathMtu()).isFalse();
                assertThat(endpoint.maxDatagramBytes()).isBetween(UdpEndpoint.DIRECT_DATAGRAM_BYTES, 1500);
            }
        } finally {
            System.clearProperty(DatagramEngines.ENGINE_PROPERTY);
        }
    }
}
