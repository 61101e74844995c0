package dev.derphole.session.portmap;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import dev.derphole.session.portmap.PortmapCounters.Name;

/**
 * UPnP IGD client: finds the gateway's WAN connection service (SSDP search, then the device description) and
 * drives it over SOAP: GetExternalIPAddress, AddPortMapping (UDP, to our LAN address, lease first and permanent
 * when the router only takes permanent leases), DeletePortMapping.
 * <p>
 * Only the gateway is ever contacted: SSDP answers from other addresses are counted and dropped, and a LOCATION,
 * URLBase or controlURL naming another host is pointed back at the gateway (keeping its port and path; upstream
 * does the same for routers whose description names a floating address). URLs must be {@code http}, and paths
 * printable ASCII without spaces (they go into the request line). Every HTTP request has a deadline of at most
 * {@link #HTTP_TIMEOUT_MS} and a response cap; descriptions and SOAP bodies go through {@link SafeXml}.
 * <p>
 * Owned by one thread at a time; {@link #close()} may be called from any thread and aborts the request in flight.
 */
public final class UpnpIgdClient implements Closeable {
    /** The SSDP port. */
    public static final int SSDP_PORT = SsdpCodec.PORT;
    /** Longest wait for any one HTTP request, in ms: the gateway is one LAN hop away. */
    static final long HTTP_TIMEOUT_MS = 1000;
    /** When the M-SEARCH round is sent again if nothing answered, in ms. */
    static final long SSDP_RESEND_MS = 300;
    /** Multicast TTL of the search (UDA 1.1 recommends 2). */
    private static final int SSDP_TTL = 2;
    /** The description routers show for our mappings. */
    static final String MAPPING_DESCRIPTION = "derphole";
    static final int ERROR_INVALID_ARGS = 402;
    static final int ERROR_CONFLICT_IN_MAPPING_ENTRY = 718;
    static final int ERROR_ONLY_PERMANENT_LEASES = 725;
    private static final int MAX_PATH_CHARS = 512;
    private static final String PROTOCOL_UDP = "UDP";

    /**
     * A WAN connection service on the gateway.
     *
     * @param serviceType    the service type, the SOAP namespace (e.g. {@code ...:WANIPConnection:1})
     * @param controlAddress the gateway's address and the control port
     * @param controlPath    the control path (and query), for the request line
     */
    public record Service(String serviceType, InetSocketAddress controlAddress, String controlPath) {
        /** Validates the fields. */
        public Service {
            Objects.requireNonNull(serviceType, "serviceType");
            Objects.requireNonNull(controlAddress, "controlAddress");
            Objects.requireNonNull(controlPath, "controlPath");
        }

        @Override
        public String toString() {
            return serviceType + " at http://" + controlAddress.getAddress().getHostAddress() + ":"
                + controlAddress.getPort() + controlPath;
        }
    }

    /** An HTTP endpoint on the gateway. */
    record Endpoint(InetSocketAddress address, String path) {
    }

    private final InetAddress gateway;
    private final InetAddress lanAddress;
    private final List<InetSocketAddress> ssdpTargets;
    private final PortmapCounters counters;
    private final AtomicReference<Socket> httpInFlight = new AtomicReference<>();
    private volatile DatagramSocket ssdpSocket;
    private volatile boolean closed;

    /**
     * A client for the IGD on {@code gateway}, sending from and mapping to {@code lanAddress}, searching at
     * {@code ssdpTargets} (usually {@link #defaultSsdpTargets}; tests give a loopback responder).
     */
    public UpnpIgdClient(final InetAddress gateway, final InetAddress lanAddress,
                         final List<InetSocketAddress> ssdpTargets, final PortmapCounters counters) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.lanAddress = Objects.requireNonNull(lanAddress, "lanAddress");
        if (!(lanAddress instanceof Inet4Address) || lanAddress.isAnyLocalAddress()) {
            throw new IllegalArgumentException("lanAddress must be our IPv4 LAN address: " + lanAddress);
        }
        this.ssdpTargets = List.copyOf(ssdpTargets);
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    /** The gateway's unicast SSDP port and the SSDP multicast group, in the order upstream sends to them. */
    public static List<InetSocketAddress> defaultSsdpTargets(final InetAddress gateway) {
        return List.of(new InetSocketAddress(gateway, SSDP_PORT),
            new InetSocketAddress(ipv4Literal(SsdpCodec.MULTICAST_GROUP), SSDP_PORT));
    }

