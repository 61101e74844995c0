package dev.derphole.session.portmap;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Valid wire samples for the codec and fuzz tests, in the shapes miniupnpd 2.3 sends. */
final class PortmapSamples {
    /** NAT-PMP external address response: epoch 1000, 203.0.113.7. */
    static final byte[] PMP_ADDRESS = HexFormat.of().parseHex("00800000000003e8cb007107");
    /** NAT-PMP map response: epoch 1000, internal 41641, external 41641, lifetime 7200. */
    static final byte[] PMP_MAP = HexFormat.of().parseHex("00810000000003e8a2a9a2a900001c20");
    /** PCP MAP response: lifetime 7200, epoch 1000, nonce 0102..0c, UDP, 41641 to 203.0.113.7:41641. */
    static final byte[] PCP_MAP = HexFormat.of().parseHex("0281000000001c20000003e8000000000000000000000000"
        + "0102030405060708090a0b0c11000000a2a9a2a900000000000000000000ffffcb007107");
    static final byte[] PCP_NONCE = HexFormat.of().parseHex("0102030405060708090a0b0c");

    static final String SSDP_TEXT = "HTTP/1.1 200 OK\r\n"
        + "CACHE-CONTROL: max-age=120\r\n"
        + "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
        + "USN: uuid:a1b2c3d4-0000-1111-2222-333344445555::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
        + "EXT:\r\n"
        + "SERVER: Debian/12 UPnP/1.1 MiniUPnPd/2.3.3\r\n"
        + "LOCATION: http://192.168.1.1:5000/rootDesc.xml\r\n"
        + "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n"
        + "01-NLS: 1700000000\r\n"
        + "BOOTID.UPNP.ORG: 1700000000\r\n"
        + "CONFIGID.UPNP.ORG: 1337\r\n"
        + "\r\n";
    static final byte[] SSDP = SSDP_TEXT.getBytes(StandardCharsets.US_ASCII);

    static final String DESCRIPTION_TEXT = "<?xml version=\"1.0\"?>\r\n"
        + "<root xmlns=\"urn:schemas-upnp-org:device-1-0\" configId=\"1337\">"
        + "<specVersion><major>1</major><minor>1</minor></specVersion>"
        + "<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>"
        + "<friendlyName>Debian router</friendlyName><manufacturer>Debian</manufacturer>"
        + "<serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>"
        + "<serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><SCPDURL>/L3F.xml</SCPDURL>"
        + "<controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service></serviceList>"
        + "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType>"
        + "<serviceList><service>"
        + "<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>"
        + "<controlURL>/ctl/CmnIfCfg</controlURL></service></serviceList>"
        + "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>"
        + "<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>"
        + "<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL>"
        + "<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service>"
        + "<service><serviceType>urn:schemas-upnp-org:service:WANIPv6FirewallControl:1</serviceType>"
        + "<controlURL>/ctl/IP6FCtl</controlURL></service></serviceList>"
        + "</device></deviceList></device></deviceList>"
        + "<presentationURL>http://192.168.1.1/</presentationURL></device></root>\r\n";
    static final byte[] DESCRIPTION = DESCRIPTION_TEXT.getBytes(StandardCharsets.UTF_8);

    static final String SOAP_OK_TEXT = "<?xml version=\"1.0\"?>\r\n"
        + "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
        + "<u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:2\">"
        + "<NewExternalIPAddress>198.51.100.9</NewExternalIPAddress></u:GetExternalIPAddressResponse>"
        + "</s:Body></s:Envelope>\r\n";
    static final byte[] SOAP_OK = SOAP_OK_TEXT.getBytes(StandardCharsets.UTF_8);

    static final String SOAP_FAULT_TEXT = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        + "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault>"
        + "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
        + "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>725</errorCode>"
        + "<errorDescription>OnlyPermanentLeasesSupported</errorDescription></UPnPError></detail>"
        + "</s:Fault></s:Body></s:Envelope>";
    static final byte[] SOAP_FAULT = SOAP_FAULT_TEXT.getBytes(StandardCharsets.UTF_8);

    static final byte[] HTTP_RESPONSE = ("HTTP/1.1 200 OK\r\n"
        + "Content-Type: text/xml; charset=\"utf-8\"\r\n"
        + "Connection: close\r\n"
        + "Content-Length: " + SOAP_OK.length + "\r\n"
        + "Server: Debian/12 UPnP/1.1 MiniUPnPd/2.3.3\r\n"
        + "Ext:\r\n"
        + "\r\n" + SOAP_OK_TEXT).getBytes(StandardCharsets.UTF_8);

    static final byte[] HTTP_CHUNKED = ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    static final String ROUTES = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        + "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
        + "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n";

    private PortmapSamples() {
    }
}
