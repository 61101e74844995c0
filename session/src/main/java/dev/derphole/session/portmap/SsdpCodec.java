package dev.derphole.session.portmap;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * SSDP (UPnP Device Architecture 1.1, section 1.3) search requests and responses. Stateless.
 * <p>
 * A search is an HTTP-over-UDP {@code M-SEARCH} to 239.255.255.250:1900 (and, as upstream does, to the gateway's
 * unicast address: many routers answer that too, and it opens stateful host firewalls for the answer to the
 * multicast one). MX 1 bounds how long a device may delay its answer (miniupnpd delays up to MX seconds when built
 * with DELAY_MSEARCH_RESPONSE). A response is {@code HTTP/1.1 200 OK} with LOCATION (the device description URL),
 * ST (the search target it answers) and USN headers.
 */
final class SsdpCodec {
    /** The SSDP multicast group. */
    static final String MULTICAST_GROUP = "239.255.255.250";
    static final int PORT = 1900;
    static final String IGD_DEVICE = "urn:schemas-upnp-org:device:InternetGatewayDevice:";
    static final String WAN_IP_SERVICE = "urn:schemas-upnp-org:service:WANIPConnection:";
    static final String WAN_PPP_SERVICE = "urn:schemas-upnp-org:service:WANPPPConnection:";
    /** What we search for: the IGD itself, and its WANIPConnection service in both versions. */
    static final List<String> SEARCH_TARGETS = List.of(IGD_DEVICE + "1", WAN_IP_SERVICE + "1", WAN_IP_SERVICE + "2");
    /** Largest SSDP datagram we accept, in bytes (one Ethernet frame's worth, with room). */
    static final int MAX_BYTES = 2048;
    static final int MAX_LOCATION_CHARS = 512;
    private static final int MAX_HEADERS = 32;
    private static final int MX_SECONDS = 1;

    /**
     * One parsed response.
     *
     * @param location the LOCATION header (description URL, not yet validated)
     * @param st       the ST header, or null
     * @param usn      the USN header, or null
     * @param server   the SERVER header, or null
     */
    record Response(String location, String st, String usn, String server) {
        /** Whether the response names an IGD or one of its WAN connection services. */
        boolean isGateway() {
            return namesGateway(st) || st == null && namesGateway(usn);
        }

        private static boolean namesGateway(final String s) {
            return s != null && (s.contains(IGD_DEVICE) || s.contains(WAN_IP_SERVICE) || s.contains(WAN_PPP_SERVICE));
        }
    }

    private SsdpCodec() {
    }

    static byte[] search(final String searchTarget) {
        return ("M-SEARCH * HTTP/1.1\r\n"
            + "HOST: " + MULTICAST_GROUP + ":" + PORT + "\r\n"
            + "MAN: \"ssdp:discover\"\r\n"
            + "MX: " + MX_SECONDS + "\r\n"
            + "ST: " + searchTarget + "\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Parses a search response; null when it is not an {@code HTTP/1.x 200} response with well-formed header lines
     * and a non-empty LOCATION of at most 512 characters. Never throws.
     */
    static Response parse(final byte[] b, final int length) {
        if (b == null || length <= 0 || length > b.length || length > MAX_BYTES) {
            return null;
        }
        final String text = new String(b, 0, length, StandardCharsets.ISO_8859_1);
        final String[] lines = text.split("\n", -1);
        final String status = stripCr(lines[0]);
        if (!status.startsWith("HTTP/1.") || status.length() < 12 || !status.startsWith(" 200", 8)
            || status.length() > 12 && status.charAt(12) != ' ') {
            return null;
        }
        String location = null;
        String st = null;
        String usn = null;
        String server = null;
        int headers = 0;
        for (int i = 1; i < lines.length; i++) {
            final String line = stripCr(lines[i]);
            if (line.isEmpty()) {
                break;
            }
            if (++headers > MAX_HEADERS) {
                return null;
            }
            final int colon = line.indexOf(':');
            if (colon <= 0) {
                return null;
            }
            final String name = line.substring(0, colon).trim().toUpperCase(Locale.ROOT);
            final String value = line.substring(colon + 1).trim();
            switch (name) {
                case "LOCATION" -> location = value;
                case "ST" -> st = value;
                case "USN" -> usn = value;
                case "SERVER" -> server = value;
                default -> {
                    // Other headers (CACHE-CONTROL, EXT, OPT, BOOTID.UPNP.ORG, ...) carry nothing we need.
                }
            }
        }
        if (location == null || location.isEmpty() || location.length() > MAX_LOCATION_CHARS) {
            return null;
        }
        return new Response(location, st, usn, server);
    }

    private static String stripCr(final String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }
}
