package dev.derphole.derp.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.derphole.testing.Fuzz;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Codec round trips and datagram fuzzing: the codec returns a status or throws {@link StunException},
 * never anything else, and never hangs ({@code assertTimeoutPreemptively} makes a hang fail the case that
 * caused it). Every case comes from a generator seeded with {@link Fuzz#DEFAULT_SEED}, so a run is
 * reproducible and a failure names its case and input.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StunMessageProperties {
    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final int ROUND_TRIP_CASES = 500;
    private static final int CRC_CASES = 300;
    private static final int CRC_MAX_LENGTH = 300;
    private static final int RANDOM_DATAGRAM_CASES = 1000;
    private static final int RANDOM_DATAGRAM_MAX_LENGTH = 600;
    private static final int STUN_SHAPED_CASES = 1000;
    private static final int STUN_SHAPED_MAX_BODY = 120;
    /** Largest message length a STUN-shaped datagram's header declares (its real body is at most 120). */
    private static final int STUN_SHAPED_MAX_DECLARED = 200;
    /** Seed messages cut at a random length and then overwritten at up to 4 random offsets. */
    private static final int CUT_AND_OVERWRITTEN_CASES = 1000;
    private static final int MAX_CUT = 120;
    private static final int MAX_OVERWRITES = 4;
    private static final int MAX_OVERWRITE_OFFSET = 200;
    /** Structural mutants ({@link Fuzz#mutations}) of each seed message. */
    private static final int FUZZ_MUTANTS_PER_SEED = 250;

    private static final List<byte[]> SEEDS = List.of(StunMessageTest.RFC5769_REQUEST,
        StunMessageTest.RFC5769_IPV4_RESPONSE, StunMessageTest.RFC5769_IPV6_RESPONSE, request());

    private static byte[] request() {
        final byte[] b = new byte[StunMessage.BINDING_REQUEST_LENGTH];
        StunMessage.writeBindingRequest(StunTransactionId.random(new SplittableRandom(Fuzz.DEFAULT_SEED)), b, 0);
        return b;
    }

    @Test
    void responsesRoundTrip() {
        final SplittableRandom random = random(1);
        for (int i = 0; i < ROUND_TRIP_CASES; i++) {
            final byte[] txid = new byte[StunTransactionId.LENGTH];
            random.nextBytes(txid);
            final InetAddress address = address(random);
            final int port = switch (random.nextInt(8)) {
                case 0 -> 0;
                case 1 -> 65_535;
                default -> random.nextInt(65_536);
            };
            reporting(i, "txid " + HexFormat.of().formatHex(txid) + ", " + address + " port " + port, () -> {
                final StunTransactionId id = StunTransactionId.of(txid);
                final byte[] req = new byte[StunMessage.BINDING_REQUEST_LENGTH];
                StunMessage.writeBindingRequest(id, req, 0);
                assertThat(StunMessage.checkBindingRequest(req, 0, req.length))
                    .isEqualTo(StunMessage.VALID_BINDING_REQUEST);
                assertThat(StunTransactionId.read(req, 8)).isEqualTo(id);

                final byte[] resp = new byte[StunMessage.MAX_BINDING_RESPONSE_LENGTH];
                final int n = StunMessage.writeBindingResponse(req, 0, address, port, resp, 0);
                final StunResponse parsed = StunMessage.parseBindingResponse(resp, 0, n);
                assertThat(parsed.transactionId()).isEqualTo(id);
                assertThat(parsed.mappedAddress()).isEqualTo(new InetSocketAddress(address, port));
            });
        }
    }

    @Test
    void crc32MatchesTheJdk() {
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 2, CRC_CASES, CRC_MAX_LENGTH), bytes -> {
            final CRC32 crc = new CRC32();
            crc.update(bytes);
            assertThat(StunMessage.crc32(bytes, 0, bytes.length)).isEqualTo((int) crc.getValue());
        });
    }

    @Test
    void randomDatagramsOnlyYieldAStatusOrStunException() {
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 3, RANDOM_DATAGRAM_CASES, RANDOM_DATAGRAM_MAX_LENGTH),
            StunMessageProperties::assertWellBehaved);
    }

    @Test
    void stunShapedDatagramsOnlyYieldAStatusOrStunException() {
        // A valid header with random attributes reaches the TLV walk more often than random bytes do.
        final SplittableRandom random = random(4);
        final List<byte[]> datagrams = new ArrayList<>(STUN_SHAPED_CASES);
        for (int i = 0; i < STUN_SHAPED_CASES; i++) {
            final byte[] body = new byte[random.nextInt(STUN_SHAPED_MAX_BODY + 1)];
            random.nextBytes(body);
            final boolean response = random.nextBoolean();
            final int declared = random.nextInt(STUN_SHAPED_MAX_DECLARED + 1);
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
            datagrams.add(bytes);
        }
        Fuzz.forAll(datagrams, StunMessageProperties::assertWellBehaved);
    }

    /**
     * The seed messages cut at a random length and overwritten at random offsets, every truncation of
     * each seed, and structural mutants of each seed (bit flips, special bytes, inserted and deleted runs).
     */
    @Test
    void truncatedAndMutatedMessagesOnlyYieldAStatusOrStunException() {
        final SplittableRandom random = random(5);
        final List<byte[]> datagrams = new ArrayList<>();
        for (int i = 0; i < CUT_AND_OVERWRITTEN_CASES; i++) {
            final byte[] original = SEEDS.get(random.nextInt(SEEDS.size()));
            final byte[] bytes = Arrays.copyOf(original, Math.min(random.nextInt(MAX_CUT + 1), original.length));
            final int overwrites = random.nextInt(MAX_OVERWRITES + 1);
            for (int k = 0; k < overwrites && bytes.length > 0; k++) {
                bytes[random.nextInt(MAX_OVERWRITE_OFFSET + 1) % bytes.length] = (byte) random.nextInt(256);
            }
            datagrams.add(bytes);
        }
        for (final byte[] seed : SEEDS) {
            datagrams.addAll(Fuzz.truncations(seed));
            datagrams.addAll(Fuzz.mutations(random.nextLong(), seed, FUZZ_MUTANTS_PER_SEED));
        }
        Fuzz.forAll(datagrams, StunMessageProperties::assertWellBehaved);
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

    /** Runs one generated case; a failure is rethrown naming the case and its input, so it can be replayed. */
    private static void reporting(final int index, final String input, final Executable check) {
        try {
            check.execute();
        } catch (final Throwable e) {
            throw new AssertionError("case #" + index + " (seed " + Fuzz.DEFAULT_SEED + "), input: " + input, e);
        }
    }

    private static SplittableRandom random(final int property) {
        return new SplittableRandom(Fuzz.DEFAULT_SEED + property);
    }

    /** A random IPv4 or IPv6 address, equally likely. */
    private static InetAddress address(final SplittableRandom random) {
        final byte[] b = new byte[random.nextBoolean() ? 4 : 16];
        random.nextBytes(b);
        if (b.length == 16) {
            b[0] |= 0x20; // keep clear of ::ffff:0:0/96, which InetAddress turns into IPv4
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (final UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
