package dev.derphole.udp.uring;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.derphole.udp.DatagramEngineConfig;

/** What the socket options really are in the kernel, read back with getsockopt. */
@Timeout(30)
class NativeUdpSocketTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void shouldSetPathMtuProbeModeOnlyWhenAskedFor(final String host) throws Exception {
        final InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(host), 0);
        final boolean v6 = host.contains(":");
        final NativeUdpSocket plain = NativeUdpSocket.open(DatagramEngineConfig.builder(bind).build());
        final NativeUdpSocket probing
            = NativeUdpSocket.open(DatagramEngineConfig.builder(bind).dontFragment(true).build());
        try {
            assertThat(plain.dontFragment).isFalse();
            assertThat(mtuDiscover(plain, v6)).as("the kernel default (want)").isNotEqualTo(Linux.PMTUDISC_PROBE);
            assertThat(probing.dontFragment).isTrue();
            assertThat(mtuDiscover(probing, v6)).isEqualTo(Linux.PMTUDISC_PROBE);
        } finally {
            close(plain);
            close(probing);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(booleans = {true, false})
    void shouldSetKernelReceiveStampsUnlessTurnedOff(final boolean stamps) throws Exception {
        final InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        final NativeUdpSocket socket =
            NativeUdpSocket.open(DatagramEngineConfig.builder(bind).receiveTimestamps(stamps).build());
        try {
            assertThat(socket.receiveTimestamps).isEqualTo(stamps);
            assertThat(intOption(socket, Linux.SOL_SOCKET, Linux.SO_TIMESTAMPNS)).isEqualTo(stamps ? 1 : 0);
        } finally {
            close(socket);
        }
    }

    private static int mtuDiscover(final NativeUdpSocket socket, final boolean v6) {
        return v6 ? intOption(socket, Linux.IPPROTO_IPV6, Linux.IPV6_MTU_DISCOVER)
            : intOption(socket, Linux.IPPROTO_IP, Linux.IP_MTU_DISCOVER);
    }

    private static int intOption(final NativeUdpSocket socket, final int level, final int name) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = LinuxCalls.newCallState(arena);
            final MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            final MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 4);
            assertThat(LinuxCalls.getsockopt(state, socket.fd, level, name, value, length)).isZero();
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    private static void close(final NativeUdpSocket socket) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment state = LinuxCalls.newCallState(arena);
            LinuxCalls.close(state, socket.fd);
            LinuxCalls.close(state, socket.wakeFd);
        }
    }
}
