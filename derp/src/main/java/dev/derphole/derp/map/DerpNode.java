package dev.derphole.derp.map;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One DERP (and/or STUN) server, Tailscale's {@code tailcfg.DERPNode}. The components hold the JSON
 * fields as written (so a map round-trips exactly); the methods below them derive what a client needs.
 *
 * <p>TLS: {@link #insecureForTests()} nodes still use HTTPS, exactly as Tailscale does
 * ({@code derphttp} sets {@code InsecureSkipVerify} and keeps TLS); we do not downgrade them to
 * plain HTTP, because a map from an untrusted source could otherwise strip encryption silently.
 * Plain HTTP exists only through {@link #plainHttp()}, our extension, which is set for relays given
 * as {@code http://} URLs ({@code --derp-url}) and for map entries that ask for it explicitly
 * ({@code "DerpholePlainHTTP": true}; Tailscale ignores the unknown key).
 *
 * @param name             unique node name such as {@code "1c"} (not a host name); may be empty
 * @param regionId         id of the region this node is in, positive
 * @param hostName         DNS name or IP literal (IPv6 without brackets) to dial and to send as TLS SNI
 * @param certName         expected certificate name if not {@code hostName}; empty for none; a
 *                         {@code "sha256-raw:<hex>"} value pins the certificate's SHA-256 instead
 * @param ipv4             IPv4 literal to dial instead of DNS; empty to use DNS A records; anything
 *                         that is not an IPv4 literal (conventionally {@code "none"}) disables IPv4
 * @param ipv6             as {@code ipv4}, for IPv6
 * @param stunPort         STUN UDP port; 0 means {@value #DEFAULT_STUN_PORT}, -1 disables STUN
 * @param stunOnly         a STUN server only, never a DERP target
 * @param derpPort         DERP TCP port; 0 means 443 (HTTPS) or 80 ({@link #plainHttp()})
 * @param insecureForTests skip TLS certificate verification (tests only)
 * @param stunTestIp       IP literal that overrides where STUN goes (tests); empty for none
 * @param canPort80        the node also answers plain HTTP on port 80 (captive-portal checks)
 * @param plainHttp        derphole extension: speak DERP over plain HTTP instead of HTTPS
 */
public record DerpNode(
    String name,
    int regionId,
    String hostName,
    String certName,
    String ipv4,
    String ipv6,
    int stunPort,
    boolean stunOnly,
    int derpPort,
    boolean insecureForTests,
    String stunTestIp,
    boolean canPort80,
    boolean plainHttp) {

    /** STUN port used when {@link #stunPort()} is 0 (RFC 5389 §18.4). */
    public static final int DEFAULT_STUN_PORT = 3478;
    /** {@link #stunPort()} value that disables STUN on the node. */
    public static final int STUN_DISABLED = -1;
    /** DERP port used for HTTPS when {@link #derpPort()} is 0. */
    public static final int DEFAULT_HTTPS_PORT = 443;
    /** DERP port used for plain HTTP when {@link #derpPort()} is 0. */
    public static final int DEFAULT_HTTP_PORT = 80;
    /** Prefix of a {@link #certName()} that pins the certificate by SHA-256 (tailcfg.DERPNode). */
    public static final String CERT_SHA256_PREFIX = "sha256-raw:";

    private static final int MAX_PORT = 65_535;
    private static final int MAX_HOST_NAME_LENGTH = 253;

    /**
     * Validates the node. Null strings become empty.
     *
     * @throws IllegalArgumentException with a message naming the field when a value is out of range
     */
    public DerpNode {
        name = Objects.requireNonNullElse(name, "");
        hostName = Objects.requireNonNullElse(hostName, "");
        certName = Objects.requireNonNullElse(certName, "");
        ipv4 = Objects.requireNonNullElse(ipv4, "");
        ipv6 = Objects.requireNonNullElse(ipv6, "");
        stunTestIp = Objects.requireNonNullElse(stunTestIp, "");
        if (regionId <= 0) {
            throw new IllegalArgumentException("RegionID must be positive: " + regionId);
        }
        if (hostName.isEmpty()) {
            throw new IllegalArgumentException("HostName is required");
        }
        if (!isValidHostName(hostName)) {
            throw new IllegalArgumentException("HostName is not a host name or IP literal: \"" + hostName + "\"");
        }
        if (stunPort < STUN_DISABLED || stunPort > MAX_PORT) {
            throw new IllegalArgumentException("STUNPort must be -1 (disabled), 0 (default) or 1..65535: " + stunPort);
        }
        if (derpPort < 0 || derpPort > MAX_PORT) {
            throw new IllegalArgumentException("DERPPort must be 0 (default) or 1..65535: " + derpPort);
        }
        if (!stunTestIp.isEmpty() && IpLiterals.any(stunTestIp) == null) {
            throw new IllegalArgumentException("STUNTestIP is not an IP literal: \"" + stunTestIp + "\"");
        }
    }

    /**
     * A plain node with DNS addresses and default ports.
     *
     * @param name     node name
     * @param regionId region id
     * @param hostName host name or IP literal
     * @return the node
     */
    public static DerpNode of(final String name, final int regionId, final String hostName) {
        return new DerpNode(name, regionId, hostName, "", "", "", 0, false, 0, false, "", false, false);
    }

    /** @return true when this node relays DERP traffic (it is not {@link #stunOnly()}) */
    public boolean isDerp() {
        return !stunOnly;
    }

    /** @return {@code "http"} for {@link #plainHttp()} nodes, else {@code "https"} */
    public String scheme() {
        return plainHttp ? "http" : "https";
    }

    /** @return the DERP TCP port with the default applied (443, or 80 for plain HTTP) */
    public int effectiveDerpPort() {
        if (derpPort != 0) {
            return derpPort;
        }
        return plainHttp ? DEFAULT_HTTP_PORT : DEFAULT_HTTPS_PORT;
    }

    /**
     * @return {@code scheme://HostName[:port]/derp}; the port is omitted when it is the scheme's
     *     default, IPv6 literals are bracketed (tailscale derphttp {@code urlString})
     */
    public URI derpUrl() {
        final int port = effectiveDerpPort();
        final int schemeDefault = plainHttp ? DEFAULT_HTTP_PORT : DEFAULT_HTTPS_PORT;
        return URI.create(scheme() + "://" + urlHost(hostName) + (port == schemeDefault ? "" : ":" + port) + "/derp");
    }

    /**
     * @return the name the server certificate must be valid for: {@link #certName()} if set, else
     *     {@link #hostName()}. The TLS ClientHello (SNI) always carries {@link #hostName()}. For a
     *     {@code sha256-raw:} pin see {@link #certSha256Pin()}.
     */
    public String tlsServerName() {
        return certName.isEmpty() ? hostName : certName;
    }

    /** @return the lower-case hex SHA-256 the certificate must have, when {@link #certName()} pins one */
    public Optional<String> certSha256Pin() {
        return certName.startsWith(CERT_SHA256_PREFIX)
            ? Optional.of(certName.substring(CERT_SHA256_PREFIX.length()).toLowerCase(java.util.Locale.ROOT))
            : Optional.empty();
    }

    /** @return false when {@link #insecureForTests()} asks to skip certificate verification */
    public boolean verifyTls() {
        return !insecureForTests;
    }

    /** @return the fixed IPv4 address from {@link #ipv4()}, if it holds an IPv4 literal */
    public Optional<Inet4Address> ipv4Address() {
        return Optional.ofNullable(IpLiterals.ipv4(ipv4));
    }

    /** @return the fixed IPv6 address from {@link #ipv6()}, if it holds an IPv6 literal */
    public Optional<Inet6Address> ipv6Address() {
        return Optional.ofNullable(IpLiterals.ipv6(ipv6));
    }

    /** @return whether IPv4 is dialled at all (field empty: DNS; field a literal: that address) */
    public boolean dialsIpv4() {
        return ipv4.isEmpty() || IpLiterals.ipv4(ipv4) != null;
    }

    /** @return whether IPv6 is dialled at all (field empty: DNS; field a literal: that address) */
    public boolean dialsIpv6() {
        return ipv6.isEmpty() || IpLiterals.ipv6(ipv6) != null;
    }

    /** @return STUN is enabled on this node ({@link #stunPort()} is not -1) */
    public boolean stunEnabled() {
        return stunPort != STUN_DISABLED;
    }

    /** @return where STUN goes: {@link #stunTestIp()} if set, else {@link #hostName()} */
    public String stunHost() {
        return stunTestIp.isEmpty() ? hostName : stunTestIp;
    }

    /** @return the STUN UDP port with the default applied, or -1 when STUN is disabled */
    public int effectiveStunPort() {
        return stunPort == 0 ? DEFAULT_STUN_PORT : stunPort;
    }

    /**
     * The addresses to dial for DERP, IPv4 first then IPv6: for each family the literal from
     * {@link #ipv4()}/{@link #ipv6()}, or the host name's DNS records of that family when the field
     * is empty, or nothing when the field disables the family. DNS is asked only when a field is
     * empty; if DNS fails but a literal exists, the literals are returned.
     *
     * @param resolver DNS lookup (use {@link HostResolver#SYSTEM} in production)
     * @return at least one address
     * @throws UnknownHostException when no address results
     */
    public List<InetAddress> dialAddresses(final HostResolver resolver) throws UnknownHostException {
        final List<InetAddress> v4 = new ArrayList<>();
        final List<InetAddress> v6 = new ArrayList<>();
        ipv4Address().ifPresent(v4::add);
        ipv6Address().ifPresent(v6::add);
        final boolean dns4 = ipv4.isEmpty();
        final boolean dns6 = ipv6.isEmpty();
        if (dns4 || dns6) {
            try {
                for (final InetAddress a : resolver.resolve(hostName)) {
                    if (a instanceof Inet4Address && dns4 && !v4.contains(a)) {
                        v4.add(a);
                    } else if (a instanceof Inet6Address && dns6 && !v6.contains(a)) {
                        v6.add(a);
                    }
                }
            } catch (final UnknownHostException e) {
                if (v4.isEmpty() && v6.isEmpty()) {
                    throw e;
                }
            }
        }
        v4.addAll(v6);
        if (v4.isEmpty()) {
            throw new UnknownHostException("no usable address for DERP node " + hostName
                + " (IPv4 \"" + ipv4 + "\", IPv6 \"" + ipv6 + "\")");
        }
        return List.copyOf(v4);
    }

    /**
     * The STUN server addresses of this node: {@link #stunTestIp()} if set, else
     * {@link #dialAddresses(HostResolver)}, each with {@link #effectiveStunPort()}.
     *
     * @param resolver DNS lookup
     * @return the addresses; empty when STUN is disabled
     * @throws UnknownHostException when STUN is enabled but no address results
     */
    public List<InetSocketAddress> stunAddresses(final HostResolver resolver) throws UnknownHostException {
        if (!stunEnabled()) {
            return List.of();
        }
        final int port = effectiveStunPort();
        if (!stunTestIp.isEmpty()) {
            return List.of(new InetSocketAddress(IpLiterals.any(stunTestIp), port));
        }
        final List<InetSocketAddress> out = new ArrayList<>();
        for (final InetAddress a : dialAddresses(resolver)) {
            out.add(new InetSocketAddress(a, port));
        }
        return List.copyOf(out);
    }

    /** @return the same node with another region id (used when a map entry omits RegionID) */
    DerpNode withRegionId(final int newRegionId) {
        return new DerpNode(name, newRegionId, hostName, certName, ipv4, ipv6, stunPort, stunOnly, derpPort,
            insecureForTests, stunTestIp, canPort80, plainHttp);
    }

    static String urlHost(final String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private static boolean isValidHostName(final String host) {
        if (host.indexOf(':') >= 0) {
            return IpLiterals.ipv6(host) != null;
        }
        if (host.length() > MAX_HOST_NAME_LENGTH) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** DNS lookup used to find a node's addresses; replaceable in tests. */
    @FunctionalInterface
    public interface HostResolver {
        /** The JDK's resolver ({@link InetAddress#getAllByName}); IP literals never touch DNS. */
        HostResolver SYSTEM = InetAddress::getAllByName;

        /**
         * @param host host name or IP literal
         * @return its addresses, any family
         * @throws UnknownHostException when the name does not resolve
         */
        InetAddress[] resolve(String host) throws UnknownHostException;
    }
}
