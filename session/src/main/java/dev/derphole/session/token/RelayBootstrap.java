package dev.derphole.session.token;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * How the joining side reaches the relay the listener is on, so that it needs no relay flag: either a node
 * of Tailscale's public DERP map, or one custom relay by URL.
 */
public sealed interface RelayBootstrap permits RelayBootstrap.DerpMapNode, RelayBootstrap.CustomRelay {
    /** Longest node name, in ASCII characters (public map names are like {@code 1a} or {@code 900b}). */
    int MAX_NODE_NAME_LENGTH = 63;
    /** Longest relay URL, in bytes. */
    int MAX_URL_LENGTH = 255;

    /**
     * A node of the public DERP map.
     *
     * @param regionId DERP region id, 1..65535
     * @param nodeName node name within the region: 1..63 of {@code [A-Za-z0-9._-]}
     */
    record DerpMapNode(int regionId, String nodeName) implements RelayBootstrap {
        public DerpMapNode {
            if (regionId < 1 || regionId > 0xffff) {
                throw new IllegalArgumentException("DERP region id must be 1..65535, got " + regionId);
            }
            if (nodeName.isEmpty() || nodeName.length() > MAX_NODE_NAME_LENGTH) {
                throw new IllegalArgumentException("DERP node name must be 1..63 characters");
            }
            for (int i = 0; i < nodeName.length(); i++) {
                final char c = nodeName.charAt(i);
                final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
                if (!ok) {
                    throw new IllegalArgumentException("DERP node name may only use letters, digits, '.', '_', '-'");
                }
            }
        }
    }

    /**
     * One relay addressed by URL ({@code --derp-url}), plus its STUN port.
     * <p>
     * The URL is {@code http} or {@code https} with a host, an optional port and an optional path; no user
     * info, query or fragment, and printable ASCII only (RFC 3986 URIs are ASCII; IDN hosts go in punycode).
     * That keeps credentials out of tokens and control characters out of terminals.
     *
     * @param url      e.g. {@code https://relay.example:443} or {@code http://127.0.0.1:3340}
     * @param stunPort the relay's STUN UDP port, 1..65535, or 0 when it has none
     */
    record CustomRelay(String url, int stunPort) implements RelayBootstrap {
        public CustomRelay {
            checkUrl(url);
            if (stunPort < 0 || stunPort > 0xffff) {
                throw new IllegalArgumentException("STUN port must be 0..65535, got " + stunPort);
            }
        }

        /** The URL parsed; never fails for a constructed instance. */
        public URI uri() {
            return URI.create(url);
        }

        private static void checkUrl(final String url) {
            if (url.isEmpty() || url.length() > MAX_URL_LENGTH) {
                throw new IllegalArgumentException("relay URL must be 1..255 characters");
            }
            for (int i = 0; i < url.length(); i++) {
                final char c = url.charAt(i);
                if (c < 0x21 || c > 0x7e) {
                    throw new IllegalArgumentException("relay URL must be printable ASCII without spaces");
                }
            }
            final URI uri;
            try {
                uri = new URI(url);
            } catch (final URISyntaxException e) {
                throw new IllegalArgumentException("relay URL is not a valid URL", e);
            }
            final String scheme = uri.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("relay URL must start with http:// or https://");
            }
            final String host = uri.getHost();
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("relay URL must name a host");
            }
            if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("relay URL must not carry user info, a query or a fragment");
            }
            final int port = uri.getPort();
            final String authority = port == -1 ? host : host + ":" + port;
            if (port == 0 || port > 0xffff || !authority.equals(uri.getRawAuthority())) {
                throw new IllegalArgumentException("relay URL has a bad host or port");
            }
            final String path = uri.getRawPath();
            if (path == null || (!path.isEmpty() && path.charAt(0) != '/')) {
                throw new IllegalArgumentException("relay URL has a bad path");
            }
        }
    }
}
