package dev.derphole.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.SplittableRandom;

import javax.crypto.SecretKey;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SessionKeyDerivationTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void shouldMatchRfc5869TestCase1() {
        // RFC 5869 Appendix A.1 (Basic test case with SHA-256).
        final byte[] ikm = new byte[22];
        Arrays.fill(ikm, (byte)0x0b);
        final byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        final byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
        final byte[] okm = SessionKeyDerivation.hkdfSha256(ikm, salt, info, 42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void shouldMatchRfc5869TestCase3WithEmptySaltAndInfo() {
        // RFC 5869 Appendix A.3: zero-length salt and info.
        final byte[] ikm = new byte[22];
        Arrays.fill(ikm, (byte)0x0b);
        final byte[] okm = SessionKeyDerivation.hkdfSha256(ikm, new byte[0], new byte[0], 42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    @Test
    void shouldDeriveTheLabelledHkdfOutput() {
        final byte[] secret = seq(32, 1);
        final byte[] session = seq(16, 100);
        final SessionKeyDerivation keys = new SessionKeyDerivation(secret, session);
        final byte[] expected = SessionKeyDerivation.hkdfSha256(
            secret, session, "derphole/v1/rendezvous".getBytes(StandardCharsets.US_ASCII), 32);
        final SecretKey key = keys.aesKey(KeyPurpose.RENDEZVOUS);
        assertThat(key.getAlgorithm()).isEqualTo("AES");
        assertThat(key.getEncoded()).isEqualTo(expected);
        assertThat(keys.keyBytes(KeyPurpose.RENDEZVOUS, 32)).isEqualTo(expected);
    }

    @Test
    void shouldGiveDistinctKeysPerPurposeAndPerSession() {
        final SplittableRandom random = new SplittableRandom(7);
        final Set<String> seen = new HashSet<>();
        for (int s = 0; s < 4; s++) {
            final byte[] secret = new byte[32];
            final byte[] session = new byte[16];
            random.nextBytes(secret);
            random.nextBytes(session);
            final SessionKeyDerivation keys = new SessionKeyDerivation(secret, session);
            for (final KeyPurpose purpose : KeyPurpose.values()) {
                assertThat(seen.add(HEX.formatHex(keys.aesKey(purpose).getEncoded())))
                    .as("key for %s in session %d is new", purpose, s).isTrue();
            }
        }
        assertThat(seen).hasSize(4 * KeyPurpose.values().length);
    }

    @Test
    void shouldChangeKeyWhenOnlyTheSessionIdChanges() {
        final byte[] secret = seq(32, 9);
        final byte[] a = seq(16, 0);
        final byte[] b = a.clone();
        b[15] ^= 1;
        assertThat(new SessionKeyDerivation(secret, a).aesKey(KeyPurpose.QUIC).getEncoded())
            .isNotEqualTo(new SessionKeyDerivation(secret, b).aesKey(KeyPurpose.QUIC).getEncoded());
    }

    @Test
    void shouldHaveDistinctAsciiLabels() {
        final Set<String> labels = new HashSet<>();
        for (final KeyPurpose purpose : KeyPurpose.values()) {
            assertThat(purpose.label()).startsWith("derphole/v1/").matches("[\\x21-\\x7e]+");
            assertThat(labels.add(purpose.label())).isTrue();
        }
        assertThat(KeyPurpose.STREAM_CLAIMER_TO_LISTENER.label()).isEqualTo("derphole/v1/stream/claimer-to-listener");
        assertThat(KeyPurpose.STREAM_LISTENER_TO_CLAIMER.label()).isEqualTo("derphole/v1/stream/listener-to-claimer");
        assertThat(KeyPurpose.PATH_PROBE.label()).isEqualTo("derphole/v1/path-probe");
        assertThat(KeyPurpose.QUIC.label()).isEqualTo("derphole/v1/quic");
    }

    @Test
    void shouldRejectWrongInputLengthsAndNeverPrintTheSecret() {
        assertThatThrownBy(() -> new SessionKeyDerivation(new byte[31], new byte[16]))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32");
        assertThatThrownBy(() -> new SessionKeyDerivation(new byte[32], new byte[15]))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16");
        assertThatThrownBy(() -> SessionKeyDerivation.hkdfSha256(new byte[1], new byte[1], new byte[1], 255 * 32 + 1))
            .isInstanceOf(IllegalArgumentException.class);
        final byte[] secret = seq(32, 0xa0);
        final String text = new SessionKeyDerivation(secret, seq(16, 0)).toString();
        assertThat(text).doesNotContain(HEX.formatHex(secret)).doesNotContain(HEX.formatHex(secret, 0, 4));
    }

    @Test
    void shouldNotShareStateWithTheCallersArrays() {
        final byte[] secret = seq(32, 3);
        final byte[] session = seq(16, 4);
        final SessionKeyDerivation keys = new SessionKeyDerivation(secret, session);
        final byte[] before = keys.keyBytes(KeyPurpose.PATH_PROBE, 32);
        Arrays.fill(secret, (byte)0);
        Arrays.fill(session, (byte)0);
        assertThat(keys.keyBytes(KeyPurpose.PATH_PROBE, 32)).isEqualTo(before);
    }

    private static byte[] seq(final int length, final int start) {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte)(start + i);
        }
        return b;
    }
}
