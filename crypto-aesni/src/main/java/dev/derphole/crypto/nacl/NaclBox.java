package dev.derphole.crypto.nacl;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * NaCl {@code crypto_box} between one private key and one peer public key: the shared key is
 * {@code HSalsa20(X25519(priv, peer), 0)} (libsodium {@code crypto_box_beforenm}) and each message is an
 * XSalsa20-Poly1305 secretbox. Sealed output is {@code tag(16) || ciphertext}, the layout of
 * {@code crypto_box_easy} and Go's {@code box.Seal}.
 * <p>
 * Not thread-safe: each call builds its own cipher state, but instances are meant for one connection.
 */
public final class NaclBox {
    public static final int NONCE_LENGTH = 24;
    public static final int OVERHEAD = 16;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int POLY_KEY_LENGTH = 32;
    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

    private final byte[] sharedKey;

    /**
     * @param ourKeys    our key pair
     * @param peerPublic the peer's 32-byte public key
     * @throws IllegalArgumentException when the peer key has the wrong length or is a low-order point
     */
    public NaclBox(final Curve25519KeyPair ourKeys, final byte[] peerPublic) {
        final byte[] shared = ourKeys.sharedSecret(peerPublic);
        this.sharedKey = hsalsa20(shared, new byte[16]);
        Arrays.fill(shared, (byte)0);
    }

    /** A fresh random 24-byte nonce. Random nonces are how DERP uses boxes (one per handshake). */
    public static byte[] randomNonce() {
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** Seals {@code message} under {@code nonce}; returns {@code tag || ciphertext}. */
    public byte[] seal(final byte[] nonce, final byte[] message) {
        checkNonce(nonce);
        final XSalsa20Engine stream = stream(nonce);
        final byte[] polyKey = new byte[POLY_KEY_LENGTH];
        stream.processBytes(polyKey, 0, POLY_KEY_LENGTH, polyKey, 0);

        final byte[] out = new byte[OVERHEAD + message.length];
        stream.processBytes(message, 0, message.length, out, OVERHEAD);
        mac(polyKey, out, OVERHEAD, message.length, out, 0);
        return out;
    }

    /**
     * Opens {@code box[offset, offset+length)} ({@code tag || ciphertext}).
     *
     * @throws NaclException when the box is too short or its tag does not verify
     */
    public byte[] open(final byte[] nonce, final byte[] box, final int offset, final int length) throws NaclException {
        checkNonce(nonce);
        if (length < OVERHEAD || offset < 0 || offset + length > box.length) {
            throw new NaclException("box too short: " + length + " bytes");
        }
        final XSalsa20Engine stream = stream(nonce);
        final byte[] polyKey = new byte[POLY_KEY_LENGTH];
        stream.processBytes(polyKey, 0, POLY_KEY_LENGTH, polyKey, 0);

        final int cipherLength = length - OVERHEAD;
        final byte[] expectedTag = new byte[OVERHEAD];
        mac(polyKey, box, offset + OVERHEAD, cipherLength, expectedTag, 0);
        if (!MessageDigest.isEqual(expectedTag, Arrays.copyOfRange(box, offset, offset + OVERHEAD))) {
            throw new NaclException("box authentication failed");
        }
        final byte[] plain = new byte[cipherLength];
        stream.processBytes(box, offset + OVERHEAD, cipherLength, plain, 0);
        return plain;
    }

    private XSalsa20Engine stream(final byte[] nonce) {
        final XSalsa20Engine engine = new XSalsa20Engine();
        engine.init(true, new ParametersWithIV(new KeyParameter(sharedKey), nonce));
        return engine;
    }

    private static void mac(
        final byte[] polyKey, final byte[] data, final int offset, final int length, final byte[] out,
            final int outOffset) {
        final Poly1305 poly = new Poly1305();
        poly.init(new KeyParameter(polyKey));
        poly.update(data, offset, length);
        poly.doFinal(out, outOffset);
    }

    private static void checkNonce(final byte[] nonce) {
        if (nonce.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("nonce must be 24 bytes, got " + nonce.length);
        }
    }

    /**
     * HSalsa20 (the XSalsa20 paper, §2): the Salsa20 core without its final addition, keeping words
     * 0, 5, 10, 15, 6, 7, 8, 9. Bouncy Castle's core adds the input back, so we subtract it again.
     */
    static byte[] hsalsa20(final byte[] key, final byte[] nonce16) {
        final int[] in = new int[16];
        in[0] = SIGMA[0];
        in[5] = SIGMA[1];
        in[10] = SIGMA[2];
        in[15] = SIGMA[3];
        for (int i = 0; i < 4; i++) {
            in[1 + i] = littleEndian(key, 4 * i);
            in[11 + i] = littleEndian(key, 16 + 4 * i);
            in[6 + i] = littleEndian(nonce16, 4 * i);
        }
        final int[] x = new int[16];
        Salsa20Engine.salsaCore(20, in, x);
        final int[] picks = {0, 5, 10, 15, 6, 7, 8, 9};
        final byte[] out = new byte[32];
        for (int i = 0; i < picks.length; i++) {
            final int word = x[picks[i]] - in[picks[i]];
            out[4 * i] = (byte)word;
            out[4 * i + 1] = (byte)(word >>> 8);
            out[4 * i + 2] = (byte)(word >>> 16);
            out[4 * i + 3] = (byte)(word >>> 24);
        }
        return out;
    }

    private static int littleEndian(final byte[] b, final int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
