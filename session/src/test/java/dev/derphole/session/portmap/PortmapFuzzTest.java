package dev.derphole.session.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.testing.Fuzz;

/**
 * Every parser of network (or kernel) bytes, fed random bytes, every truncation and mutations of a valid sample:
 * each returns its documented result (a value or null / empty) and never throws; what it accepts still satisfies
 * its invariants. The class timeout is the "never hangs" bound.
 */
@Timeout(120)
class PortmapFuzzTest {
    private static final int RANDOM_INPUTS = 3000;
    private static final int MUTANTS = 3000;

    private static List<byte[]> inputs(final long salt, final byte[] valid, final int maxRandomLength) {
        final List<byte[]> out = new ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + salt, RANDOM_INPUTS,
            maxRandomLength));
        out.addAll(Fuzz.truncations(valid));
        out.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED + salt + 1, valid, MUTANTS));
        return out;
    }

    @Test
    void natPmpResponsesParseOrAreRejected() {
        final List<byte[]> in = inputs(1, PortmapSamples.PMP_MAP, 24);
        in.addAll(inputs(2, PortmapSamples.PMP_ADDRESS, 24));
        final int[] accepted = new int[1];
        Fuzz.forAll(in, b -> {
            final NatPmpCodec.Response r = NatPmpCodec.parse(b, b.length);
            if (r != null) {
                accepted[0]++;
                assertThat(b.length).isBetween(NatPmpCodec.HEADER_BYTES, NatPmpCodec.MAP_RESPONSE_BYTES);
                assertThat(r.opcode()).isGreaterThanOrEqualTo(128);
                if (r.externalAddress() != null) {
                    assertThat(b.length).isEqualTo(12);
                }
            }
        });
        assertThat(accepted[0]).isPositive();
        assertThat(NatPmpCodec.parse(null, 0)).isNull();
        assertThat(NatPmpCodec.parse(new byte[4], 8)).isNull();
    }

    @Test
    void pcpResponsesParseOrAreRejected() {
        final int[] accepted = new int[1];
        Fuzz.forAll(inputs(3, PortmapSamples.PCP_MAP, 1200), b -> {
            final PcpCodec.Response r = PcpCodec.parse(b, b.length);
            if (r != null) {
                accepted[0]++;
                assertThat(b.length % 4).isZero();
                assertThat(b.length).isBetween(PcpCodec.HEADER_BYTES, PcpCodec.MAX_BYTES);
                if (r.hasMapBody()) {
                    assertThat(r.nonce()).hasSize(12);
                }
            }
        });
        assertThat(accepted[0]).isPositive();
    }

    @Test
    void ssdpResponsesParseOrAreRejected() {
        final int[] accepted = new int[1];
        Fuzz.forAll(inputs(4, PortmapSamples.SSDP, 2100), b -> {
            final SsdpCodec.Response r = SsdpCodec.parse(b, b.length);
            if (r != null) {
                accepted[0]++;
                assertThat(r.location()).isNotEmpty().hasSizeLessThanOrEqualTo(SsdpCodec.MAX_LOCATION_CHARS);
                r.isGateway();
            }
        });
        assertThat(accepted[0]).isPositive();
    }

    @Test
    void descriptionsParseOrAreRejected() {
        final int[] accepted = new int[1];
        Fuzz.forAll(inputs(5, PortmapSamples.DESCRIPTION, 3000), b -> {
            final IgdDescription d = IgdDescription.parse(b, b.length);
            if (d != null) {
                accepted[0]++;
                assertThat(d.services()).hasSizeLessThanOrEqualTo(IgdDescription.MAX_SERVICES)
                    .allSatisfy(s -> assertThat(IgdDescription.USABLE_TYPES).contains(s.serviceType()));
            }
        });
        assertThat(accepted[0]).isPositive();
        Fuzz.forAll(textMutations(6, PortmapSamples.DESCRIPTION_TEXT), b -> IgdDescription.parse(b, b.length));
    }

    @Test
    void soapRepliesParseOrAreRejected() {
        final int[] accepted = new int[1];
        final List<byte[]> in = inputs(7, PortmapSamples.SOAP_OK, 2000);
        in.addAll(inputs(8, PortmapSamples.SOAP_FAULT, 2000));
        in.addAll(textMutations(9, PortmapSamples.SOAP_OK_TEXT));
        Fuzz.forAll(in, b -> {
            final SoapCodec.Reply r = SoapCodec.parse(b, b.length, "GetExternalIPAddress");
            if (r != null) {
                accepted[0]++;
                assertThat(r.values()).hasSizeLessThanOrEqualTo(16);
                if (r.fault()) {
                    assertThat(r.values()).isEmpty();
                }
            }
        });
        assertThat(accepted[0]).isPositive();
    }

    @Test
    void httpResponsesParseOrAreRejected() {
        final List<byte[]> in = inputs(10, PortmapSamples.HTTP_RESPONSE, 3000);
        in.addAll(inputs(11, PortmapSamples.HTTP_CHUNKED, 300));
        final int[] accepted = new int[1];
        Fuzz.forAll(in, b -> {
            for (final boolean eof : new boolean[] {false, true}) {
                final MiniHttp.Response r = MiniHttp.parse(b, b.length, 1024, eof);
                if (r != null && r != MiniHttp.INCOMPLETE) {
                    accepted[0]++;
                    assertThat(r.body()).hasSizeLessThanOrEqualTo(1024);
                    assertThat(r.status()).isBetween(200, 999);
                }
                if (eof) {
                    assertThat(r).isNotSameAs(MiniHttp.INCOMPLETE);
                }
            }
        });
        assertThat(accepted[0]).isPositive();
    }

    @Test
    void routeTablesParseOrYieldNothing() {
        final byte[] valid = PortmapSamples.ROUTES.getBytes(StandardCharsets.ISO_8859_1);
        final int[] found = new int[1];
        Fuzz.forAll(inputs(12, valid, 400), b -> {
            final String text = new String(b, StandardCharsets.ISO_8859_1);
            for (final ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                Gateways.parseDefaultRoute(text, order).ifPresent(r -> {
                    found[0]++;
                    assertThat(r.interfaceName()).isNotEmpty();
                    assertThat(r.gateway().isAnyLocalAddress()).isFalse();
                    assertThat(r.metric()).isNotNegative();
                });
            }
        });
        assertThat(found[0]).isPositive();
    }

    @Test
    void urlsResolveOnlyToTheGatewayOrAreRejected() throws Exception {
        final InetAddress gateway = InetAddress.getByName("192.168.1.1");
        final UpnpIgdClient client = new UpnpIgdClient(gateway, InetAddress.getLoopbackAddress(), List.of(),
            new PortmapCounters());
        final String base = "http://192.168.1.1:5000/rootDesc.xml";
        final List<byte[]> in = inputs(13, base.getBytes(StandardCharsets.ISO_8859_1), 80);
        final int[] accepted = new int[1];
        Fuzz.forAll(in, b -> {
            final String s = new String(b, StandardCharsets.ISO_8859_1);
            for (final UpnpIgdClient.Endpoint e : new UpnpIgdClient.Endpoint[] {client.resolve(null, s),
                client.resolve(base, s), client.resolve(s, "ctl/IPConn")}) {
                if (e != null) {
                    accepted[0]++;
                    assertThat(e.address().getAddress()).isEqualTo(gateway);
                    assertThat(e.path()).startsWith("/").doesNotContain(" ", "\r", "\n");
                }
            }
        });
        assertThat(accepted[0]).isPositive();
        client.close();
    }

    /** Mutations at the character level (tags and entities), which reach deeper into the XML parser. */
    private static List<byte[]> textMutations(final long salt, final String valid) {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + salt);
        final String[] pieces = {"<", ">", "</", "/>", "&", "&amp;", "&x;", "<!DOCTYPE r>", "<![CDATA[", "]]>",
            "<?pi?>", "<!--", "-->", "\"", "'", "=", "xmlns:s=\"u\"", "\u0000", "\uFFFE", "<service>", "</service>"};
        final List<byte[]> out = new ArrayList<>(MUTANTS);
        for (int i = 0; i < MUTANTS; i++) {
            final StringBuilder sb = new StringBuilder(valid);
            final int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                final int at = random.nextInt(sb.length() + 1);
                if (random.nextBoolean() && at < sb.length()) {
                    sb.delete(at, Math.min(sb.length(), at + 1 + random.nextInt(12)));
                } else {
                    sb.insert(at, pieces[random.nextInt(pieces.length)]);
                }
            }
            out.add(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
