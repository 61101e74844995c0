package dev.derphole.session.portmap;

import java.util.ArrayList;
import java.util.List;

import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A UPnP device description, reduced to what port mapping needs: the optional {@code URLBase} and, for every
 * {@code service} element anywhere in the device tree (the WAN connection services sit two devices deep:
 * InternetGatewayDevice / WANDevice / WANConnectionDevice), its serviceType and controlURL. Only the services we
 * can use are kept, best first: WANIPConnection:2, WANIPConnection:1, WANPPPConnection:1. Immutable.
 *
 * @param urlBase  the URLBase element (UDA 1.0; deprecated in 1.1), or null
 * @param services usable services, best first
 */
record IgdDescription(String urlBase, List<Service> services) {
    static final String WAN_IP_2 = SsdpCodec.WAN_IP_SERVICE + "2";
    static final String WAN_IP_1 = SsdpCodec.WAN_IP_SERVICE + "1";
    static final String WAN_PPP_1 = SsdpCodec.WAN_PPP_SERVICE + "1";
    /** Preference order of the service types we can drive. */
    static final List<String> USABLE_TYPES = List.of(WAN_IP_2, WAN_IP_1, WAN_PPP_1);
    /** Cap on services kept from one description. */
    static final int MAX_SERVICES = 8;
    private static final int MAX_ELEMENTS = 4096;

    /**
     * One service of a usable type.
     *
     * @param serviceType e.g. {@code urn:schemas-upnp-org:service:WANIPConnection:1}
     * @param controlUrl  the controlURL as written (relative or absolute; not yet validated)
     */
    record Service(String serviceType, String controlUrl) {
    }

    IgdDescription {
        services = List.copyOf(services);
    }

    /**
     * Parses a description; null when the bytes are not well-formed XML we accept (a DTD, over-long text, more than
     * 4096 elements, more than 64 KiB). A well-formed description without usable services has an empty list.
     * Never throws.
     */
    static IgdDescription parse(final byte[] xml, final int length) {
        if (xml == null || length <= 0 || length > xml.length || length > SafeXml.MAX_DESCRIPTION_BYTES) {
            return null;
        }
        XMLStreamReader r = null;
        try {
            r = SafeXml.reader(xml, length);
            String urlBase = null;
            final List<Service> found = new ArrayList<>();
            int depth = 0;
            int elements = 0;
            String type = null;
            String control = null;
            int serviceDepth = -1;
            while (r.hasNext()) {
                final int event = r.next();
                if (event == XMLStreamReader.DTD) {
                    return null;
                }
                if (event == XMLStreamReader.END_ELEMENT) {
                    if (depth == serviceDepth) {
                        if (type != null && control != null && !control.isEmpty()
                            && USABLE_TYPES.contains(type) && found.size() < MAX_SERVICES) {
                            found.add(new Service(type, control));
                        }
                        serviceDepth = -1;
                    }
                    depth--;
                    continue;
                }
                if (event != XMLStreamReader.START_ELEMENT) {
                    continue;
                }
                depth++;
                if (++elements > MAX_ELEMENTS) {
                    return null;
                }
                final String name = r.getLocalName();
                if (name.equals("service") && serviceDepth < 0) {
                    serviceDepth = depth;
                    type = null;
                    control = null;
                } else if (serviceDepth > 0 && depth == serviceDepth + 1
                    && (name.equals("serviceType") || name.equals("controlURL"))) {
                    final String text = SafeXml.text(r);
                    if (text == null) {
                        return null;
                    }
                    depth--;
                    if (name.equals("serviceType")) {
                        type = text;
                    } else {
                        control = text;
                    }
                } else if (depth == 2 && name.equals("URLBase")) {
                    urlBase = SafeXml.text(r);
                    if (urlBase == null) {
                        return null;
                    }
                    depth--;
                }
            }
            found.sort((a, b) -> Integer.compare(USABLE_TYPES.indexOf(a.serviceType),
                USABLE_TYPES.indexOf(b.serviceType)));
            return new IgdDescription(urlBase == null || urlBase.isEmpty() ? null : urlBase, found);
        } catch (final XMLStreamException | RuntimeException e) {
            return null;
        } finally {
            close(r);
        }
    }

    static void close(final XMLStreamReader r) {
        if (r != null) {
            try {
                r.close();
            } catch (final XMLStreamException e) {
                // Nothing to release for an in-memory stream.
            }
        }
    }
}
