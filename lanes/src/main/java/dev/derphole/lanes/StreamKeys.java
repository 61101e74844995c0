package dev.derphole.lanes;

import java.util.Arrays;

import dev.derphole.crypto.SessionAead;

/**
 * The two AES-256-GCM keys and nonce prefixes of one stream: one for packets from sender to receiver, one for
 * the way back. Both ends build the same {@code StreamKeys}; the sender seals with the first and opens with the
 * second, the receiver the other way round.
 * <p>
 * <b>Nonce safety:</b> packet numbers restart at 0 for every {@code BulkSender}/{@code BulkReceiver}, so keys
 * must be unique per stream instance (derive them per stream, e.g. HKDF over the session secret with the
 * stream's id). The two directions must differ in key or prefix; this is checked.
 */
public final class StreamKeys {
    private final byte[] senderToReceiverKey;
    private final int senderToReceiverPrefix;
    private final byte[] receiverToSenderKey;
    private final int receiverToSenderPrefix;

    private StreamKeys(final byte[] s2r, final int s2rPrefix, final byte[] r2s, final int r2sPrefix) {
        if (s2r == null || s2r.length != SessionAead.KEY_LENGTH
            || r2s == null || r2s.length != SessionAead.KEY_LENGTH) {
            throw new IllegalArgumentException("stream keys must be 32 bytes each");
        }
        if (Arrays.equals(s2r, r2s) && s2rPrefix == r2sPrefix) {
            throw new IllegalArgumentException("the two directions need different keys or nonce prefixes");
        }
        this.senderToReceiverKey = s2r.clone();
        this.senderToReceiverPrefix = s2rPrefix;
        this.receiverToSenderKey = r2s.clone();
        this.receiverToSenderPrefix = r2sPrefix;
    }

    /**
     * @param senderToReceiverKey    32-byte key for DATA, HEARTBEAT, CLOSE and ABORT from the sender (copied)
     * @param senderToReceiverPrefix 4-byte nonce prefix for that direction
     * @param receiverToSenderKey    32-byte key for ACK, HEARTBEAT and ABORT from the receiver (copied)
     * @param receiverToSenderPrefix 4-byte nonce prefix for that direction
     */
    public static StreamKeys of(
        final byte[] senderToReceiverKey, final int senderToReceiverPrefix,
        final byte[] receiverToSenderKey, final int receiverToSenderPrefix) {
        return new StreamKeys(senderToReceiverKey, senderToReceiverPrefix, receiverToSenderKey, receiverToSenderPrefix);
    }

    /** Copy of the sender-to-receiver key. */
    public byte[] senderToReceiverKey() {
        return senderToReceiverKey.clone();
    }

    public int senderToReceiverPrefix() {
        return senderToReceiverPrefix;
    }

    /** Copy of the receiver-to-sender key. */
    public byte[] receiverToSenderKey() {
        return receiverToSenderKey.clone();
    }

    public int receiverToSenderPrefix() {
        return receiverToSenderPrefix;
    }

    /** Overwrites the keys held here (engines keep their own copies inside their ciphers). */
    public void destroy() {
        Arrays.fill(senderToReceiverKey, (byte)0);
        Arrays.fill(receiverToSenderKey, (byte)0);
    }

    @Override
    public String toString() {
        return "StreamKeys[redacted]";
    }
}
