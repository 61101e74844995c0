package dev.derphole.session.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.testing.Fuzz;

/**
 * Token decoding only ever returns a token or throws {@link TokenException}: random text, every truncation,
 * mutations of valid tokens (with and without a repaired checksum, so the field checks are reached too) and
 * random bytes. Valid random tokens round-trip.
 */
@Timeout(60)
class TokenFuzzTest {
    private static final String ALPHABET =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n\t.:\u00e9\u0000";

    private final MutableClock clock = new MutableClock(TestTokens.NOW);
    private final Map<TokenException.Kind, Integer> kinds = new EnumMap<>(TokenException.Kind.class);

    @Test
    void shouldRejectRandomStringsWithTokenExceptionOnly() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED);
        for (int i = 0; i < 3000; i++) {
            final int length = random.nextInt(260);
            final StringBuilder sb = new StringBuilder(length);
            // Mostly base64url characters, so that many inputs pass the alphabet check and reach deeper checks.
            final int span = random.nextInt(4) == 0 ? ALPHABET.length() : 64;
            for (int c = 0; c < length; c++) {
                sb.append(ALPHABET.charAt(random.nextInt(span)));
            }
            decodeExpectingRejection(sb.toString());
        }
        assertThat(kinds).containsKeys(TokenException.Kind.MALFORMED, TokenException.Kind.CHECKSUM);
    }

    @Test
    void shouldRejectEveryTruncation() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 1);
        for (int t = 0; t < 4; t++) {
            final String text = TestTokens.random(random).encode();
            for (int length = 0; length < text.length(); length++) {
                decodeExpectingRejection(text.substring(0, length));
            }
        }
        assertThat(kinds).containsKeys(TokenException.Kind.MALFORMED, TokenException.Kind.CHECKSUM);
    }

    @Test
    void shouldRejectOrAcceptMutationsButNeverThrowAnythingElse() {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 2);
        for (int t = 0; t < 8; t++) {
            final SessionToken token = TestTokens.random(random);
            final byte[] raw = TestTokens.raw(token.encode());
            final List<byte[]> mutants = Fuzz.mutations(random.nextLong(), raw, 400);
            Fuzz.forAll(mutants, m -> decodeAny(Base64.getUrlEncoder().withoutPadding().encodeToString(m)));
            // Repair the checksum so that the mutation reaches the version and field checks.
            final List<byte[]> bodies = Fuzz.mutations(random.nextLong(), Arrays.copyOf(raw, raw.length - 4), 400);
            Fuzz.forAll(bodies, m -> decodeAny(TestTokens.withCrc(m)));
            // Text-level mutations: the bytes of the base64 string itself.
            final List<byte[]> texts = Fuzz.mutations(random.nextLong(),
                token.encode().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 400);
            Fuzz.forAll(texts, m -> decodeAny(new String(m, java.nio.charset.StandardCharsets.ISO_8859_1)));
        }
        assertThat(kinds).containsKeys(TokenException.Kind.MALFORMED, TokenException.Kind.CHECKSUM,
            TokenException.Kind.VERSION);
    }

    @Test
    void shouldRejectRandomBytesReEncoded() {
        final List<byte[]> inputs = Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 3, 2000, 400);
        Fuzz.forAll(inputs, b -> decodeExpectingRejection(Base64.getUrlEncoder().withoutPadding().encodeToString(b)));
        final List<byte[]> versioned = new ArrayList<>();
        for (final byte[] b : Fuzz.randomBytes(Fuzz.DEFAULT_SEED + 4, 2000, 400)) {
            if (b.length > 0) {
                b[0] = 1;
            }
            versioned.add(b);
        }
        // With a valid checksum and version 1, random bytes exercise every field check.
        Fuzz.forAll(versioned, b -> decodeExpectingRejection(TestTokens.withCrc(b)));
        assertThat(kinds).containsKeys(TokenException.Kind.MALFORMED, TokenException.Kind.CHECKSUM);
    }

    @Test
    void shouldRoundTripRandomTokens() throws TokenException {
        final SplittableRandom random = new SplittableRandom(Fuzz.DEFAULT_SEED + 5);
        clock.set(java.time.Instant.EPOCH);
        for (int i = 0; i < 500; i++) {
            final SessionToken token = TestTokens.random(random);
            final String text = token.encode();
            assertThat(text).matches("[A-Za-z0-9_-]+");
            final SessionToken back = SessionToken.decode(text, clock);
            assertThat(back).isEqualTo(token);
            assertThat(back.encode()).isEqualTo(text);
            assertThat(back.relay()).isEqualTo(token.relay());
        }
    }

    private void decodeExpectingRejection(final String text) {
        try {
            SessionToken.decode(text, clock);
            fail("decoded garbage: " + text);
        } catch (final TokenException e) {
            checkException(e);
        }
    }

    private void decodeAny(final String text) {
        try {
            SessionToken.decode(text, clock);
        } catch (final TokenException e) {
            checkException(e);
        }
    }

    private void checkException(final TokenException e) {
        assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").hasSizeLessThan(200);
        kinds.merge(e.kind(), 1, Integer::sum);
    }
}
