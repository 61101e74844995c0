package dev.derphole.derp.map;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Strict IP literal parsing without DNS: the forms Go's {@code netip.ParseAddr} accepts. */
final class IpLiterals {
    private IpLiterals() {
    }

    /**
     * @return the address if {@code s} is a dotted-quad IPv4 literal (four decimal parts 0..255, no
     *     leading zeros; the BSD short forms {@code Inet4Address.ofLiteral} also takes are refused), else null
     */
    static Inet4Address ipv4(final String s) {
        final int n = s.length();
        if (n < 7 || n > 15) {
            return null;
        }
        int parts = 0;
        int i = 0;
        while (i < n) {
            final int start = i;
            int value = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            final int digits = i - start;
            if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return null;
            }
            parts++;
            if (i < n) {
                if (s.charAt(i) != '.' || parts == 4) {
                    return null;
                }
                i++;
                if (i == n) {
                    return null;
                }
            }
        }
        return parts == 4 ? Inet4Address.ofLiteral(s) : null;
    }

    /** @return the address if {@code s} is an IPv6 literal without brackets or zone, else null */
    static Inet6Address ipv6(final String s) {
        if (s.indexOf(':') < 0 || s.indexOf('%') >= 0 || s.indexOf('[') >= 0 || s.length() > 45) {
            return null;
        }
        try {
            return Inet6Address.ofLiteral(s) instanceof Inet6Address v6 ? v6 : null;
        } catch (final IllegalArgumentException notALiteral) {
            return null;
        }
    }

    /** @return the address if {@code s} is an IPv4 or IPv6 literal (see above), else null */
    static InetAddress any(final String s) {
        final InetAddress v4 = ipv4(s);
        return v4 != null ? v4 : ipv6(s);
    }
}
