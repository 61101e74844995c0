package dev.derphole.derp.map;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * A single relay given as a URL ({@code --derp-url}, {@code DERPHOLE_DERP_URL}) instead of a map.
 *
 * <p>Accepted forms:
 * <ul>
 *   <li>{@code https://HOST[:PORT][/derp]} (port 443 when omitted);</li>
 *   <li>{@code http://HOST[:PORT][/derp]} (port 80 when omitted): plain HTTP, for a local
 *       {@code derphole relay} or tests;</li>
 *   <li>HOST is a DNS name, an IPv4 literal or a bracketed IPv6 literal; a trailing {@code /} after
 *       {@code derp} or the authority is allowed; the scheme is case-insensitive;</li>
 *   <li>optional query {@code ?stun=N}: the relay's STUN UDP port on the same host, 1..65535, or
 *       {@code -1} to say the relay has no STUN; without it the port is {@value DerpNode#DEFAULT_STUN_PORT}.
 *       (A query, not a fragment, because it is the ordinary place for a parameter; it is never sent
 *       to the relay: the DERP request always goes to {@code /derp}.)</li>
 * </ul>
 * Rejected with a hint: no scheme ({@code host:port}), another scheme, user info, any other path,
 * any other query parameter, a fragment.
 *
 * @param plainHttp true for {@code http://}
 * @param host      host name or IP literal (IPv6 without brackets)
 * @param port      TCP port of the relay, 1..65535
 * @param stunPort  STUN UDP port, 1..65535, or -1 for none
 */
public record DerpRelayUrl(boolean plainHttp, String host, int port, int stunPort) {

    /** Region id of the one-region map built for a relay URL (900..999 are for self-hosted relays). */
    public static final int REGION_ID = 900;
    /** Region code of that map. */
    public static final String REGION_CODE = "custom";
    /** Node name of that map's single node. */
    public static final String NODE_NAME = "900a";

    private static final String STUN_PARAMETER = "stun";

    /** @throws IllegalArgumentException when a value is out of range */
    public DerpRelayUrl {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("relay host is required");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("relay port must be 1..65535: " + port);
        }
        if (stunPort != DerpNode.STUN_DISABLED && (stunPort < 1 || stunPort > 65_535)) {
            throw new IllegalArgumentException("STUN port must be 1..65535 or -1: " + stunPort);
        }
    }

    /**
     * Parses a relay URL (forms in the class comment).
     *
     * @param text the URL as the user typed it
     * @return the relay
     * @throws DerpMapException with a hint for anything not accepted
     */
    public static DerpRelayUrl parse(final String text) throws DerpMapException {
        final String s = text == null ? "" : text.strip();
        final String hint = " (expected https://HOST[:PORT] or http://HOST:PORT, optionally with /derp and ?stun=PORT)";
        if (s.isEmpty()) {
            throw new DerpMapException("relay URL is empty" + hint);
        }
        if (!s.contains("://")) {
            throw new DerpMapException("relay URL \"" + s + "\" has no scheme; did you mean https://" + s
                + " or http://" + s + "?");
        }
        final URI uri;
        try {
            uri = new URI(s);
        } catch (final URISyntaxException e) {
            throw new DerpMapException("relay URL \"" + s + "\" is not a valid URL: " + e.getReason() + hint, e);
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        final boolean plain;
        if (scheme.equals("https")) {
            plain = false;
        } else if (scheme.equals("http")) {
            plain = true;
        } else {
            throw new DerpMapException("relay URL \"" + s + "\" must start with https:// or http://");
        }
        if (uri.getRawUserInfo() != null) {
            throw new DerpMapException("relay URL \"" + s + "\" must not contain user info");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new DerpMapException("relay URL \"" + s + "\" has no valid host" + hint);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!List.of("", "/", "/derp", "/derp/").contains(path)) {
            throw new DerpMapException("relay URL \"" + s + "\" has path \"" + path + "\"; only /derp is allowed");
        }
        if (uri.getRawFragment() != null) {
            throw new DerpMapException("relay URL \"" + s + "\" must not have a fragment; use ?stun=PORT");
        }
        final int port = uri.getPort() == -1 ? (plain ? DerpNode.DEFAULT_HTTP_PORT : DerpNode.DEFAULT_HTTPS_PORT)
            : uri.getPort();
        final int stunPort = stunPort(uri.getRawQuery(), s);
        try {
            return new DerpRelayUrl(plain, host, port, stunPort);
        } catch (final IllegalArgumentException e) {
            throw new DerpMapException("relay URL \"" + s + "\": " + e.getMessage(), e);
        }
    }

    private static int stunPort(final String query, final String s) throws DerpMapException {
        if (query == null) {
            return DerpNode.DEFAULT_STUN_PORT;
        }
        final String prefix = STUN_PARAMETER + "=";
        if (!query.startsWith(prefix)) {
            throw new DerpMapException("relay URL \"" + s + "\": the only query parameter allowed is stun=PORT");
        }
        final String value = query.substring(prefix.length());
        if (value.equals("-1")) {
            return DerpNode.STUN_DISABLED;
        }
        if (value.isEmpty() || value.length() > 5 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new DerpMapException("relay URL \"" + s + "\": stun must be a port 1..65535 or -1, got \"" + value
                + "\"");
        }
        final int port = Integer.parseInt(value);
        if (port < 1 || port > 65_535) {
            throw new DerpMapException("relay URL \"" + s + "\": stun must be a port 1..65535 or -1, got " + port);
        }
        return port;
    }

    /**
     * The one-region map for this relay: region {@value #REGION_ID} ({@value #REGION_CODE}), one
     * node {@value #NODE_NAME} with this host and ports. An IP-literal host is also put into the
     * node's IPv4/IPv6 field (and the other family is set to {@code "none"}) so no DNS is needed.
     *
     * @return the map
     * @throws DerpMapException when the host is not usable as a DERP node host name
     */
    public DerpMap toDerpMap() throws DerpMapException {
        String ipv4 = "";
        String ipv6 = "";
        if (IpLiterals.ipv4(host) != null) {
            ipv4 = host;
            ipv6 = "none";
        } else if (IpLiterals.ipv6(host) != null) {
            ipv4 = "none";
            ipv6 = host;
        }
        final int schemeDefault = plainHttp ? DerpNode.DEFAULT_HTTP_PORT : DerpNode.DEFAULT_HTTPS_PORT;
        try {
            final DerpNode node = new DerpNode(NODE_NAME, REGION_ID, host, "", ipv4, ipv6,
                stunPort == DerpNode.DEFAULT_STUN_PORT ? 0 : stunPort, false, port == schemeDefault ? 0 : port,
                false, "", false, plainHttp);
            return DerpMap.of(List.of(DerpRegion.of(REGION_ID, REGION_CODE, DerpNode.urlHost(host) + ":" + port,
                List.of(node))));
        } catch (final IllegalArgumentException e) {
            throw new DerpMapException("relay URL " + this + ": " + e.getMessage(), e);
        }
    }

    /** @return the canonical form, {@code scheme://host:port/derp} plus {@code ?stun=N} when not 3478 */
    @Override
    public String toString() {
        return (plainHttp ? "http" : "https") + "://" + DerpNode.urlHost(host) + ":" + port + "/derp"
            + (stunPort == DerpNode.DEFAULT_STUN_PORT ? "" : "?" + STUN_PARAMETER + "=" + stunPort);
    }
}
