package dev.derphole.crypto.nacl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.testing.Fuzz;

@Timeout(30)
class NaclBoxTest {
    // Produced with libsodium 1.0.18 crypto_box_easy (c = box(m, n, bob_pk, alice_sk)).
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] ALICE_SK
        = HEX.parseHex("3d94eea49c580aef816935762be049559d6d1440dede12e6a125f1841fff8e6f");
    private static final byte[] ALICE_PK
        = HEX.parseHex("4701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01");
    private static final byte[] BOB_SK
        = HEX.parseHex("c59c1cd72097760101ae219a64a71cd7d7af5146e44e427c6692245783e5f27a");
    private static final byte[] BOB_PK
        = HEX.parseHex("3de70cb2b9bb0bda3873d13e8a7cf4ea870dabeb296caa1dfce0a5f411c8d234");
    private static final byte[] NONCE = HEX.parseHex("404142434445464748494a4b4c4d4e4f5051525354555657");
    private static final byte[] MESSAGE = "{\"version\":2,\"CanAckPings\":true}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LIBSODIUM_BOX = HEX.parseHex(
        "0209085814b2bd2d76cc44d8284f0d0e41e5be59bbff7eaea8b03be975dd7aa7949eea402c256f63a6ea5487056a2dc6");

    @Test
    void shouldDerivePublicKeysLikeLibsodium() {
        assertThat(Curve25519KeyPair.fromPrivateKey(ALICE_SK).publicKey()).isEqualTo(ALICE_PK);
        assertThat(Curve25519KeyPair.fromPrivateKey(BOB_SK).publicKey()).isEqualTo(BOB_PK);
    }

    @Test
    void shouldSealByteIdenticalToLibsodium() {
        final NaclBox box = new NaclBox(Curve25519KeyPair.fromPrivateKey(ALICE_SK), BOB_PK);
        assertThat(box.seal(NONCE, MESSAGE)).isEqualTo(LIBSODIUM_BOX);
    }

    @Test
    void shouldOpenLibsodiumBoxFromTheOtherSide() throws NaclException {
        final NaclBox box = new NaclBox(Curve25519KeyPair.fromPrivateKey(BOB_SK), ALICE_PK);
        assertThat(box.open(NONCE, LIBSODIUM_BOX, 0, LIBSODIUM_BOX.length)).isEqualTo(MESSAGE);
    }

    @Test
    void shouldRejectTamperedBox() {
        final NaclBox box = new NaclBox(Curve25519KeyPair.fromPrivateKey(BOB_SK), ALICE_PK);
        final byte[] tampered = LIBSODIUM_BOX.clone();
        tampered[tampered.length - 1] ^= 1;
        assertThatThrownBy(() -> box.open(NONCE, tampered, 0, tampered.length)).isInstanceOf(NaclException.class);
        assertThatThrownBy(() -> box.open(NONCE, tampered, 0, 15)).isInstanceOf(NaclException.class);
    }

    @Test
    void shouldRejectLowOrderPeerKey() {
        assertThatThrownBy(() -> new NaclBox(Curve25519KeyPair.generate(), new byte[32]))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldMatchHsalsa20TestVector() {
        // From the XSalsa20 paper / NaCl tests/core3: HSalsa20 of the X25519 shared secret of the
        // classic alice/bob keys with a zero nonce ("firstkey" in NaCl's tests/secretbox.c).
        final byte[] shared = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertThat(HEX.formatHex(NaclBox.hsalsa20(shared, new byte[16])))
            .isEqualTo("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    }

    @Test
    void shouldRoundTripAnyMessage() {
        final Curve25519KeyPair a = Curve25519KeyPair.generate();
        final Curve25519KeyPair b = Curve25519KeyPair.generate();
        final NaclBox sealer = new NaclBox(a, b.publicKey());
        final NaclBox opener = new NaclBox(b, a.publicKey());
        Fuzz.forAll(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 200, 2048), message -> {
            final byte[] nonce = NaclBox.randomNonce();
            final byte[] sealed = sealer.seal(nonce, message);
            assertThat(sealed).hasSize(message.length + NaclBox.OVERHEAD);
            try {
                assertThat(opener.open(nonce, sealed, 0, sealed.length)).isEqualTo(message);
            } catch (final NaclException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void shouldNeverThrowAnythingButNaclExceptionOnGarbageOrMutants() {
        final NaclBox box = new NaclBox(Curve25519KeyPair.fromPrivateKey(BOB_SK), ALICE_PK);
        final java.util.List<byte[]> inputs = new java.util.ArrayList<>(Fuzz.randomBytes(Fuzz.DEFAULT_SEED, 300, 300));
        inputs.addAll(Fuzz.mutations(Fuzz.DEFAULT_SEED, LIBSODIUM_BOX, 300));
        inputs.addAll(Fuzz.truncations(LIBSODIUM_BOX));
        Fuzz.forAll(inputs, garbage ->
            assertThatThrownBy(() -> box.open(NONCE, garbage, 0, garbage.length)).isInstanceOf(NaclException.class));
    }
}
