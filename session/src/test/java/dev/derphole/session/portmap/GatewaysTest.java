package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Default-route parsing from sample /proc/net/route tables, and the live lookup's contract. */
@Timeout(30)
class GatewaysTest {
    private static final String HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
        + "Window\tIRTT                                                       \n";

    private static String row(final String iface, final String dst, final String gw, final String flags,
                              final int metric, final String mask) {
        return iface + "\t" + dst + "\t" + gw + "\t" + flags + "\t0\t0\t" + metric + "\t" + mask
            + "\t0\t0\t0                                                                               \n";
    }

    private static Optional<String> gateway(final String table) {
        return Gateways.parseDefaultRoute(table, ByteOrder.LITTLE_ENDIAN)
            .map(r -> r.interfaceName() + " " + r.gateway().getHostAddress() + " " + r.metric());
    }

    @Test
    void shouldReadTheDefaultRouteOfATypicalHomeLan() {
        final String table = HEADER
            + row("wlan0", "00000000", "0101A8C0", "0003", 600, "00000000")
            + row("wlan0", "0001A8C0", "00000000", "0001", 600, "00FFFFFF");

        assertThat(gateway(table)).contains("wlan0 192.168.1.1 600");
    }

    @Test
    void shouldReadThisMachinesFormatWithTrailingSpaces() {
        final String table = HEADER
            + row("eth0", "00000000", "010200C0", "0003", 0, "00000000")
            + row("eth0", "000200C0", "00000000", "0001", 0, "00FFFFFF");

        assertThat(gateway(table)).contains("eth0 192.0.2.1 0");
    }

    @Test
    void shouldPickTheLowestMetricAmongSeveralDefaults() {
        final String table = HEADER
            + row("wlan0", "00000000", "0101A8C0", "0003", 600, "00000000")
            + row("eth0", "00000000", "FE01000A", "0003", 100, "00000000")
            + row("wwan0", "00000000", "01010A0A", "0003", 700, "00000000");

        assertThat(gateway(table)).contains("eth0 10.0.1.254 100");
    }

    @Test
    void shouldIgnoreRoutesThatAreNotUsableDefaults() {
        final String table = HEADER
            // No GATEWAY flag (a point-to-point default, e.g. a VPN), not UP, a mask, a zero gateway.
            + row("tun0", "00000000", "00000000", "0001", 0, "00000000")
            + row("eth1", "00000000", "0101A8C0", "0002", 0, "00000000")
            + row("eth2", "00000000", "0101A8C0", "0003", 0, "000000FF")
            + row("eth3", "0000000A", "0101A8C0", "0003", 0, "00000000");

        assertThat(gateway(table)).isEmpty();
    }

    @Test
    void shouldReturnEmptyForTablesWithoutRoutes() {
        assertThat(gateway("")).isEmpty();
        assertThat(gateway(HEADER)).isEmpty();
        assertThat(gateway(null)).isEmpty();
        assertThat(gateway("garbage\n\n\t\t\n" + row("eth0", "0000000", "0101A8C0", "0003", 0, "00000000")))
            .isEmpty();
    }

    @Test
    void shouldHonourBigEndianTables() {
        final String table = HEADER + row("eth0", "00000000", "C0A80101", "0003", 0, "00000000");

        assertThat(Gateways.parseDefaultRoute(table, ByteOrder.BIG_ENDIAN))
            .map(r -> r.gateway().getHostAddress()).contains("192.168.1.1");
    }

    @Test
    void shouldFindOurAddressTowardsAGatewayWithoutSendingAnything() {
        final Optional<InetAddress> local = Gateways.localAddressTowards(InetAddress.getLoopbackAddress(), "lo");

        assertThat(local).contains(InetAddress.getLoopbackAddress());
    }

    @Test
    void shouldGiveAnIpv4GatewayAndLocalAddressOrNothing() {
        // The live lookup: this machine may or may not have a default route; either way the result is coherent.
        final Optional<Gateways.Gateway> gw = Gateways.defaultIpv4();

        gw.ifPresent(g -> {
            assertThat(g.address()).isInstanceOf(Inet4Address.class);
            assertThat(g.localAddress()).isInstanceOf(Inet4Address.class);
            assertThat(g.localAddress().isAnyLocalAddress()).isFalse();
            assertThat(g.interfaceName()).isNotBlank();
        });
        assertThat(PortMapper.Config.forDefaultGateway(41641).isPresent()).isEqualTo(gw.isPresent());
    }
}
