package dev.derphole.derp.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StunMessageTest {
    /** RFC 5769 §2.1 sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT). */
    static final byte[] RFC5769_REQUEST = hex("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86
        fa 87 df ae 80 22 00 10 53 54 55 4e 20 74 65 73
        74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09
        65 76 74 6a 3a 68 36 76 59 20 20 20 00 08 00 14
        9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49
        c1 b5 71 a2 80 28 00 04 e5 7a 3b cf""");
    /** RFC 5769 §2.2 sample IPv4 response: 192.0.2.1:32853. */
    static final byte[] RFC5769_IPV4_RESPONSE = hex("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86
        fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
        74 6f 72 20 00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9
        2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96""");
    /** RFC 5769 §2.3 sample IPv6 response: [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
    static final byte[] RFC5769_IPV6_RESPONSE = hex("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86
        fa 87 df ae 80 22 00 0b 74 65 73 74 20 76 65 63
        74 6f 72 20 00 20 00 14 00 02 a1 47 01 13 a9 fa
        a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9 00 08 00 14
        a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75
        bf e3 ed 41 80 28 00 04 c8 fb 0b 4c""");
    static final StunTransactionId RFC5769_TXID = StunTransactionId.of(hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"));
    private static final String RFC5769_PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";

    static byte[] hex(final String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s+", ""));
    }

    @Test
    void shouldHaveTranscribedTheRfc5769VectorsExactly() throws GeneralSecurityException {
        // MESSAGE-INTEGRITY is an HMAC-SHA1 over the message up to that attribute, with the header length
        // pointing at its end (RFC 5389 §15.4). If it verifies, every byte before it is as in the RFC.
        for (final byte[] message : new byte[][] {RFC5769_REQUEST, RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE}) {
            final int miValue = message.length - 8 - 20;
            final byte[] covered = Arrays.copyOf(message, miValue - 4);
            final int lengthToMiEnd = miValue + 20 - StunMessage.HEADER_LENGTH;
            covered[2] = (byte) (lengthToMiEnd >> 8);
            covered[3] = (byte) lengthToMiEnd;
            final Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(RFC5769_PASSWORD.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            assertThat(mac.doFinal(covered)).isEqualTo(Arrays.copyOfRange(message, miValue, miValue + 20));
        }
    }

    @Test
    void shouldAcceptTheRfc5769RequestAndItsFingerprint() {
        assertThat(StunMessage.checkBindingRequest(RFC5769_REQUEST, 0, RFC5769_REQUEST.length))
            .isEqualTo(StunMessage.VALID_BINDING_REQUEST);
        assertThat(StunTransactionId.read(RFC5769_REQUEST, 8)).isEqualTo(RFC5769_TXID);

        final byte[] badFingerprint = RFC5769_REQUEST.clone();
        badFingerprint[badFingerprint.length - 1] ^= 1;
        assertThat(StunMessage.checkBindingRequest(badFingerprint, 0, badFingerprint.length))
            .isEqualTo(StunMessage.MALFORMED);
        final byte[] tampered = RFC5769_REQUEST.clone();
        tampered[50] ^= 1; // inside PRIORITY: the fingerprint no longer matches
        assertThat(StunMessage.checkBindingRequest(tampered, 0, tampered.length)).isEqualTo(StunMessage.MALFORMED);
    }

    @Test
    void shouldDecodeTheRfc5769Ipv4Response() throws Exception {
        final StunResponse response = StunMessage.parseBindingResponse(RFC5769_IPV4_RESPONSE, 0,
            RFC5769_IPV4_RESPONSE.length);
        assertThat(response.transactionId()).isEqualTo(RFC5769_TXID);
        assertThat(response.mappedAddress())
            .isEqualTo(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 32853));
    }

    @Test
    void shouldDecodeTheRfc5769Ipv6Response() throws Exception {
        final StunResponse response = StunMessage.parseBindingResponse(RFC5769_IPV6_RESPONSE, 0,
            RFC5769_IPV6_RESPONSE.length);
        assertThat(response.transactionId()).isEqualTo(RFC5769_TXID);
        assertThat(response.mappedAddress()).isEqualTo(
            new InetSocketAddress(InetAddress.ofLiteral("2001:db8:1234:5678:11:2233:4455:6677"), 32853));
    }

    @Test
    void shouldRejectTheRfc5769ResponsesWhenTheirFingerprintIsWrong() {
        for (final byte[] vector : new byte[][] {RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE}) {
            final byte[] bad = vector.clone();
            bad[bad.length - 2] ^= 0x40;
            assertThatThrownBy(() -> StunMessage.parseBindingResponse(bad, 0, bad.length))
                .isInstanceOf(StunException.class).hasMessageContaining("fingerprint");
        }
    }

    @Test
    void shouldWriteTheXorMappedAddressOfTheRfc5769Vectors() {
        final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(RFC5769_TXID, request, 0);
        final byte[] out = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];

        final int v4 = StunMessage.writeBindingResponse(request, 0, InetAddress.ofLiteral("192.0.2.1"), 32853, out, 0);
        assertThat(v4).isEqualTo(32);
        assertThat(Arrays.copyOf(out, v4)).isEqualTo(hex(
            "01 01 00 0c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae 00 20 00 08 00 01 a1 47 e1 12 a6 43"));

        final int v6 = StunMessage.writeBindingResponse(request, 0,
            InetAddress.ofLiteral("2001:db8:1234:5678:11:2233:4455:6677"), 32853, out, 0);
        assertThat(v6).isEqualTo(44);
        assertThat(Arrays.copyOf(out, v6)).isEqualTo(hex("""
            01 01 00 18 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
            00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"""));
    }

    @Test
    void shouldWriteTailscalesBindingRequestByteForByte() {
        final byte[] txid = hex("00 01 02 03 04 05 06 07 08 09 0a 0b");
        final byte[] buffer = new byte[StunMessage.BINDING_REQUEST_LENGTH + 10];
        final int n = StunMessage.writeBindingRequest(StunTransactionId.of(txid), buffer, 5);
        assertThat(n).isEqualTo(40);
        final byte[] message = Arrays.copyOfRange(buffer, 5, 5 + n);
        final CRC32 crc = new CRC32();
        crc.update(message, 0, 32);
        final int fingerprint = (int) crc.getValue() ^ 0x5354554E;
        final byte[] expected = hex("00 01 00 14 21 12 a4 42 00 01 02 03 04 05 06 07 08 09 0a 0b"
            + " 80 22 00 08 74 61 69 6c 6e 6f 64 65 80 28 00 04"
            + String.format(" %08x", fingerprint));
        assertThat(message).isEqualTo(expected);
        assertThat(StunMessage.checkBindingRequest(buffer, 5, n)).isEqualTo(StunMessage.VALID_BINDING_REQUEST);
    }

    @Test
    void shouldAnswerARequestAtAnOffsetWithItsTransactionId() throws StunException {
        final StunTransactionId txId = StunTransactionId.random();
        final byte[] request = new byte[100];
        StunMessage.writeBindingRequest(txId, request, 17);
        final byte[] response = new byte[100];
        final int n = StunMessage.writeBindingResponse(request, 17, InetAddress.ofLiteral("203.0.113.9"), 61000,
            response, 3);
        final StunResponse parsed = StunMessage.parseBindingResponse(response, 3, n);
        assertThat(parsed.transactionId()).isEqualTo(txId);
        assertThat(parsed.mappedAddress())
            .isEqualTo(new InetSocketAddress(InetAddress.ofLiteral("203.0.113.9"), 61000));
    }

    @Test
    void shouldClassifyNonRequests() {
        final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(StunTransactionId.random(), request, 0);

        final byte[] indication = request.clone();
        indication[1] = 0x11; // binding indication
        assertThat(StunMessage.checkBindingRequest(indication, 0, indication.length))
            .isEqualTo(StunMessage.NOT_BINDING_REQUEST);
        assertThat(StunMessage.checkBindingRequest(RFC5769_IPV4_RESPONSE, 0, RFC5769_IPV4_RESPONSE.length))
            .isEqualTo(StunMessage.NOT_BINDING_REQUEST);

        final byte[] noCookie = request.clone();
        noCookie[4] = 0; // RFC 3489 style, or not STUN at all
        assertThat(StunMessage.checkBindingRequest(noCookie, 0, noCookie.length)).isEqualTo(StunMessage.MALFORMED);
        final byte[] topBits = request.clone();
        topBits[0] = (byte) 0x40;
        assertThat(StunMessage.checkBindingRequest(topBits, 0, topBits.length)).isEqualTo(StunMessage.MALFORMED);
        assertThat(StunMessage.checkBindingRequest(request, 0, 19)).isEqualTo(StunMessage.MALFORMED);
        assertThat(StunMessage.checkBindingRequest(request, 0, 39)).isEqualTo(StunMessage.MALFORMED);
        assertThat(StunMessage.checkBindingRequest(Arrays.copyOf(request, 44), 0, 44)).isEqualTo(StunMessage.MALFORMED);
        assertThat(StunMessage.isStunMessage(request, 0, 40)).isTrue();
        assertThat(StunMessage.isStunMessage(new byte[40], 0, 40)).isFalse();
    }

    @Test
    void shouldRejectMalformedRequestAttributes() {
        // Header-only request (no attributes) is valid: SOFTWARE and FINGERPRINT are optional.
        final byte[] bare = hex("00 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00");
        assertThat(StunMessage.checkBindingRequest(bare, 0, bare.length)).isEqualTo(StunMessage.VALID_BINDING_REQUEST);
        // Length not a multiple of 4.
        final byte[] odd = hex("00 01 00 02 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 80 22");
        assertThat(StunMessage.checkBindingRequest(odd, 0, odd.length)).isEqualTo(StunMessage.MALFORMED);
        // Attribute length runs past the end.
        final byte[] overrun = hex("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"
            + " 80 22 00 05 61 62 63 64");
        assertThat(StunMessage.checkBindingRequest(overrun, 0, overrun.length)).isEqualTo(StunMessage.MALFORMED);
        // FINGERPRINT that is not the last attribute.
        final byte[] notLast = hex("00 01 00 10 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"
            + " 80 28 00 04 00 00 00 00 80 22 00 04 61 62 63 64");
        assertThat(StunMessage.checkBindingRequest(notLast, 0, notLast.length)).isEqualTo(StunMessage.MALFORMED);
        // FINGERPRINT of the wrong size.
        final byte[] wrongSize = hex("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"
            + " 80 28 00 02 00 00 00 00");
        assertThat(StunMessage.checkBindingRequest(wrongSize, 0, wrongSize.length)).isEqualTo(StunMessage.MALFORMED);
    }

    @Test
    void shouldPreferTheFirstXorMappedAddressAndFallBackToMappedAddress() throws StunException {
        // MAPPED-ADDRESS 10.0.0.1:1234 only.
        final byte[] mappedOnly = hex("01 01 00 0c 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 01"
            + " 00 01 00 08 00 01 04 d2 0a 00 00 01");
        assertThat(StunMessage.parseBindingResponse(mappedOnly, 0, mappedOnly.length).mappedAddress())
            .isEqualTo(new InetSocketAddress(InetAddress.ofLiteral("10.0.0.1"), 1234));

        // MAPPED-ADDRESS 10.0.0.1:1234, then XOR-MAPPED-ADDRESS (0x8020) 192.0.2.1:32853, then another 0x0020.
        final byte[] three = hex("01 01 00 24 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 01"
            + " 00 01 00 08 00 01 04 d2 0a 00 00 01"
            + " 80 20 00 08 00 01 a1 47 e1 12 a6 43"
            + " 00 20 00 08 00 01 a1 47 e1 12 a6 44");
        assertThat(StunMessage.parseBindingResponse(three, 0, three.length).mappedAddress())
            .isEqualTo(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 32853));
    }

    @Test
    void shouldAcceptTrailingBytesAfterAResponseLikeTailscale() throws StunException {
        final byte[] padded = Arrays.copyOf(RFC5769_IPV4_RESPONSE, RFC5769_IPV4_RESPONSE.length + 7);
        assertThat(StunMessage.parseBindingResponse(padded, 0, padded.length).transactionId()).isEqualTo(RFC5769_TXID);
    }

    @Test
    void shouldRejectResponsesWithoutAUsableAddress() {
        final String header = "01 01 00 0c 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 01 ";
        for (final String body : new String[] {
            "80 22 00 08 74 61 69 6c 6e 6f 64 65",       // no address attribute at all
            "00 20 00 08 00 03 a1 47 e1 12 a6 43",       // unknown family 3
            "00 20 00 08 00 02 a1 47 e1 12 a6 43",       // IPv6 family, 4-byte address
            "00 20 00 02 00 01 00 00 00 00 00 00"}) {    // attribute shorter than its header
            final byte[] message = hex(header + body);
            assertThatThrownBy(() -> StunMessage.parseBindingResponse(message, 0, message.length))
                .as(body).isInstanceOf(StunException.class);
        }
        assertThatThrownBy(() -> StunMessage.parseBindingResponse(RFC5769_REQUEST, 0, RFC5769_REQUEST.length))
            .isInstanceOf(StunException.class).hasMessageContaining("not a binding success response");
        assertThatThrownBy(() -> StunMessage.parseBindingResponse(RFC5769_IPV4_RESPONSE, 0, 40))
            .isInstanceOf(StunException.class).hasMessageContaining("bad message length");
        assertThatThrownBy(() -> StunMessage.parseBindingResponse(new byte[10], 0, 10))
            .isInstanceOf(StunException.class).hasMessageContaining("not a STUN message");
    }

    @Test
    void shouldReturnIpv4MappedIpv6AddressesAsIpv4() throws StunException {
        final byte[] request = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(RFC5769_TXID, request, 0);
        // Build an IPv6-family XOR-MAPPED-ADDRESS holding ::ffff:192.0.2.1 by hand.
        final byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 192;
        mapped[14] = 2;
        mapped[15] = 1;
        final byte[] message = new byte[44];
        System.arraycopy(hex("01 01 00 18 21 12 a4 42"), 0, message, 0, 8);
        RFC5769_TXID.copyTo(message, 8);
        System.arraycopy(hex("00 20 00 14 00 02 a1 47"), 0, message, 20, 8);
        for (int i = 0; i < 16; i++) {
            message[28 + i] = (byte) (mapped[i] ^ message[4 + i]);
        }
        assertThat(StunMessage.parseBindingResponse(message, 0, message.length).mappedAddress())
            .isEqualTo(new InetSocketAddress(InetAddress.ofLiteral("192.0.2.1"), 32853));
    }

    @Test
    void shouldRejectInvalidBufferArgumentsAsCallerBugs() {
        assertThatThrownBy(() -> StunMessage.checkBindingRequest(new byte[10], 5, 10))
            .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> StunMessage.writeBindingRequest(StunTransactionId.random(), new byte[39], 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> StunTransactionId.of(new byte[11])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCompareTransactionIdsByValue() {
        final StunTransactionId a = StunTransactionId.of(hex("00 01 02 03 04 05 06 07 08 09 0a 0b"));
        assertThat(a).isEqualTo(StunTransactionId.read(hex("ff 00 01 02 03 04 05 06 07 08 09 0a 0b"), 1));
        assertThat(a).hasSameHashCodeAs(StunTransactionId.of(hex("00 01 02 03 04 05 06 07 08 09 0a 0b")));
        assertThat(a.toString()).isEqualTo("000102030405060708090a0b");
        assertThat(a.matches(hex("ee 00 01 02 03 04 05 06 07 08 09 0a 0b"), 1)).isTrue();
        assertThat(a.matches(hex("ee 00 01 02 03 04 05 06 07 08 09 0a 0c"), 1)).isFalse();
        assertThat(StunTransactionId.random()).isNotEqualTo(StunTransactionId.random());
    }
}
