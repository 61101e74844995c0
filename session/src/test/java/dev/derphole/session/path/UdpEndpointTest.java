package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
            // The requests did go out (three tries).
            silent.setSoTimeout(1_000);
            final DatagramPacket packet = new DatagramPacket(new byte[64], 64);
            silent.receive(packet);
            assertThat(StunMessage.checkBindingRequest(packet.getData(), 0, packet.getLength()))
                .isEqualTo(StunMessage.VALID_BINDING_REQUEST);
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
