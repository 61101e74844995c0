package dev.derphole.session.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class IdentityKeyPairTest {
    @Test
    void shouldExposeTheRawKeyThatVerifiesSignatures() throws Exception {
        final IdentityKeyPair identity = IdentityKeyPair.generate();
        final byte[] raw = identity.publicKeyRaw();
        assertThat(raw).hasSize(32);
        assertThat(IdentityKeyPair.isValidPublicKey(raw, 0)).isTrue();

        final Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(identity.keyPair().getPrivate());
        signer.update(new byte[] {1, 2, 3});
        final byte[] signature = signer.sign();
        final Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(IdentityKeyPair.publicKey(raw));
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(signature)).isTrue();
        assertThat(identity.toString()).contains(HexFormat.of().formatHex(raw));
    }

    @Test
    void shouldRejectKeysThatAreNotUsableEd25519Points() {
        final byte[] ff = new byte[32];
        Arrays.fill(ff, (byte)0xff);
        final byte[] identityPoint = new byte[32];
        identityPoint[0] = 1; // the neutral element: small order
        assertThat(IdentityKeyPair.isValidPublicKey(new byte[32], 0)).isFalse();
        assertThat(IdentityKeyPair.isValidPublicKey(ff, 0)).isFalse();
        assertThat(IdentityKeyPair.isValidPublicKey(identityPoint, 0)).isFalse();
        assertThat(IdentityKeyPair.isValidPublicKey(new byte[31], 0)).isFalse();
        assertThat(IdentityKeyPair.isValidPublicKey(TestTokens.RFC8032_PUBLIC, 0)).isTrue();
        assertThatThrownBy(() -> IdentityKeyPair.publicKey(ff)).isInstanceOf(IllegalArgumentException.class);
    }
}
