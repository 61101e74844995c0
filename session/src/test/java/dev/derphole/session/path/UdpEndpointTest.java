package dev.derphole.session.path;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.derphole.udp.DatagramEngines;
import dev.derphole.udp.EngineKind;

/** The session's UDP socket opens with every engine this machine has, sized for what that engine can prove. */
@Timeout(30)
class UdpEndpointTest
{
    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineKind.class)
    void shouldOpenWithEveryAvailableEngine(final EngineKind kind) throws Exception
    {
        if (!kind.isAvailable())
        {
            // Not on this machine: nothing to open (the contract tests in core-udp say why).
            assertThat(kind.unavailabilityCause()).isNotNull();
            return;
        }
        System.setProperty(DatagramEngines.ENGINE_PROPERTY, kind.label());
        try (UdpEndpoint endpoint = UdpEndpoint.open())
        {
            assertThat(endpoint.engineLabel()).isEqualTo(kind.label());
            assertThat(endpoint.port()).isPositive();
            if (kind.setsDontFragment())
            {
                assertThat(endpoint.probesPathMtu()).isTrue();
                assertThat(endpoint.maxDatagramBytes()).isEqualTo(UdpEndpoint.MAX_DATAGRAM_BYTES);
            }
            else
            {
                // Large buffers would only waste memory (the epoll queue holds thousands of slots): the peer's
                // large probes go unanswered and both sides keep 1,400-byte datagrams.
                assertThat(endpoint.probesPathMtu()).isFalse();
                assertThat(endpoint.maxDatagramBytes()).isBetween(UdpEndpoint.DIRECT_DATAGRAM_BYTES, 1500);
            }
        }
        finally
        {
            System.clearProperty(DatagramEngines.ENGINE_PROPERTY);
        }
    }
}
