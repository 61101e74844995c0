package dev.derphole.session.payload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.derphole.testing.SshKeys;

class SshPublicKeyTest {
    @Test
    void shouldReadAKeyLineWithItsComment() throws Exception {
        final String line = SshKeys.ed25519(1, "deploy@laptop");
        final SshPublicKey key = SshPublicKey.parse("  " + line + "\n");
        assertThat(key.type()).isEqualTo("ssh-ed25519");
        assertThat(key.comment()).isEqualTo("deploy@laptop");
        assertThat(key.line()).isEqualTo(line);
        assertThat(key.keyId()).isEqualTo("deploy@laptop");
        assertThat(key.fingerprint()).startsWith("SHA256:").hasSize(7 + 43);
        assertThat(SshPublicKey.parse(SshKeys.ed25519(1, "")).keyId()).isEqualTo(key.fingerprint());
        assertThat(key.sameKey(SshPublicKey.parse(SshKeys.ed25519(1, "other comment")))).isTrue();
        assertThat(key.sameKey(SshPublicKey.parse(SshKeys.ed25519(2, "deploy@laptop")))).isFalse();
    }

    @Test
    void shouldRefuseAnythingButOneKeyOfAKnownType() {
        final String good = SshKeys.ed25519(3, "x");
        for (final String bad : new String[] {"", "ssh-ed25519", "command=\"rm -rf /\" " + good,
            good + "\n" + good, "ssh-dss " + good.substring(12), "ssh-rsa " + good.substring(12),
            "ssh-ed25519 !!!notbase64!!!", "ssh-ed25519 AAAA", good + "\u0007", "x".repeat(9000)}) {
            assertThatThrownBy(() -> SshPublicKey.parse(bad)).as(bad).isInstanceOf(PayloadException.class);
        }
    }

    @Test
    void shouldOnlyEverParseOrRefuseMutatedLines() {
        final byte[] good = SshKeys.ed25519(4, "fuzz@host").getBytes(StandardCharsets.UTF_8);
        final SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 5_000; i++) {
            final byte[] mutated = good.clone();
            for (int m = 1 + random.nextInt(4); m > 0; m--) {
                mutated[random.nextInt(mutated.length)] = (byte)random.nextInt(256);
            }
            final String text = new String(mutated, 0, random.nextInt(mutated.length + 1), StandardCharsets.UTF_8);
            try {
                final SshPublicKey key = SshPublicKey.parse(text);
                assertThat(key.line()).doesNotContain("\n", "\r");
            } catch (final PayloadException expected) {
                // refused: fine
            }
        }
    }
}