    /**
     * Finds the gateway's usable WAN connection services, best first (WANIPConnection:2, :1, WANPPPConnection:1):
     * SSDP search, then the description at the first answer's LOCATION. Empty when nothing usable answered within
     * {@code budget}. Never throws.
     */
    public List<Service> discover(final Duration budget) {
        final long deadline = System.nanoTime() + budget.toNanos();
        final SsdpCodec.Response answer = search(deadline);
        if (answer == null || closed) {
            return List.of();
        }
        final Endpoint location = resolve(null, answer.location());
        if (location == null) {
            return List.of();
        }
        final MiniHttp.Response response = http(location, "GET", null, null, new byte[0],
            SafeXml.MAX_DESCRIPTION_BYTES, deadline);
        if (response == null || response.status() != 200) {
            if (response != null) {
                counters.increment(Name.HTTP_FAILURES);
            }
            return List.of();
        }
        final IgdDescription description = IgdDescription.parse(response.body(), response.body().length);
        if (description == null) {
            counters.increment(Name.XML_MALFORMED);
            return List.of();
        }
        // Relative controlURLs resolve against URLBase if given, else the (already validated) LOCATION.
        final String base = description.urlBase() != null ? description.urlBase()
            : "http://" + location.address().getAddress().getHostAddress() + ":" + location.address().getPort()
                + location.path();
        final List<Service> out = new ArrayList<>();
        for (final IgdDescription.Service s : description.services()) {
            final Endpoint control = resolve(base, s.controlUrl());
            if (control != null) {
                out.add(new Service(s.serviceType(), control.address(), control.path()));
            }
        }
        return out;
    }

    /**
     * Maps UDP {@code externalPort} on the gateway to {@code internalPort} on our LAN address for
     * {@code leaseSeconds} (0: permanent), after checking that the service has a usable external address. A router
     * that only takes permanent leases (error 725, or 402 from some that reject the lease argument) is asked
     * again with lease 0; the mapping then has lifetime zero. Never throws.
     */
    public MapResult map(final Service service, final int externalPort, final int internalPort,
                         final long leaseSeconds, final Duration budget) {
        NatPmpClient.checkPort(externalPort, 1);
        NatPmpClient.checkPort(internalPort, 1);
        if (leaseSeconds < 0 || leaseSeconds > 0xffff_ffffL) {
            throw new IllegalArgumentException("lease out of range: " + leaseSeconds);
        }
        final long deadline = System.nanoTime() + budget.toNanos();
        final SoapCodec.Reply ext = call(service, "GetExternalIPAddress", List.of(), deadline);
        if (ext == null || ext.fault()) {
            return failed(ext);
        }
        final InetAddress external = ipv4Literal(ext.values().getOrDefault("NewExternalIPAddress", ""));
        if (!Addresses.usableExternal(external)) {
            return MapResult.Failed.of(MapResult.Failure.NO_EXTERNAL_ADDRESS);
        }
        long lease = leaseSeconds;
        SoapCodec.Reply added = call(service, "AddPortMapping", addArgs(externalPort, internalPort, lease), deadline);
        if (added != null && added.fault() && lease != 0
            && (added.errorCode() == ERROR_ONLY_PERMANENT_LEASES || added.errorCode() == ERROR_INVALID_ARGS)) {
            lease = 0;
            added = call(service, "AddPortMapping", addArgs(externalPort, internalPort, lease), deadline);
        }
        if (added == null || added.fault()) {
            return failed(added);
        }
        return new MapResult.Mapped(new Mapping(Mapping.Kind.UPNP, new InetSocketAddress(external, externalPort),
            Duration.ofSeconds(lease)), -1);
    }

    /** The service's external address, if it reports a usable one within {@code budget}. Never throws. */
    public Optional<InetAddress> externalAddress(final Service service, final Duration budget) {
        final long deadline = System.nanoTime() + budget.toNanos();
        final SoapCodec.Reply r = call(service, "GetExternalIPAddress", List.of(), deadline);
        if (r == null || r.fault()) {
            return Optional.empty();
        }
        final InetAddress a = ipv4Literal(r.values().getOrDefault("NewExternalIPAddress", ""));
        return Addresses.usableExternal(a) ? Optional.of(a) : Optional.empty();
    }

    /** Deletes the UDP mapping of {@code externalPort}; returns whether the router confirmed. Never throws. */
    public boolean delete(final Service service, final int externalPort, final Duration budget) {
        NatPmpClient.checkPort(externalPort, 1);
        final List<String[]> args = List.of(new String[] {"NewRemoteHost", ""},
            new String[] {"NewExternalPort", Integer.toString(externalPort)},
            new String[] {"NewProtocol", PROTOCOL_UDP});
        final SoapCodec.Reply r = call(service, "DeletePortMapping", args, System.nanoTime() + budget.toNanos());
        return r != null && !r.fault();
    }

