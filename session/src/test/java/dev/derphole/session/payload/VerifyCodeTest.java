package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class VerifyCodeTest {
    private static final String TOKEN = "AQEAAQIDBAUGBwgJCgsMDQ4PAAAAAQIDBAURERERERER";

    @Test
    void shouldMatchAnIndependentDigest() throws Exception {
        final byte[] digest = MessageDigest.getInstance("SHA-256")
            .digest(("derphole-verify:" + TOKEN).getBytes(StandardCharsets.UTF_8));
        final String hex = HexFormat.of().formatHex(digest).toUpperCase(java.util.Locale.ROOT);
        final String expected = hex.substring(0, 4) + "-" + hex.substring(4, 8) + "-" + hex.substring(8, 12);
        assertThat(VerifyCode.of(TOKEN)).isEqualTo(expected).matches("[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}");
    }

    @Test
    void shouldPinAKnownCode() {
        // printf 'derphole-verify:hello' | sha256sum  ->  a3592920ad0efbf9...
        assertThat(VerifyCode.of("hello")).isEqualTo("A359-2920-AD0E");
    }

    @Test
    void shouldPassAMatchingOrAbsentCode() throws PayloadException {
        VerifyCode.check(PayloadHeader.file("a", 1).withVerify(VerifyCode.of(TOKEN)), TOKEN);
        VerifyCode.check(PayloadHeader.file("a", 1), TOKEN);
    }

    @Test
    void shouldRejectAnotherTokensCode() {
        final PayloadHeader header = PayloadHeader.file("a", 1).withVerify(VerifyCode.of(TOKEN + "x"));
        assertThatThrownBy(() -> VerifyCode.check(header, TOKEN)).isInstanceOf(PayloadException.class)
            .hasMessage("verification mismatch: got \"" + VerifyCode.of(TOKEN + "x") + "\", want \""
                + VerifyCode.of(TOKEN) + "\"");
        final PayloadHeader lowerCase = PayloadHeader.file("a", 1).withVerify(VerifyCode.of(TOKEN).toLowerCase(
            java.util.Locale.ROOT));
        assertThatThrownBy(() -> VerifyCode.check(lowerCase, TOKEN)).isInstanceOf(PayloadException.class)
            .hasMessageStartingWith("verification mismatch");
    }
}
