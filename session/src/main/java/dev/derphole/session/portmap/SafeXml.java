package dev.derphole.session.portmap;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The JDK's StAX parser, hardened for XML from the network: no DTDs (a document that has one is rejected), no
 * external entities, no entity expansion, no external DTD or schema access, and a size cap on the input before it
 * is parsed. The built-in JDK implementation is used explicitly, so another one on the class path cannot change
 * these settings. The factory is configured once and then only creates readers, which is thread-safe.
 * <p>
 * Bytes are decoded here, strictly as UTF-8 (UDA requires it; a UTF-8 byte order mark is skipped), and the parser
 * reads characters: left to decode bytes itself, the JDK parser prints "[Fatal Error]" lines to stderr for invalid
 * byte sequences whatever reporter is set, and we never log per packet.
 */
final class SafeXml {
    /** Cap on a device description, in bytes (miniupnpd's is about 5 KB; some routers add icons and more). */
    static final int MAX_DESCRIPTION_BYTES = 64 * 1024;
    /** Cap on a SOAP response, in bytes. */
    static final int MAX_SOAP_BYTES = 16 * 1024;
    /** Cap on any one text value we keep, in characters. */
    static final int MAX_TEXT_CHARS = 512;

    private static final XMLInputFactory FACTORY = newFactory();

    private SafeXml() {
    }

    private static XMLInputFactory newFactory() {
        final XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, Boolean.FALSE);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_COALESCING, Boolean.TRUE);
        f.setProperty(XMLInputFactory.IS_VALIDATING, Boolean.FALSE);
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        // No reporter: the default one would print to stderr; errors surface as exceptions we count.
        f.setXMLReporter((message, errorType, relatedInformation, location) -> {
            throw new XMLStreamException(message);
        });
        return f;
    }

    /**
     * A reader over the first {@code length} bytes of {@code xml}, decoded as UTF-8; the caller closes it.
     *
     * @throws XMLStreamException when the bytes are not valid UTF-8
     */
    static XMLStreamReader reader(final byte[] xml, final int length) throws XMLStreamException {
        final int bom = length >= 3 && xml[0] == (byte)0xef && xml[1] == (byte)0xbb && xml[2] == (byte)0xbf ? 3 : 0;
        final String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(xml, bom, length - bom)).toString();
        } catch (final CharacterCodingException e) {
            throw new XMLStreamException("not UTF-8", e);
        }
        return FACTORY.createXMLStreamReader(new StringReader(text));
    }

    /**
     * The text content of the element the reader is at, trimmed, or null when the element has child elements or
     * its text is longer than {@link #MAX_TEXT_CHARS}. Leaves the reader at the element's end tag (or, on null,
     * wherever it stopped: callers then reject the document).
     */
    static String text(final XMLStreamReader r) throws XMLStreamException {
        final StringBuilder sb = new StringBuilder();
        while (r.hasNext()) {
            final int event = r.next();
            switch (event) {
                case XMLStreamReader.CHARACTERS, XMLStreamReader.CDATA, XMLStreamReader.SPACE -> {
                    if (sb.length() + r.getTextLength() > MAX_TEXT_CHARS) {
                        return null;
                    }
                    sb.append(r.getTextCharacters(), r.getTextStart(), r.getTextLength());
                }
                case XMLStreamReader.END_ELEMENT -> {
                    return sb.toString().trim();
                }
                case XMLStreamReader.COMMENT, XMLStreamReader.PROCESSING_INSTRUCTION -> {
                    // Skipped.
                }
                default -> {
                    return null;
                }
            }
        }
        return null;
    }
}
