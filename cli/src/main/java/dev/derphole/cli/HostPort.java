package dev.derphole.cli;

import java.net.InetSocketAddress;

/** Parses {@code HOST:PORT} / {@code [V6]:PORT} arguments into unresolved-free socket addresses. */
final class HostPort {
    private HostPort() {
    }

    /**
     * @param flag the flag name for the error message
     * @throws UserFacingException (usage) when the value is not {@code host:port} with a port in 0..65535
     */
    static InetSocketAddress parse(final String flag, final String value) {
        final int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw UserFacingException.usage(flag + " wants HOST:PORT, got '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw UserFacingException.usage(flag + ": write IPv6 addresses in brackets, e.g. [::1]:3340");
        }
        final int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (final NumberFormatException e) {
            throw UserFacingException.usage(flag + ": bad port in '" + value + "'");
        }
        if (port < 0 || port > 65535) {
            throw UserFacingException.usage(flag + ": port out of range in '" + value + "'");
        }
        return new InetSocketAddress(host, port);
    }

    /** {@code host:port} with brackets around IPv6 literals. */
    static String format(final String host, final int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
