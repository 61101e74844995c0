package dev.derphole.session.rendezvous;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens rendezvous packets with AES-256-GCM: random 12-byte nonce per packet, the kind and
 * version bytes as associated data (so a CLAIM cannot be replayed as a DECISION, nor a version changed),
 * 16-byte tag. Both directions share one key; random 96-bit nonces make a repeat negligible at the few
 * packets a rendezvous sends (NIST SP 800-38D §8.3 allows 2^32 random nonces per key).
 * <p>
 * Owned by one listener or claimer; not thread-safe (holds one JDK {@code Cipher}).
 */
final class RendezvousCipher {
    private static final int TAG_BITS = RendezvousProtocol.TAG_LENGTH * 8;

    private final SecretKey key;
    private final SecureRandom random;
    private final Cipher cipher;

    RendezvousCipher(final SecretKey key, final SecureRandom random) {
        this.key = key;
        this.random = random;
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no AES/GCM", e);
        }
    }

    /** A packet of {@code kind} and {@code version} carrying {@code body}. */
    byte[] seal(final int kind, final int version, final byte[] body) {
        final byte[] packet = new byte[RendezvousProtocol.OVERHEAD + body.length];
        packet[0] = (byte)kind;
        packet[1] = (byte)version;
        final byte[] nonce = new byte[RendezvousProtocol.NONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, packet, 2, nonce.length);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key,
                new GCMParameterSpec(TAG_BITS, packet, 2, RendezvousProtocol.NONCE_LENGTH));
            cipher.updateAAD(packet, 0, 2);
            final int written = cipher.doFinal(body, 0, body.length, packet, RendezvousProtocol.HEADER_LENGTH);
            if (written != body.length + RendezvousProtocol.TAG_LENGTH) {
                throw new IllegalStateException("GCM wrote " + written + " bytes");
            }
            return packet;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    /**
     * The body of the packet at {@code buf[offset, offset+length)}, or null when it does not authenticate.
     * The caller has checked {@code length >= OVERHEAD}.
     */
    byte[] open(final byte[] buf, final int offset, final int length) {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key,
                new GCMParameterSpec(TAG_BITS, buf, offset + 2, RendezvousProtocol.NONCE_LENGTH));
            cipher.updateAAD(buf, offset, 2);
            return cipher.doFinal(buf, offset + RendezvousProtocol.HEADER_LENGTH,
                length - RendezvousProtocol.HEADER_LENGTH);
        } catch (final AEADBadTagException e) {
            return null;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }
}
