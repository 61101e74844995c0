package dev.derphole.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SockAddrTest {
    @Test
    void shouldEncodeIpv4LikeLinuxSockaddrIn() throws Exception {
        final MemorySegment cell = SockAddr.cellOf(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 0x1234));

        assertThat(cell.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder()), 0))
            .isEqualTo((short)SockAddr.AF_INET);
        assertThat(cell.get(ValueLayout.JAVA_BYTE, 2)).isEqualTo((byte)0x12);
        assertThat(cell.get(ValueLayout.JAVA_BYTE, 3)).isEqualTo((byte)0x34);
        assertThat(cell.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4)).isEqualTo(0x0a010203);
        assertThat(SockAddr.length(cell, 0)).isEqualTo(16);
        assertThat(SockAddr.port(cell, 0)).isEqualTo(0x1234);
    }

    @Test
    void shouldRoundTripIpv6WithScope() throws Exception {
        final Inet6Address linkLocal = Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(),
            3);
        final InetSocketAddress address = new InetSocketAddress(linkLocal, 443);
        final MemorySegment cell = SockAddr.cellOf(address);

        assertThat(SockAddr.family(cell, 0)).isEqualTo(SockAddr.AF_INET6);
        assertThat(SockAddr.length(cell, 0)).isEqualTo(28);
        assertThat(SockAddr.decode(cell, 0)).isEqualTo(address);
        assertThat(((Inet6Address)SockAddr.decode(cell, 0).getAddress()).getScopeId()).isEqualTo(3);
    }

    @Test
    void shouldMatchOnFamilyPortAddressAndScopeButNotFlowLabel() throws Exception {
        final InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 9);
        final MemorySegment a = SockAddr.cellOf(address);
        final MemorySegment b = SockAddr.cellOf(address);
        b.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0xabcdef);

        assertThat(SockAddr.matches(a, 0, b, 0)).isTrue();
        assertThat(SockAddr.matches(a, 0, SockAddr.cellOf(new InetSocketAddress(address.getAddress(), 10)),
            0)).isFalse();
        assertThat(SockAddr.matches(a, 0,
            SockAddr.cellOf(new InetSocketAddress(InetAddress.getByName("2001:db8::8"), 9)), 0)).isFalse();
        assertThat(SockAddr.matches(a, 0,
            SockAddr.cellOf(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9)), 0)).isFalse();
    }

    @Test
    void shouldTreatAClearedCellAsNoAddress() throws Exception {
        final MemorySegment cell = SockAddr.cellOf(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 1));
        SockAddr.clear(cell, 0);

        assertThat(SockAddr.decode(cell, 0)).isNull();
        assertThat(SockAddr.length(cell, 0)).isZero();
    }
}
