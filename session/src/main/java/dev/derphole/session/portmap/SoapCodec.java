package dev.derphole.session.portmap;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * SOAP 1.1 envelopes for UPnP control (UDA 1.1 section 3.2): requests in the form miniupnpc sends (explicit
 * open/close tags for every argument, in the service's namespace), and responses reduced to either the output
 * arguments of {@code <u:ActionResponse>} or the {@code errorCode} of a {@code UPnPError} fault. Stateless.
 */
final class SoapCodec {
    /** Most output arguments kept from one response. */
    private static final int MAX_VALUES = 16;
    private static final int MAX_ELEMENTS = 512;

    /**
     * One parsed response.
     *
     * @param fault     whether it was a SOAP fault
     * @param errorCode the UPnP error code of a fault (e.g. 718 ConflictInMappingEntry, 725
     *                  OnlyPermanentLeasesSupported), or -1 when a fault carries none
     * @param values    the action's output arguments by name (empty for a fault)
     */
    record Reply(boolean fault, int errorCode, Map<String, String> values) {
        Reply {
            values = Map.copyOf(values);
        }
    }

    private SoapCodec() {
    }

    /** The request body for {@code action} of {@code serviceType} with {@code args} as (name, value) pairs. */
    static byte[] request(final String serviceType, final String action, final List<String[]> args) {
        final StringBuilder sb = new StringBuilder(512);
        sb.append("<?xml version=\"1.0\"?>\r\n")
            .append("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" ")
            .append("s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">")
            .append("<s:Body><u:").append(action).append(" xmlns:u=\"").append(escape(serviceType)).append("\">");
        for (final String[] arg : args) {
            sb.append('<').append(arg[0]).append('>').append(escape(arg[1])).append("</").append(arg[0]).append('>');
        }
        sb.append("</u:").append(action).append("></s:Body></s:Envelope>\r\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String escape(final String s) {
        final StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * Parses a response to {@code action}; null when it is not acceptable XML (DTD, over-long text, too big) or
     * neither a fault nor a {@code <actionResponse>}. Never throws.
     */
    static Reply parse(final byte[] xml, final int length, final String action) {
        if (xml == null || length <= 0 || length > xml.length || length > SafeXml.MAX_SOAP_BYTES) {
            return null;
        }
        final String responseName = action + "Response";
        XMLStreamReader r = null;
        try {
            r = SafeXml.reader(xml, length);
            boolean fault = false;
            boolean sawResponse = false;
            int errorCode = -1;
            final Map<String, String> values = new LinkedHashMap<>();
            int depth = 0;
            int responseDepth = -1;
            int elements = 0;
            while (r.hasNext()) {
                final int event = r.next();
                if (event == XMLStreamReader.DTD) {
                    return null;
                }
                if (event == XMLStreamReader.END_ELEMENT) {
                    if (depth == responseDepth) {
                        responseDepth = -1;
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
                if (name.equals("Fault")) {
                    fault = true;
                } else if (fault && name.equals("errorCode")) {
                    final String text = SafeXml.text(r);
                    depth--;
                    errorCode = parseCode(text);
                } else if (!fault && name.equals(responseName) && responseDepth < 0) {
                    sawResponse = true;
                    responseDepth = depth;
                } else if (responseDepth > 0 && depth == responseDepth + 1) {
                    final String text = SafeXml.text(r);
                    if (text == null) {
                        return null;
                    }
                    depth--;
                    if (values.size() < MAX_VALUES) {
                        values.putIfAbsent(name, text);
                    }
                }
            }
            if (fault) {
                return new Reply(true, errorCode, Map.of());
            }
            return sawResponse ? new Reply(false, -1, values) : null;
        } catch (final XMLStreamException | RuntimeException e) {
            return null;
        } finally {
            IgdDescription.close(r);
        }
    }

    private static int parseCode(final String text) {
        if (text == null || text.isEmpty() || text.length() > 4) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
