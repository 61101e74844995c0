package dev.derphole.session.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.KeyPurpose;
import dev.derphole.derp.proto.NodeKey;

@Timeout(30)
class SessionTokenTest {
    private final MutableClock clock = new MutableClock(TestTokens.NOW);
    private final SplittableRandom random = new SplittableRandom(42);

    @Test
    void shouldRoundTripDerpMapAndCustomRelayTokens() throws TokenException {
        final SessionToken derp = TestTokens.stdio(random);
        assertThat(SessionToken.decode(derp.encode(), clock)).isEqualTo(derp);

        final SessionToken custom = new SessionToken(EnumSet.of(Capability.SHARE), TestTokens.bytes(random, 16),
            TestTokens.NOW.getEpochSecond() + 60, new RelayBootstrap.CustomRelay("http://127.0.0.1:3340", 3478),
            NodeKey.of(TestTokens.bytes(random, 32)), TestTokens.identity(random), TestTokens.bytes(random, 32));
        final SessionToken back = SessionToken.decode(custom.encode(), clock);
        assertThat(back).isEqualTo(custom);
        assertThat(back.relay()).isEqualTo(new RelayBootstrap.CustomRelay("http://127.0.0.1:3340", 3478));
        assertThat(back.capabilities()).containsExactly(Capability.SHARE);
        assertThat(back.identityPublicKey()).isEqualTo(custom.identityPublicKey());
        assertThat(back.bearerSecret()).isEqualTo(custom.bearerSecret());
    }

    @Test
    void shouldEncodeTheDocumentedLayout() {
        final byte[] id = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        final byte[] secret = new byte[32];
        java.util.Arrays.fill(secret, (byte)0x5a);
        final byte[] derpKey = new byte[32];
        java.util.Arrays.fill(derpKey, (byte)0x11);
        final SessionToken token = new SessionToken(EnumSet.of(Capability.STDIO), id, 0x0102030405L,
            new RelayBootstrap.DerpMapNode(0x0a0b, "1a"), NodeKey.of(derpKey), TestTokens.RFC8032_PUBLIC, secret);
        final String text = token.encode();
        assertThat(text).doesNotContain("=").hasSize(176);
        final byte[] raw = Base64.getUrlDecoder().decode(text);
        assertThat(raw).hasSize(132);
        assertThat(HexFormat.of().formatHex(raw, 0, 26)).isEqualTo("0101" + "000102030405060708090a0b0c0d0e0f"
            + "0000000102030405");
        assertThat(java.util.Arrays.copyOfRange(raw, 26, 58)).isEqualTo(derpKey);
        assertThat(java.util.Arrays.copyOfRange(raw, 58, 90)).isEqualTo(TestTokens.RFC8032_PUBLIC);
        assertThat(java.util.Arrays.copyOfRange(raw, 90, 122)).isEqualTo(secret);
        assertThat(HexFormat.of().formatHex(raw, 122, 128)).isEqualTo("010a0b02" + "3161");
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(raw, 0, 128);
        assertThat(java.nio.ByteBuffer.wrap(raw, 128, 4).getInt()).isEqualTo((int)crc.getValue());
    }

    @Test
    void shouldAcceptSurroundingWhitespaceFromAPaste() throws TokenException {
        final SessionToken token = TestTokens.stdio(random);
        assertThat(SessionToken.decode("  \n" + token.encode() + "\r\n\t ", clock)).isEqualTo(token);
    }

    @Test
    void shouldIssueRandomTokensValidForOneHour() throws TokenException {
        final NodeKey derp = NodeKey.of(TestTokens.bytes(random, 32));
        final IdentityKeyPair identity = IdentityKeyPair.generate();
        final SessionToken a = SessionToken.issue(EnumSet.of(Capability.STDIO), new RelayBootstrap.DerpMapNode(1, "1a"),
            derp, identity.publicKeyRaw(), clock);
        final SessionToken b = SessionToken.issue(EnumSet.of(Capability.STDIO), new RelayBootstrap.DerpMapNode(1, "1a"),
            derp, identity.publicKeyRaw(), clock);
        assertThat(a.expiresAt()).isEqualTo(TestTokens.NOW.plus(Duration.ofHours(1)));
        assertThat(a.sessionId()).isNotEqualTo(b.sessionId());
        assertThat(a.bearerSecret()).isNotEqualTo(b.bearerSecret());
        assertThat(a.derpPublicKey()).isEqualTo(derp);
        assertThat(IdentityKeyPair.rawPublicKey(IdentityKeyPair.publicKey(a.identityPublicKey())))
            .isEqualTo(identity.publicKeyRaw());

        clock.advance(Duration.ofMinutes(59));
        assertThat(SessionToken.decode(a.encode(), clock)).isEqualTo(a);
        clock.advance(Duration.ofMinutes(1));
        assertThatThrownBy(() -> SessionToken.decode(a.encode(), clock))
            .isInstanceOfSatisfying(TokenException.class,
                e -> assertThat(e.kind()).isEqualTo(TokenException.Kind.EXPIRED))
            .hasMessage("token expired at 2026-04-18T13:00:00Z");
    }

