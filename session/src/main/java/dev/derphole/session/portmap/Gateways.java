package dev.derphole.session.portmap;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Objects;
import java.util.Optional;

/**
 * The default IPv4 gateway (the home router port mapping talks to) and our address towards it, from Linux's
 * {@code /proc/net/route}. Stateless.
 * <p>
 * {@code /proc/net/route} prints each route's addresses as the 32-bit value in memory printed in hex, so on a
 * little-endian machine {@code 0101A8C0} is 192.168.1.1. The default route is the one with destination and mask
 * 0 and flags UP|GATEWAY; with several, the lowest metric wins. Our address towards the gateway is the source
 * the kernel picks for it (a connected UDP socket, which sends nothing), else the interface's first IPv4 address.
 */
public final class Gateways {
    /** Where Linux lists IPv4 routes. */
    static final Path PROC_NET_ROUTE = Path.of("/proc/net/route");
    /** Cap on the route table we read, in bytes. */
    static final int MAX_ROUTE_TABLE_BYTES = 256 * 1024;
    private static final int MAX_LINES = 4096;
    private static final int RTF_UP = 0x1;
    private static final int RTF_GATEWAY = 0x2;
    /** Port the probe socket is connected to (nothing is sent); NAT-PMP's, so the route is the one it will use. */
    private static final int PROBE_PORT = NatPmpClient.DEFAULT_PORT;

    /**
     * A default gateway.
     *
     * @param address       the gateway's address
     * @param localAddress  our address towards it (our LAN address)
     * @param interfaceName the interface the default route uses
     */
    public record Gateway(InetAddress address, InetAddress localAddress, String interfaceName) {
        /** Validates the fields. */
        public Gateway {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(localAddress, "localAddress");
            Objects.requireNonNull(interfaceName, "interfaceName");
        }
    }

    /**
     * One default route from the table.
     *
     * @param interfaceName the interface
     * @param gateway       the gateway address
     * @param metric        the route metric
     */
    record Route(String interfaceName, Inet4Address gateway, long metric) {
    }

    private Gateways() {
    }

    /**
     * The default IPv4 gateway and our address towards it; empty when there is none (no default route, a route
     * without a gateway, no /proc, no usable local address). Never throws.
     */
    public static Optional<Gateway> defaultIpv4() {
        final String table;
        try (InputStream in = Files.newInputStream(PROC_NET_ROUTE)) {
            table = new String(in.readNBytes(MAX_ROUTE_TABLE_BYTES), StandardCharsets.ISO_8859_1);
        } catch (final IOException | RuntimeException e) {
            return Optional.empty();
        }
        final Optional<Route> route = parseDefaultRoute(table, ByteOrder.nativeOrder());
        if (route.isEmpty()) {
            return Optional.empty();
        }
        final Route r = route.get();
        return localAddressTowards(r.gateway(), r.interfaceName())
            .map(local -> new Gateway(r.gateway(), local, r.interfaceName()));
    }

    /**
     * The lowest-metric default route with a gateway in {@code table} (the text of /proc/net/route), with
     * addresses printed in {@code order}. Empty when there is none; malformed lines are skipped. Never throws.
     */
    static Optional<Route> parseDefaultRoute(final String table, final ByteOrder order) {
        if (table == null) {
            return Optional.empty();
        }
        Route best = null;
        int lines = 0;
        for (final String line : table.split("\n", MAX_LINES + 1)) {
            if (++lines > MAX_LINES) {
                break;
            }
            final String[] f = line.trim().split("\\s+");
            // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
            if (f.length < 8 || f[0].equals("Iface")) {
                continue;
            }
            final long destination = hex32(f[1]);
            final long gateway = hex32(f[2]);
            final long flags = hex(f[3], 1);
            final long metric = decimal(f[6]);
            final long mask = hex32(f[7]);
            if (destination != 0 || mask != 0 || gateway <= 0 || flags < 0 || metric < 0
                || (flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY) || f[0].isEmpty()) {
                continue;
            }
            final Inet4Address address = toAddress(gateway, order);
            if (address == null || address.isAnyLocalAddress() || address.isMulticastAddress()) {
                continue;
            }
            if (best == null || metric < best.metric()) {
                best = new Route(f[0], address, metric);
            }
        }
        return Optional.ofNullable(best);
    }

    /** Our IPv4 address on the way to {@code gateway}, or empty. Sends nothing. */
    static Optional<InetAddress> localAddressTowards(final InetAddress gateway, final String interfaceName) {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(new InetSocketAddress(gateway, PROBE_PORT));
            final InetAddress local = probe.getLocalAddress();
            if (local instanceof Inet4Address && !local.isAnyLocalAddress()) {
                return Optional.of(local);
            }
        } catch (final IOException | RuntimeException e) {
            // Fall back to the interface's address below.
        }
        try {
            final NetworkInterface nic = NetworkInterface.getByName(interfaceName);
            if (nic == null) {
                return Optional.empty();
            }
            for (final InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return Optional.of(a);
                }
            }
        } catch (final SocketException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Exactly 8 hex digits as an unsigned 32-bit value, or -1. */
    private static long hex32(final String s) {
        return hex(s, 8);
    }

    /** {@code minDigits} to 8 hex digits as an unsigned value, or -1. */
    private static long hex(final String s, final int minDigits) {
        if (s.length() < minDigits || s.length() > 8) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            final int d = Character.digit(s.charAt(i), 16);
            if (d < 0 || s.charAt(i) >= 0x80) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

    /** 1 to 10 decimal digits as a value, or -1. */
    private static long decimal(final String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static Inet4Address toAddress(final long value, final ByteOrder order) {
        final int v = (int)value;
        final byte[] b = order == ByteOrder.LITTLE_ENDIAN
            ? new byte[] {(byte)v, (byte)(v >>> 8), (byte)(v >>> 16), (byte)(v >>> 24)}
            : new byte[] {(byte)(v >>> 24), (byte)(v >>> 16), (byte)(v >>> 8), (byte)v};
        try {
            return (Inet4Address)InetAddress.getByAddress(b);
        } catch (final UnknownHostException e) {
            return null;
        }
    }
}
