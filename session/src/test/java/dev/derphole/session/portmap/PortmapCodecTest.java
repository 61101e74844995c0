package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Wire layouts and strictness of the NAT-PMP, PCP, SSDP, HTTP, description and SOAP codecs. */
@Timeout(30)
class PortmapCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- NAT-PMP ----

    @Test
    void shouldLayOutNatPmpRequests() {
        assertThat(HEX.formatHex(NatPmpCodec.externalAddressRequest())).isEqualTo("0000");
        assertThat(HEX.formatHex(NatPmpCodec.mapRequest(41641, 50000, 7200))).isEqualTo("00010000a2a9c35000001c20");
        assertThat(HEX.formatHex(NatPmpCodec.mapRequest(41641, 0, 0))).isEqualTo("00010000a2a9000000000000");
    }

    @Test
    void shouldParseNatPmpResponsesStrictly() {
        final NatPmpCodec.Response a = NatPmpCodec.parse(PortmapSamples.PMP_ADDRESS, 12);
        assertThat(a.opcode()).isEqualTo(128);
        assertThat(a.epochSeconds()).isEqualTo(1000);
        assertThat(a.externalAddress().getHostAddress()).isEqualTo("203.0.113.7");
        final NatPmpCodec.Response m = NatPmpCodec.parse(PortmapSamples.PMP_MAP, 16);
        assertThat(List.of(m.opcode(), m.internalPort(), m.externalPort())).containsExactly(129, 41641, 41641);
        assertThat(m.lifetimeSeconds()).isEqualTo(7200);

        // A success must have its exact length; an error may be the bare 8-byte header.
        assertThat(NatPmpCodec.parse(Arrays.copyOf(PortmapSamples.PMP_MAP, 12), 12)).isNull();
        assertThat(NatPmpCodec.parse(Arrays.copyOf(PortmapSamples.PMP_ADDRESS, 16), 16)).isNull();
        assertThat(NatPmpCodec.parse(Arrays.copyOf(PortmapSamples.PMP_MAP, 8), 8)).isNull();
        final byte[] unsupported = HEX.parseHex("0081000100000001");
        assertThat(NatPmpCodec.parse(unsupported, 8).resultCode()).isEqualTo(1);
        // Wrong version, not a reply, too short, too long.
        assertThat(NatPmpCodec.parse(HEX.parseHex("01800000000003e8cb007107"), 12)).isNull();
        assertThat(NatPmpCodec.parse(HEX.parseHex("00000000000003e8cb007107"), 12)).isNull();
        assertThat(NatPmpCodec.parse(PortmapSamples.PMP_ADDRESS, 7)).isNull();
        assertThat(NatPmpCodec.parse(new byte[17], 17)).isNull();
        assertThat(NatPmpCodec.parse(PortmapSamples.PMP_ADDRESS, 13)).isNull();
    }

    // ---- PCP ----

    @Test
    void shouldLayOutAPcpMapRequest() throws Exception {
        final byte[] req = PcpCodec.mapRequest(PortmapSamples.PCP_NONCE, InetAddress.getByName("192.168.1.20"),
            41641, 41641, InetAddress.getByName("203.0.113.7"), 7200);

        assertThat(HEX.formatHex(req)).isEqualTo("0201000000001c2000000000000000000000ffffc0a80114"
            + "0102030405060708090a0b0c11000000a2a9a2a900000000000000000000ffffcb007107");
    }

    @Test
    void shouldParsePcpResponsesStrictly() {
        final PcpCodec.Response r = PcpCodec.parse(PortmapSamples.PCP_MAP, 60);
        assertThat(r.nonce()).isEqualTo(PortmapSamples.PCP_NONCE);
        assertThat(List.of(r.version(), r.opcode(), r.resultCode(), r.protocol(), r.internalPort(), r.externalPort()))
            .containsExactly(2, 0x81, 0, 17, 41641, 41641);
        assertThat(r.lifetimeSeconds()).isEqualTo(7200);
        assertThat(r.epochSeconds()).isEqualTo(1000);
        assertThat(r.externalAddress().getHostAddress()).isEqualTo("203.0.113.7");

        // Options after the body are allowed (multiple of 4); odd lengths, short successes and other versions not.
        assertThat(PcpCodec.parse(Arrays.copyOf(PortmapSamples.PCP_MAP, 64), 64)).isNotNull();
        assertThat(PcpCodec.parse(Arrays.copyOf(PortmapSamples.PCP_MAP, 62), 62)).isNull();
        assertThat(PcpCodec.parse(Arrays.copyOf(PortmapSamples.PCP_MAP, 24), 24)).isNull();
        assertThat(PcpCodec.parse(new byte[1104], 1104)).isNull();
        final byte[] v1 = PortmapSamples.PCP_MAP.clone();
        v1[0] = 1;
        assertThat(PcpCodec.parse(v1, 60)).isNull();
        v1[3] = PcpCodec.RESULT_UNSUPP_VERSION;
        assertThat(PcpCodec.parse(v1, 60).resultCode()).isEqualTo(1);
        // A bare-header error is kept (it cannot name its request); a request (no R bit) is not a response.
        final byte[] error = Arrays.copyOf(PortmapSamples.PCP_MAP, 24);
        error[3] = PcpCodec.RESULT_ADDRESS_MISMATCH;
        assertThat(PcpCodec.parse(error, 24).hasMapBody()).isFalse();
        final byte[] request = PortmapSamples.PCP_MAP.clone();
        request[1] = 1;
        assertThat(PcpCodec.parse(request, 60)).isNull();
        // An external address that is not IPv4-mapped has no IPv4 address.
        final byte[] v6 = PortmapSamples.PCP_MAP.clone();
        v6[44] = 0x20;
        assertThat(PcpCodec.parse(v6, 60).externalAddress()).isNull();
    }

    // ---- SSDP ----

    @Test
    void shouldBuildAnMSearch() {
        assertThat(new String(SsdpCodec.search(SsdpCodec.SEARCH_TARGETS.getFirst()), StandardCharsets.US_ASCII))
            .isEqualTo("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
                + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n");
    }

    @Test
    void shouldParseAMiniupnpdSearchResponse() {
        final SsdpCodec.Response r = SsdpCodec.parse(PortmapSamples.SSDP, PortmapSamples.SSDP.length);

        assertThat(r.location()).isEqualTo("http://192.168.1.1:5000/rootDesc.xml");
        assertThat(r.server()).isEqualTo("Debian/12 UPnP/1.1 MiniUPnPd/2.3.3");
        assertThat(r.isGateway()).isTrue();
        final byte[] lower = bytes("HTTP/1.1 200 OK\nlocation:http://10.0.0.1/d.xml\nusn: uuid:x::"
            + "urn:schemas-upnp-org:service:WANPPPConnection:1\n\n");
        assertThat(SsdpCodec.parse(lower, lower.length).isGateway()).isTrue();
        final byte[] printer = bytes("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:Printer:1\r\n"
            + "LOCATION: http://10.0.0.7/d.xml\r\n\r\n");
        assertThat(SsdpCodec.parse(printer, printer.length).isGateway()).isFalse();
    }

    @Test
    void shouldRejectSsdpThatIsNotAnOkResponseWithALocation() {
        for (final String bad : List.of("HTTP/1.1 404 Not Found\r\nLOCATION: http://a/\r\n\r\n",
            "NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\n\r\n", "HTTP/1.1 200 OK\r\nST: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nLOCATION:\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon here\r\nLOCATION: http://a/\r\n\r\n",
            "HTTP/1.1 2000 OK\r\nLOCATION: http://a/\r\n\r\n", "HTTP/1.1 200 OK\r\nLOCATION: http://a/"
                + "x".repeat(600) + "\r\n\r\n")) {
            assertThat(SsdpCodec.parse(bytes(bad), bad.length())).as(bad).isNull();
        }
        assertThat(SsdpCodec.parse(new byte[3000], 3000)).isNull();
    }

    // ---- HTTP ----

    @Test
    void shouldParseHttpResponsesByLengthChunksOrClose() {
        final MiniHttp.Response r = MiniHttp.parse(PortmapSamples.HTTP_RESPONSE, PortmapSamples.HTTP_RESPONSE.length,
            SafeXml.MAX_SOAP_BYTES, false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(PortmapSamples.SOAP_OK);
        assertThat(MiniHttp.parse(PortmapSamples.HTTP_RESPONSE, PortmapSamples.HTTP_RESPONSE.length - 1, 1 << 16,
            false)).isSameAs(MiniHttp.INCOMPLETE);
        assertThat(MiniHttp.parse(PortmapSamples.HTTP_RESPONSE, PortmapSamples.HTTP_RESPONSE.length - 1, 1 << 16,
            true)).isNull();

        final MiniHttp.Response chunked = MiniHttp.parse(PortmapSamples.HTTP_CHUNKED,
            PortmapSamples.HTTP_CHUNKED.length, 1024, false);
        assertThat(new String(chunked.body(), StandardCharsets.US_ASCII)).isEqualTo("hello, world");

        final byte[] close = bytes("HTTP/1.0 500 Internal Server Error\r\nServer: x\r\n\r\n<fault/>");
        assertThat(MiniHttp.parse(close, close.length, 1024, false)).isSameAs(MiniHttp.INCOMPLETE);
        assertThat(MiniHttp.parse(close, close.length, 1024, true).body()).isEqualTo(bytes("<fault/>"));

        final byte[] interim = bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(MiniHttp.parse(interim, interim.length, 1024, false).body()).isEqualTo(bytes("ok"));
    }

    @Test
    void shouldRejectMalformedOrOversizeHttpResponses() {
        for (final String bad : List.of("HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n")) {
            final byte[] b = bytes(bad);
            assertThat(MiniHttp.parse(b, b.length, 1024, true)).as(bad).isNull();
        }
        final byte[] hugeHead = bytes("HTTP/1.1 200 OK\r\nX: " + "y".repeat(MiniHttp.MAX_HEAD_BYTES) + "\r\n");
        assertThat(MiniHttp.parse(hugeHead, hugeHead.length, 1024, false)).isNull();
    }

    // ---- device description ----

    @Test
    void shouldFindTheWanConnectionServiceInADescription() {
        final IgdDescription d = IgdDescription.parse(PortmapSamples.DESCRIPTION, PortmapSamples.DESCRIPTION.length);

        assertThat(d.urlBase()).isNull();
        assertThat(d.services()).containsExactly(
            new IgdDescription.Service("urn:schemas-upnp-org:service:WANIPConnection:2", "/ctl/IPConn"));
    }

    @Test
    void shouldRejectDescriptionsWithADtdOrExternalEntity() {
        final String xxe = "<?xml version=\"1.0\"?><!DOCTYPE root [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + "<root><URLBase>&x;</URLBase></root>";
        final String laughs = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
            + "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
            + "<root><device><serviceList><service><serviceType>&c;</serviceType></service></serviceList>"
            + "</device></root>";
        final String undeclared = "<root><URLBase>&x;</URLBase></root>";
        for (final String bad : List.of(xxe, laughs, undeclared, "<root>", "", "not xml",
            "<root><URLBase>" + "x".repeat(600) + "</URLBase></root>")) {
            assertThat(IgdDescription.parse(bytes(bad), bytes(bad).length)).as(bad).isNull();
        }
        assertThat(IgdDescription.parse(new byte[SafeXml.MAX_DESCRIPTION_BYTES + 1],
            SafeXml.MAX_DESCRIPTION_BYTES + 1)).isNull();
    }

    @Test
    void shouldKeepUrlBaseAndIgnoreUnusableServices() {
        final String xml = "<root><URLBase> http://192.168.1.1:49152 </URLBase><device><serviceList>"
            + "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:3</serviceType>"
            + "<controlURL>/v3</controlURL></service>"
            + "<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType>"
            + "<controlURL><![CDATA[/ppp]]></controlURL></service>"
            + "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType></service>"
            + "</serviceList></device></root>";

        final IgdDescription d = IgdDescription.parse(bytes(xml), bytes(xml).length);

        assertThat(d.urlBase()).isEqualTo("http://192.168.1.1:49152");
        assertThat(d.services()).containsExactly(
            new IgdDescription.Service("urn:schemas-upnp-org:service:WANPPPConnection:1", "/ppp"));
    }

    @Test
    void shouldRejectInvalidUtf8WithoutPrintingAnything() {
        final java.io.PrintStream saved = System.err;
        final java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            final byte[] bad = PortmapSamples.DESCRIPTION.clone();
            bad[100] = (byte)0xc3;
            bad[101] = (byte)0x28;
            assertThat(IgdDescription.parse(bad, bad.length)).isNull();
            assertThat(SoapCodec.parse(bad, 200, "X")).isNull();
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).isEmpty();
        final byte[] bom = new byte[PortmapSamples.DESCRIPTION.length + 3];
        bom[0] = (byte)0xef;
        bom[1] = (byte)0xbb;
        bom[2] = (byte)0xbf;
        System.arraycopy(PortmapSamples.DESCRIPTION, 0, bom, 3, PortmapSamples.DESCRIPTION.length);
        assertThat(IgdDescription.parse(bom, bom.length).services()).hasSize(1);
    }

    // ---- SOAP ----

    @Test
    void shouldWriteSoapRequestsInMiniupnpcsForm() {
        final String body = new String(SoapCodec.request("urn:schemas-upnp-org:service:WANIPConnection:1",
            "DeletePortMapping", List.of(new String[] {"NewRemoteHost", ""},
                new String[] {"NewExternalPort", "41641"}, new String[] {"NewProtocol", "UDP"})),
            StandardCharsets.UTF_8);

        assertThat(body).isEqualTo("<?xml version=\"1.0\"?>\r\n<s:Envelope "
            + "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:DeletePortMapping "
            + "xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewRemoteHost></NewRemoteHost>"
            + "<NewExternalPort>41641</NewExternalPort><NewProtocol>UDP</NewProtocol></u:DeletePortMapping>"
            + "</s:Body></s:Envelope>\r\n");
        assertThat(SoapCodec.escape("a<&>\"'")).isEqualTo("a&lt;&amp;&gt;&quot;&apos;");
    }

    @Test
    void shouldParseSoapRepliesAndFaults() {
        final SoapCodec.Reply ok = SoapCodec.parse(PortmapSamples.SOAP_OK, PortmapSamples.SOAP_OK.length,
            "GetExternalIPAddress");
        assertThat(ok.fault()).isFalse();
        assertThat(ok.values()).containsEntry("NewExternalIPAddress", "198.51.100.9");

        final SoapCodec.Reply fault = SoapCodec.parse(PortmapSamples.SOAP_FAULT, PortmapSamples.SOAP_FAULT.length,
            "AddPortMapping");
        assertThat(fault.fault()).isTrue();
        assertThat(fault.errorCode()).isEqualTo(725);

        // The reply must be to the action asked.
        assertThat(SoapCodec.parse(PortmapSamples.SOAP_OK, PortmapSamples.SOAP_OK.length, "AddPortMapping")).isNull();
        final byte[] empty = bytes("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
            + "<u:AddPortMappingResponse xmlns:u=\"urn:x\"/></s:Body></s:Envelope>");
        assertThat(SoapCodec.parse(empty, empty.length, "AddPortMapping").values()).isEmpty();
        final byte[] dtd = bytes("<!DOCTYPE s [<!ENTITY e \"x\">]>" + PortmapSamples.SOAP_OK_TEXT.substring(23));
        assertThat(SoapCodec.parse(dtd, dtd.length, "GetExternalIPAddress")).isNull();
    }
}