    private List<String[]> addArgs(final int externalPort, final int internalPort, final long lease) {
        // Argument order is the one the WANIPConnection service description declares; some routers insist.
        return List.of(new String[] {"NewRemoteHost", ""},
            new String[] {"NewExternalPort", Integer.toString(externalPort)},
            // Upper case: some routers reject "udp" (tailscale#7377).
            new String[] {"NewProtocol", PROTOCOL_UDP},
            new String[] {"NewInternalPort", Integer.toString(internalPort)},
            new String[] {"NewInternalClient", lanAddress.getHostAddress()},
            new String[] {"NewEnabled", "1"},
            new String[] {"NewPortMappingDescription", MAPPING_DESCRIPTION},
            new String[] {"NewLeaseDuration", Long.toString(lease)});
    }

    private static MapResult.Failed failed(final SoapCodec.Reply reply) {
        if (reply == null) {
            return MapResult.Failed.of(MapResult.Failure.NO_RESPONSE);
        }
        return new MapResult.Failed(MapResult.Failure.REFUSED, Math.max(0, reply.errorCode()));
    }

    /** One SOAP call; null when the HTTP exchange failed or the body was not an acceptable reply (counted). */
    private SoapCodec.Reply call(final Service service, final String action, final List<String[]> args,
                                 final long deadline) {
        final byte[] body = SoapCodec.request(service.serviceType(), action, args);
        final MiniHttp.Response response = http(new Endpoint(service.controlAddress(), service.controlPath()), "POST",
            "text/xml; charset=\"utf-8\"", "\"" + service.serviceType() + "#" + action + "\"", body,
            SafeXml.MAX_SOAP_BYTES, deadline);
        if (response == null) {
            return null;
        }
        // UDA: success is 200, a UPnP error is 500 with a SOAP fault.
        if (response.status() != 200 && response.status() != 500) {
            counters.increment(Name.HTTP_FAILURES);
            return null;
        }
        final SoapCodec.Reply reply = SoapCodec.parse(response.body(), response.body().length, action);
        // A fault is taken with either status (some routers send it with 200); a 500 must carry one.
        if (reply == null || response.status() == 500 && !reply.fault()) {
            counters.increment(Name.XML_MALFORMED);
            return null;
        }
        if (reply.fault()) {
            counters.increment(Name.SOAP_FAULTS);
        }
        return reply;
    }

    /** One HTTP exchange within min(deadline, now + 1 s); null on failure (counted). */
    private MiniHttp.Response http(final Endpoint to, final String method, final String contentType,
                                   final String soapAction, final byte[] body, final int maxBody,
                                   final long deadline) {
        final long timeout = Math.min(deadline - System.nanoTime(), HTTP_TIMEOUT_MS * 1_000_000L);
        if (closed || timeout <= 0) {
            return null;
        }
        final StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(to.path()).append(" HTTP/1.1\r\n")
            .append("Host: ").append(to.address().getAddress().getHostAddress()).append(':')
            .append(to.address().getPort()).append("\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (soapAction != null) {
            head.append("SOAPAction: ").append(soapAction).append("\r\n");
        }
        if (body.length > 0 || "POST".equals(method)) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("Connection: close\r\nUser-Agent: derphole UPnP/1.1\r\n\r\n");
        counters.increment(Name.HTTP_REQUESTS);
        try {
            return MiniHttp.exchange(lanAddress, to.address(), head.toString(), body, timeout, maxBody, httpInFlight);
        } catch (final IOException | RuntimeException e) {
            counters.increment(Name.HTTP_FAILURES);
            return null;
        }
    }

    /** The first SSDP answer from the gateway naming an IGD service, or null by {@code deadline}. */
    private SsdpCodec.Response search(final long deadline) {
        try (DatagramSocket socket = new DatagramSocket(null)) {
            ssdpSocket = socket;
            if (closed) {
                return null;
            }
            socket.bind(new InetSocketAddress(lanAddress, 0));
            configureMulticast(socket);
            final byte[] buf = new byte[SsdpCodec.MAX_BYTES + 1];
            final DatagramPacket packet = new DatagramPacket(buf, buf.length);
            long nextSend = System.nanoTime();
            int rounds = 0;
            while (!closed) {
                final long now = System.nanoTime();
                if (now - deadline >= 0) {
                    return null;
                }
                if (rounds < 2 && now - nextSend >= 0) {
                    sendSearches(socket);
                    rounds++;
                    nextSend = now + SSDP_RESEND_MS * 1_000_000L;
                }
                final long until = rounds < 2 ? Math.min(nextSend, deadline) : deadline;
                socket.setSoTimeout((int)Math.max(1, (until - System.nanoTime() + 999_999) / 1_000_000));
                packet.setLength(buf.length);
                try {
                    socket.receive(packet);
                } catch (final SocketTimeoutException e) {
                    continue;
                }
                final SsdpCodec.Response r = onSsdp(packet);
                if (r != null) {
                    return r;
                }
            }
            return null;
        } catch (final IOException | RuntimeException e) {
            return null;
        } finally {
            ssdpSocket = null;
        }
    }