    @Test
    void shouldNeverPrintTheSecret() {
        final SessionToken token = TestTokens.stdio(random);
        final String text = token.toString();
        final String secretHex = HexFormat.of().formatHex(token.bearerSecret());
        assertThat(text).doesNotContain(secretHex).doesNotContain(secretHex.substring(0, 8))
            .doesNotContain(
                Base64.getUrlEncoder().withoutPadding().encodeToString(token.bearerSecret()).substring(0, 8))
            .doesNotContain(token.encode()).contains("STDIO").contains(HexFormat.of().formatHex(token.sessionId()));
    }

    @Test
    void shouldDeriveSessionKeysFromSecretAndSessionId() {
        final SessionToken a = TestTokens.stdio(random);
        final SessionToken b = TestTokens.stdio(random);
        assertThat(a.keys().aesKey(KeyPurpose.RENDEZVOUS).getEncoded())
            .isEqualTo(a.keys().aesKey(KeyPurpose.RENDEZVOUS).getEncoded())
            .isNotEqualTo(b.keys().aesKey(KeyPurpose.RENDEZVOUS).getEncoded())
            .isNotEqualTo(a.keys().aesKey(KeyPurpose.QUIC).getEncoded());
    }

    @Test
    void shouldRequireTheCapabilityTheCommandNeeds() throws TokenException {
        final SessionToken share = new SessionToken(EnumSet.of(Capability.SHARE), TestTokens.bytes(random, 16),
            TestTokens.NOW.getEpochSecond() + 60, new RelayBootstrap.DerpMapNode(1, "1a"),
            NodeKey.of(TestTokens.bytes(random, 32)), TestTokens.identity(random), TestTokens.bytes(random, 32));
        share.requireCapability(Capability.SHARE, "open");
        assertThatThrownBy(() -> share.requireCapability(Capability.STDIO, "pipe"))
            .isInstanceOfSatisfying(TokenException.class,
                e -> assertThat(e.kind()).isEqualTo(TokenException.Kind.CAPABILITY))
            .hasMessage("this token is for `share`, not `pipe`");
    }

    @Test
    void shouldReportEachKindWithItsMessage() {
        final SessionToken token = TestTokens.stdio(random);
        final String text = token.encode();

        expect("", TokenException.Kind.MALFORMED, "malformed token: empty");
        expect("not a token!", TokenException.Kind.MALFORMED, "malformed token: character 4 is not base64url");
        expect(text + "=", TokenException.Kind.MALFORMED, "malformed token: character 177 is not base64url");
        expect(text + "A", TokenException.Kind.MALFORMED,
            "malformed token: impossible length 177, it may be truncated");
        expect("A".repeat(2000), TokenException.Kind.MALFORMED, "malformed token: too long (2000 characters)");
        expect(text.substring(0, 4), TokenException.Kind.MALFORMED, "malformed token: too short, it may be truncated");
        // "AB" decodes to one byte with non-zero unused bits: not what an encoder writes.
        expect("AAAAAB", TokenException.Kind.MALFORMED,
            "malformed token: not canonical base64url, it may be mistyped or truncated");
        expect(TestTokens.reChecksummed(text + "AAAA", b -> { }), TokenException.Kind.MALFORMED,
            "malformed token: 3 unexpected trailing bytes");
        expect(TestTokens.reChecksummed(text, b -> b[1] = 0x20), TokenException.Kind.MALFORMED,
            "malformed token: capability bits 0x20 are empty or unknown");
        expect(TestTokens.reChecksummed(text, b -> java.util.Arrays.fill(b, 90, 122, (byte)0)),
            TokenException.Kind.MALFORMED, "malformed token: bearer secret is all zero");
        expect(TestTokens.reChecksummed(text, b -> java.util.Arrays.fill(b, 58, 90, (byte)0xff)),
            TokenException.Kind.MALFORMED, "malformed token: identity public key is not a valid Ed25519 key");
        expect(TestTokens.reChecksummed(text, b -> b[122] = 9), TokenException.Kind.MALFORMED,
            "malformed token: unknown relay kind 9");
        expect(TestTokens.reChecksummed(text, b -> b[126] = ' '), TokenException.Kind.MALFORMED,
            "malformed token: DERP node name may only use letters, digits, '.', '_', '-'");

        final char[] typo = text.toCharArray();
        typo[40] = typo[40] == 'x' ? 'y' : 'x';
        expect(new String(typo), TokenException.Kind.CHECKSUM,
            "token checksum mismatch: the token was mistyped or truncated");
        expect(text.substring(0, 172), TokenException.Kind.CHECKSUM,
            "token checksum mismatch: the token was mistyped or truncated");

        expect(TestTokens.reChecksummed(text, b -> b[0] = 2), TokenException.Kind.VERSION,
            "unsupported token version 2");
        expect(TestTokens.withCrc(new byte[] {(byte)200, 1, 2}), TokenException.Kind.VERSION,
            "unsupported token version 200");

        clock.set(token.expiresAt());
        expect(text, TokenException.Kind.EXPIRED, "token expired at 2026-04-18T13:00:00Z");
    }

