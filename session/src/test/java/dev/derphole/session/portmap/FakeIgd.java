package dev.derphole.session.portmap;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A UPnP IGD on loopback: an SSDP responder (unicast, on a random port of {@code ssdpBind}) answering M-SEARCH
 * with a LOCATION on a tiny HTTP server that serves a device description and answers SOAP like miniupnpd
 * (200 with {@code <u:ActionResponse>}, or 500 with a UPnPError fault). Settings are volatile and may change
 * while it runs.
 */
final class FakeIgd implements AutoCloseable {
    static final String WAN_IP_1 = "urn:schemas-upnp-org:service:WANIPConnection:1";
    static final String WAN_IP_2 = "urn:schemas-upnp-org:service:WANIPConnection:2";
    static final String WAN_PPP_1 = "urn:schemas-upnp-org:service:WANPPPConnection:1";
    private static final Pattern ARG = Pattern.compile("<(New[A-Za-z]+)>([^<]*)</New[A-Za-z]+>");

    /**
     * One SOAP call received.
     *
     * @param path       request path
     * @param soapAction the SOAPAction header
     * @param action     the action name
     * @param args       arguments by name
     */
    record Call(String path, String soapAction, String action, Map<String, String> args) {
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final List<String> searches = new CopyOnWriteArrayList<>();

    /**
     * The M-SEARCHes seen once there are {@code count} (or after 5 s): the client may return on the first answer
     * while this fake's thread still records the copies sent with it.
     */
    List<String> awaitSearches(final int count) throws InterruptedException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (searches.size() < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return searches;
    }
    final List<String> descriptionPaths = new CopyOnWriteArrayList<>();
    /** Active mappings: external port to lease. */
    final Map<Integer, Long> mappings = new ConcurrentHashMap<>();
    volatile String serviceType = WAN_IP_1;
    volatile String controlUrl = "/ctl/IPConn";
    volatile String urlBase;
    volatile String descriptionPath = "/rootDesc.xml";
    /** LOCATION host; null means 127.0.0.1. */
    volatile String locationHost;
    volatile String locationScheme = "http";
    volatile String externalIp = "198.51.100.9";
    volatile boolean onlyPermanentLeases;
    volatile int refuseAllWith;
    volatile Set<Integer> conflictPorts = Set.of();
    volatile boolean chunkedDescription;
    volatile boolean ssdpSilent;
    volatile String extraDescriptionServices = "";

    private final DatagramSocket ssdp;
    private final HttpServer http;
    private final Thread ssdpThread;

    FakeIgd() throws IOException {
        this(InetAddress.getLoopbackAddress());
    }

    FakeIgd(final InetAddress ssdpBind) throws IOException {
        ssdp = new DatagramSocket(new InetSocketAddress(ssdpBind, 0));
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        http.createContext("/", this::handle);
        http.start();
        ssdpThread = Thread.ofPlatform().name("fake-ssdp").daemon(true).start(this::serveSsdp);
    }

    InetSocketAddress ssdpAddress() {
        return new InetSocketAddress(ssdp.getLocalAddress(), ssdp.getLocalPort());
    }

    int httpPort() {
        return http.getAddress().getPort();
    }

    List<Call> calls(final String action) {
        return calls.stream().filter(c -> c.action.equals(action)).toList();
    }

    private void serveSsdp() {
        final byte[] buf = new byte[2048];
        final DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!ssdp.isClosed()) {
            try {
                p.setLength(buf.length);
                ssdp.receive(p);
                final String req = new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII);
                searches.add(req);
                if (ssdpSilent || !req.startsWith("M-SEARCH * HTTP/1.1\r\n")) {
                    continue;
                }
                final Matcher st = Pattern.compile("(?m)^ST: ([^\r\n]*)").matcher(req);
                final String target = st.find() ? st.group(1) : "ssdp:all";
                final String host = locationHost != null ? locationHost : "127.0.0.1";
                final String resp = "HTTP/1.1 200 OK\r\n"
                    + "CACHE-CONTROL: max-age=1800\r\n"
                    + "ST: " + target + "\r\n"
                    + "USN: uuid:fake::" + target + "\r\n"
                    + "EXT:\r\n"
                    + "SERVER: Debian/12 UPnP/1.1 MiniUPnPd/2.3.3\r\n"
                    + "LOCATION: " + locationScheme + "://" + host + ":" + httpPort() + descriptionPath + "\r\n"
                    + "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n"
                    + "01-NLS: 1\r\n"
                    + "\r\n";
                final byte[] out = resp.getBytes(StandardCharsets.US_ASCII);
                ssdp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (final IOException e) {
                return;
            }
        }
    }