    private SsdpCodec.Response onSsdp(final DatagramPacket packet) {
        if (!gateway.equals(packet.getAddress())) {
            counters.increment(Name.SSDP_FOREIGN);
            return null;
        }
        final SsdpCodec.Response r = SsdpCodec.parse(packet.getData(), packet.getLength());
        if (r == null) {
            counters.increment(Name.SSDP_MALFORMED);
            return null;
        }
        if (!r.isGateway()) {
            counters.increment(Name.SSDP_IGNORED);
            return null;
        }
        counters.increment(Name.SSDP_RESPONSES);
        return r;
    }

    private void sendSearches(final DatagramSocket socket) {
        for (final InetSocketAddress target : ssdpTargets) {
            for (final String st : SsdpCodec.SEARCH_TARGETS) {
                final byte[] m = SsdpCodec.search(st);
                try {
                    socket.send(new DatagramPacket(m, m.length, target));
                    counters.increment(Name.SSDP_SENT);
                } catch (final IOException e) {
                    // No route to the group (or the gateway): the other target may still work.
                }
            }
        }
    }

    private void configureMulticast(final DatagramSocket socket) {
        try {
            socket.setOption(StandardSocketOptions.IP_MULTICAST_TTL, SSDP_TTL);
            final NetworkInterface nic = NetworkInterface.getByInetAddress(lanAddress);
            if (nic != null) {
                socket.setOption(StandardSocketOptions.IP_MULTICAST_IF, nic);
            }
        } catch (final IOException | UnsupportedOperationException e) {
            // Best effort: the kernel's default multicast interface is usually the LAN one.
        }
    }

    /**
     * Resolves {@code ref} against {@code base} (null: {@code ref} must be absolute) into an endpoint on the
     * gateway: http only, any other host replaced by the gateway's address, a port in 1..65535 (default 80), a
     * path of printable ASCII without spaces. Null when rejected (counted).
     */
    Endpoint resolve(final String base, final String ref) {
        final URI uri;
        try {
            URI target = new URI(ref);
            if (!target.isAbsolute()) {
                if (base == null) {
                    counters.increment(Name.URLS_REJECTED);
                    return null;
                }
                URI b = new URI(base);
                if (b.getRawPath() == null || b.getRawPath().isEmpty()) {
                    // java.net.URI resolves "x" against "http://h:p" (empty path) to "http://h:px".
                    b = new URI(b.getScheme(), b.getRawAuthority(), "/", null, null);
                }
                target = b.resolve(target);
            }
            uri = target;
        } catch (final URISyntaxException | IllegalArgumentException e) {
            counters.increment(Name.URLS_REJECTED);
            return null;
        }
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("http")
            || uri.getRawAuthority() == null) {
            counters.increment(Name.URLS_REJECTED);
            return null;
        }
        final int port = uri.getPort() == -1 ? 80 : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path = path + "?" + uri.getRawQuery();
        }
        if (port < 1 || port > 0xffff || !path.startsWith("/") || !safePath(path)) {
            counters.increment(Name.URLS_REJECTED);
            return null;
        }
        final String host = uri.getHost();
        if (host == null || !gateway.equals(ipv4Literal(host))) {
            counters.increment(Name.URLS_REPOINTED);
        }
        return new Endpoint(new InetSocketAddress(gateway, port), path);
    }

    private static boolean safePath(final String path) {
        if (path.length() > MAX_PATH_CHARS) {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            final char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** A dotted-quad IPv4 literal as an address, without any name lookup; null when {@code s} is not one. */
    static InetAddress ipv4Literal(final String s) {
        final String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        final byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            final String p = parts[i];
            if (p.isEmpty() || p.length() > 3) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                final char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return null;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return null;
            }
            b[i] = (byte)v;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (final IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closed = true;
        final DatagramSocket s = ssdpSocket;
        if (s != null) {
            s.close();
        }
        final Socket h = httpInFlight.get();
        if (h != null) {
            try {
                h.close();
            } catch (final IOException e) {
                // Closing to abort; nothing else to do.
            }
        }
    }
}