    @Test
    void shouldRejectBadCustomRelayUrls() {
        final String[] bad = {
            "", "ftp://relay.example", "https://", "https://user:pw@relay.example", "https://relay.example/?q=1",
            "https://relay.example/#f", "https://relay.example:0", "https://relay.example:70000", "relay.example",
            "https://relay example", "https://rel\u00e4y.example", "https://relay.example\n", "HTTPS://relay.example",
            "https://" + "a".repeat(250) + ".example"};
        for (final String url : bad) {
            assertThatThrownBy(() -> new RelayBootstrap.CustomRelay(url, 0)).as(url)
                .isInstanceOf(IllegalArgumentException.class);
        }
        final String[] good = {
            "http://127.0.0.1:3340", "https://relay.example:443", "https://relay.example", "https://[::1]:8443/derp",
            "http://relay.example/derp"};
        for (final String url : good) {
            assertThat(new RelayBootstrap.CustomRelay(url, 3478).uri().getHost()).as(url).isNotEmpty();
        }
        assertThatThrownBy(() -> new RelayBootstrap.CustomRelay("http://127.0.0.1:3340", 65536))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayBootstrap.DerpMapNode(0, "1a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayBootstrap.DerpMapNode(1, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RelayBootstrap.DerpMapNode(1, "x".repeat(64)))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRejectImpossibleFieldsAtConstruction() {
        final byte[] id = TestTokens.bytes(random, 16);
        final NodeKey derp = NodeKey.of(TestTokens.bytes(random, 32));
        final byte[] identity = TestTokens.identity(random);
        final byte[] secret = TestTokens.bytes(random, 32);
        final RelayBootstrap relay = new RelayBootstrap.DerpMapNode(1, "1a");
        final long expires = Instant.parse("2030-01-01T00:00:00Z").getEpochSecond();
        assertThatThrownBy(() -> new SessionToken(EnumSet.noneOf(Capability.class), id, expires, relay, derp,
            identity, secret)).hasMessageContaining("capability");
        assertThatThrownBy(() -> new SessionToken(EnumSet.of(Capability.STDIO), new byte[16], expires, relay, derp,
            identity, secret)).hasMessageContaining("session id is all zero");
        assertThatThrownBy(() -> new SessionToken(EnumSet.of(Capability.STDIO), id, 0, relay, derp, identity, secret))
            .hasMessageContaining("expiry");
        assertThatThrownBy(() -> new SessionToken(EnumSet.of(Capability.STDIO), id,
            SessionToken.MAX_EXPIRES_UNIX_SECONDS + 1, relay, derp, identity, secret)).hasMessageContaining("expiry");
        assertThatThrownBy(() -> new SessionToken(EnumSet.of(Capability.STDIO), id, expires, relay,
            NodeKey.of(new byte[32]), identity, secret)).hasMessageContaining("DERP public key is all zero");
        assertThatThrownBy(() -> new SessionToken(EnumSet.of(Capability.STDIO), id, expires, relay, derp,
            new byte[32], secret)).hasMessageContaining("Ed25519");
        assertThatThrownBy(() -> new SessionToken(EnumSet.of(Capability.STDIO), id, expires, relay, derp,
            identity, new byte[31])).hasMessageContaining("bearer secret must be 32 bytes");
    }

    private void expect(final String text, final TokenException.Kind kind, final String message) {
        assertThatThrownBy(() -> SessionToken.decode(text, clock)).as("decode %s", text)
            .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind()).isEqualTo(kind))
            .hasMessage(message);
    }
}
