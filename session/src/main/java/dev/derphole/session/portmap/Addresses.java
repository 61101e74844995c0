package dev.derphole.session.portmap;

import java.net.Inet4Address;
import java.net.InetAddress;

/** Checks on addresses the gateway reports. Stateless. */
final class Addresses {
    private Addresses() {
    }

    /**
     * Whether {@code address} can be an external address peers send to: IPv4, and not the wildcard, loopback,
     * link-local, multicast or broadcast address (gateways without a WAN lease report {@code 0.0.0.0}).
     */
    static boolean usableExternal(final InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            return false;
        }
        final byte[] b = address.getAddress();
        final boolean broadcast = (b[0] & b[1] & b[2] & b[3]) == (byte)0xff;
        return !address.isAnyLocalAddress() && !address.isLoopbackAddress() && !address.isLinkLocalAddress()
            && !address.isMulticastAddress() && !broadcast;
    }
}
