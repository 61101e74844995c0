package dev.derphole.derp.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Codec round trips and datagram fuzzing: the codec returns a status or throws {@link StunException},
 * never anything else, and never hangs (jqwik ignores JUnit's {@code @Timeout}, hence
 * {@code assertTimeoutPreemptively}).
 */
class StunMessageProperties {
    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final List<byte[]> SEEDS = List.of(StunMessageTest.RFC5769_REQUEST,
        StunMessageTest.RFC5769_IPV4_RESPONSE, StunMessageTest.RFC5769_IPV6_RESPONSE, request());

    private static byte[] request() {
        final byte[] b = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(StunTransactionId.random(), b, 0);
        return b;
    }

    @Property(tries = 500)
    void responsesRoundTrip(@ForAll @Size(12) final byte[] txid, @ForAll("addresses") final InetAddress address,
                            @ForAll @IntRange(min = 0, max = 65_535) final int port) throws StunException {
        final StunTransactionId id = StunTransactionId.of(txid);
        final byte[] req = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(id, req, 0);
        assertThat(StunMessage.checkBindingRequest(req, 0, req.length)).isEqualTo(StunMessage.VALID_BINDING_REQUEST);
        assertThat(StunTransactionId.read(req, 8)).isEqualTo(id);

        final byte[] resp = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
        final int n = StunMessage.writeBindingResponse(req, 0, address, port, resp, 0);
        final StunResponse parsed = StunMessage.parseBindingResponse(resp, 0, n);
        assertThat(parsed.transactionId()).isEqualTo(id);
        assertThat(parsed.mappedAddress()).isEqualTo(new InetSocketAddress(address, port));
    }

    @Property(tries = 300)
    void crc32MatchesTheJdk(@ForAll @Size(max = 300) final byte[] bytes) {
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        assertThat(StunMessage.crc32(bytes, 0, bytes.length)).isEqualTo((int) crc.getValue());
    }

    @Property(tries = 1000)
    void randomDatagramsOnlyYieldAStatusOrStunException(@ForAll @Size(max = 600) final byte[] bytes) {
        assertWellBehaved(bytes);
    }

    @Property(tries = 1000)
    void stunShapedDatagramsOnlyYieldAStatusOrStunException(@ForAll @Size(max = 120) final byte[] body,
                                                           @ForAll final boolean response,
                                                           @ForAll @IntRange(min = 0, max = 200) final int declared) {
        // A valid header with random attributes reaches the TLV walk more often than random bytes do.
        final byte[] bytes = new byte[20 + body.length];
        bytes[0] = (byte) (response ? 0x01 : 0x00);
        bytes[1] = 0x01;
        bytes[2] = (byte) (declared >> 8);
        bytes[3] = (byte) declared;
        bytes[4] = 0x21;
        bytes[5] = 0x12;
        bytes[6] = (byte) 0xA4;
        bytes[7] = 0x42;
        System.arraycopy(body, 0, bytes, 20, body.length);
        assertWellBehaved(bytes);
    }

    @Property(tries = 1000)
    void truncatedAndMutatedMessagesOnlyYieldAStatusOrStunException(
        @ForAll @IntRange(min = 0, max = 3) final int seed, @ForAll @IntRange(min = 0, max = 120) final int cut,
        @ForAll @Size(max = 4) final List<@IntRange(min = 0, max = 200) Integer> positions,
        @ForAll @Size(4) final byte[] replacements) {
        final byte[] original = SEEDS.get(seed);
        final byte[] bytes = Arrays.copyOf(original, Math.min(cut, original.length));
        for (int i = 0; i < positions.size() && bytes.length > 0; i++) {
            bytes[positions.get(i) % bytes.length] = replacements[i];
        }
        assertWellBehaved(bytes);
    }

    private static void assertWellBehaved(final byte[] bytes) {
        assertTimeoutPreemptively(BUDGET, () -> {
            assertThat(StunMessage.checkBindingRequest(bytes, 0, bytes.length))
                .isIn(StunMessage.VALID_BINDING_REQUEST, StunMessage.MALFORMED, StunMessage.NOT_BINDING_REQUEST);
            StunMessage.isStunMessage(bytes, 0, bytes.length);
            try {
                final StunResponse r = StunMessage.parseBindingResponse(bytes, 0, bytes.length);
                assertThat(r.mappedAddress().getPort()).isBetween(0, 65_535);
            } catch (final StunException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        });
    }

    @Provide
    Arbitrary<InetAddress> addresses() {
        final Arbitrary<InetAddress> v4 = Arbitraries.bytes().array(byte[].class).ofSize(4)
            .map(StunMessageProperties::ip);
        final Arbitrary<InetAddress> v6 = Arbitraries.bytes().array(byte[].class).ofSize(16)
            .map(b -> {
                b[0] |= 0x20; // keep clear of ::ffff:0:0/96, which InetAddress turns into IPv4
                return ip(b);
            });
        return Arbitraries.oneOf(v4, v6);
    }

    private static InetAddress ip(final byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (final UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
