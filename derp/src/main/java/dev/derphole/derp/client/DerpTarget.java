package dev.derphole.derp.client;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Where a DERP relay is and how to reach it: scheme, host (for the HTTP {@code Host} header and, when no
 * addresses are given, for DNS), port, TLS server name (SNI and the name the certificate must match; a
 * DERP map node's {@code CertName} can differ from its {@code HostName}), and optional addresses to dial
 * instead of resolving the host (DERP map nodes carry IPv4/IPv6). Immutable.
 *
 * @param https         true for TLS ({@code https}), false for plain {@code http} (tests, local relays)
 * @param host          host name or IP literal (IPv6 without brackets)
 * @param port          TCP port, 1..65535
 * @param serverName    TLS server name; equals {@code host} unless a node says otherwise
 * @param dialAddresses addresses tried in order instead of resolving {@code host}; empty to resolve
 */
public record DerpTarget(boolean https, String host, int port, String serverName, List<InetAddress> dialAddresses) {
    public static final int DEFAULT_HTTPS_PORT = 443;
    public static final int DEFAULT_HTTP_PORT = 80;

    public DerpTarget {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("DERP target needs a host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("DERP target port out of range: " + port);
        }
        serverName = serverName == null || serverName.isEmpty() ? host : serverName;
        dialAddresses = dialAddresses == null ? List.of() : List.copyOf(dialAddresses);
    }

    /** An https target on the default port, as a DERP map node with {@code DERPPort} 0 is reached. */
    public static DerpTarget https(final String host) {
        return new DerpTarget(true, host, DEFAULT_HTTPS_PORT, host, List.of());
    }

    /**
     * Parses {@code https://host[:port][/derp]} or {@code http://host[:port][/derp]} (the form of
     * {@code --derp-url}). Any other path, a query or user info is rejected.
     */
    public static DerpTarget parse(final String url) {
        final URI uri;
        try {
            uri = new URI(url);
        } catch (final URISyntaxException e) {
            throw new IllegalArgumentException("not a DERP URL: " + url + " (" + e.getReason() + ")");
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("DERP URL must start with https:// or http://: " + url);
        }
        final String path = uri.getRawPath();
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
            || !(path == null || path.isEmpty() || path.equals("/") || path.equals("/derp"))) {
            throw new IllegalArgumentException("DERP URL must be scheme://host[:port][/derp]: " + url);
        }
        final boolean https = scheme.equals("https");
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port = uri.getPort() < 0 ? (https ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT) : uri.getPort();
        return new DerpTarget(https, host, port, host, List.of());
    }

    /** The same target with another TLS server name. */
    public DerpTarget withServerName(final String name) {
        return new DerpTarget(https, host, port, name, dialAddresses);
    }

    /** The same target, dialled at these addresses (tried in order) instead of resolving the host. */
    public DerpTarget withDialAddresses(final List<InetAddress> addresses) {
        return new DerpTarget(https, host, port, serverName, addresses);
    }

    /** {@code host[:port]} for the HTTP {@code Host} header: port omitted when it is the scheme's default. */
    public String hostHeader() {
        final String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        final int defaultPort = https ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT;
        return port == defaultPort ? h : h + ":" + port;
    }

    /** {@code host:port}, for error messages. */
    public String label() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return (https ? "https://" : "http://") + hostHeader() + "/derp";
    }
}