    String description() {
        final String base = urlBase == null ? "" : "<URLBase>" + urlBase + "</URLBase>";
        return "<?xml version=\"1.0\"?>\r\n"
            + "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion><major>1</major><minor>1</minor>"
            + "</specVersion>" + base + "<device>"
            + "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>"
            + "<friendlyName>fake router</friendlyName>"
            + "<serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>"
            + "<serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><controlURL>/ctl/L3F</controlURL>"
            + "</service></serviceList>"
            + "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>"
            + "<serviceList><service>"
            + "<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>"
            + "<controlURL>/ctl/CmnIfCfg</controlURL></service></serviceList>"
            + "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>"
            + "<serviceList>" + extraDescriptionServices + "<service><serviceType>" + serviceType + "</serviceType>"
            + "<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>"
            + "<controlURL>" + controlUrl + "</controlURL><eventSubURL>/evt/IPConn</eventSubURL>"
            + "<SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>"
            + "</device></deviceList></device></deviceList></device></root>";
    }

    private void handle(final HttpExchange ex) throws IOException {
        try (ex) {
            final String path = ex.getRequestURI().getRawPath();
            if ("GET".equals(ex.getRequestMethod())) {
                descriptionPaths.add(path);
                if (!path.equals(descriptionPath)) {
                    respond(ex, 404, "", false);
                    return;
                }
                respond(ex, 200, description(), chunkedDescription);
                return;
            }
            final String soapAction = ex.getRequestHeaders().getFirst("SOAPAction");
            final String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            final String action = soapAction == null ? "" : soapAction.replaceAll("^\".*#|\"$", "");
            final Map<String, String> args = new LinkedHashMap<>();
            final Matcher m = ARG.matcher(body);
            while (m.find()) {
                args.put(m.group(1), m.group(2));
            }
            calls.add(new Call(path, soapAction, action, args));
            if (refuseAllWith != 0) {
                fault(ex, refuseAllWith, "Refused");
                return;
            }
            switch (action) {
                case "GetExternalIPAddress" -> ok(ex, action,
                    "<NewExternalIPAddress>" + externalIp + "</NewExternalIPAddress>");
                case "AddPortMapping" -> {
                    final int port = Integer.parseInt(args.getOrDefault("NewExternalPort", "0"));
                    final long lease = Long.parseLong(args.getOrDefault("NewLeaseDuration", "0"));
                    if (onlyPermanentLeases && lease != 0) {
                        fault(ex, 725, "OnlyPermanentLeasesSupported");
                    } else if (conflictPorts.contains(port)) {
                        fault(ex, 718, "ConflictInMappingEntry");
                    } else {
                        mappings.put(port, lease);
                        ok(ex, action, "");
                    }
                }
                case "DeletePortMapping" -> {
                    final int port = Integer.parseInt(args.getOrDefault("NewExternalPort", "0"));
                    if (mappings.remove(port) == null) {
                        fault(ex, 714, "NoSuchEntryInArray");
                    } else {
                        ok(ex, action, "");
                    }
                }
                default -> fault(ex, 401, "Invalid Action");
            }
        }
    }

    private void ok(final HttpExchange ex, final String action, final String inner) throws IOException {
        final String ns = serviceType;
        respond(ex, 200, "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
            + " s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:" + action + "Response"
            + " xmlns:u=\"" + ns + "\">" + inner + "</u:" + action + "Response></s:Body></s:Envelope>\r\n", false);
    }

    private void fault(final HttpExchange ex, final int code, final String text) throws IOException {
        respond(ex, 500, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
            + " s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault>"
            + "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
            + "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" + code + "</errorCode>"
            + "<errorDescription>" + text + "</errorDescription></UPnPError></detail></s:Fault></s:Body>"
            + "</s:Envelope>", false);
    }

    private static void respond(final HttpExchange ex, final int status, final String body, final boolean chunked)
        throws IOException {
        final byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/xml; charset=\"utf-8\"");
        ex.sendResponseHeaders(status, chunked ? 0 : b.length == 0 ? -1 : b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        ssdp.close();
        http.stop(0);
        try {
            ssdpThread.join(1000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
