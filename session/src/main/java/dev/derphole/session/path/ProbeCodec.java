package dev.derphole.session.path;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import dev.derphole.crypto.ReplayWindow;
import dev.derphole.derp.proto.NodeKey;

/**
 * Path probe packets (first byte 0x80 PROBE, 0x81 ACK), authenticated with HMAC-SHA256 under the session's
 * PATH_PROBE key. The MAC covers a context of the session id and both DERP keys (sender first), so a probe
 * from one session, or reflected back at its sender, never verifies. Each side numbers its packets with one
 * strictly increasing sequence; a receiver accepts each sequence at most once (a replay window), so a
 * replayed packet is refused.
 * <pre>
 * off len field
 *   0   1 kind: 0x80 PROBE, 0x81 ACK
 *   1   1 version = 1
 *   2   8 sequence of the sender (starts at 1)
 *  10   8 echo: for ACK the sequence of the probe answered, for PROBE 0
 *  18   4 size: for PROBE its own length in bytes, for ACK the length of the probe answered
 *  22  16 HMAC-SHA256(key, context | bytes 0..21), first 16 bytes
 *  38   . PROBE only: zero padding up to size (a path MTU probe; the size is authenticated, the padding not)
 * context = "derphole/v1/probe" | session id (16) | sender DERP key (32) | receiver DERP key (32)
 * </pre>
 * A padded PROBE that comes back as an ACK proves that datagrams of its size cross the path both ways
 * unfragmented (the socket sets don't-fragment), which is how the direct path picks its datagram size.
 * <p>
 * Control-plane rate (a few packets per 100 ms): may allocate. Thread-safe (methods are synchronized).
 */
public final class ProbeCodec {
    /** Sequence numbers remembered below the highest accepted one. */
    private static final int REPLAY_WINDOW = 1024;

    public static final int PROBE = 0x80;
    public static final int ACK = 0x81;
    public static final int VERSION = 1;
    /** Length of an ACK and of an unpadded PROBE. */
    public static final int LENGTH = 38;
    /** Largest padded PROBE. */
    public static final int MAX_LENGTH = 65_507;
    private static final int HEADER = 22;
    private static final int TAG = 16;
    private static final byte[] LABEL = "derphole/v1/probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** What a verified packet said. */
    public record Verified(int kind, long sequence, long echo, int size) {
    }

    private final Mac mac;
    private final byte[] sendContext;
    private final byte[] receiveContext;
    private final byte[] tag = new byte[32];
    private long nextSequence = 1;
    private final ReplayWindow seen = new ReplayWindow(REPLAY_WINDOW);

    /**
     * @param key       the session's PATH_PROBE key (32 bytes)
     * @param sessionId the session id
     * @param own       this side's DERP public key
     * @param peer      the peer's DERP public key
     */
    public ProbeCodec(final byte[] key, final byte[] sessionId, final NodeKey own, final NodeKey peer) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
        sendContext = DirectionContext.of(LABEL, sessionId, own, peer);
        receiveContext = DirectionContext.of(LABEL, sessionId, peer, own);
    }

    /** A new unpadded PROBE packet. */
    public synchronized byte[] probe() {
        return encode(PROBE, 0, LENGTH);
    }

    /** A new PROBE padded to {@code size} bytes ({@link #LENGTH}..{@link #MAX_LENGTH}): a path MTU probe. */
    public synchronized byte[] probe(final int size) {
        if (size < LENGTH || size > MAX_LENGTH) {
            throw new IllegalArgumentException("probe size must be " + LENGTH + ".." + MAX_LENGTH + ": " + size);
        }
        return encode(PROBE, 0, size);
    }

    /** A new ACK answering the probe with sequence {@code echo} that was {@code probeSize} bytes long. */
    public synchronized byte[] ack(final long echo, final int probeSize) {
        final byte[] p = new byte[LENGTH];
        write(p, ACK, echo, probeSize);
        return p;
    }

    private byte[] encode(final int kind, final long echo, final int size) {
        final byte[] p = new byte[size];
        write(p, kind, echo, size);
        return p;
    }

    private void write(final byte[] p, final int kind, final long echo, final int size) {
        p[0] = (byte)kind;
        p[1] = VERSION;
        putLong(p, 2, nextSequence++);
        putLong(p, 10, echo);
        putInt(p, 18, size);
        sign(sendContext, p, 0);
        System.arraycopy(tag, 0, p, HEADER, TAG);
    }

    /** The sequence number of a packet this codec made (for timing it when its ACK comes back). */
    public static long sequenceOf(final byte[] packet) {
        return getLong(packet, 2);
    }

    /**
     * Verifies a received packet and records its sequence.
     *
     * @return what it said, or null when it is malformed, forged, from another session or a replay
     */
    public synchronized Verified verify(final byte[] buf, final int offset, final int length) {
        if (length < LENGTH) {
            return null;
        }
        final int kind = buf[offset] & 0xff;
        if (kind != PROBE && kind != ACK || buf[offset + 1] != VERSION) {
            return null;
        }
        final int size = getInt(buf, offset + 18);
        if (kind == PROBE ? size != length : length != LENGTH || size < LENGTH || size > MAX_LENGTH) {
            return null;
        }
        sign(receiveContext, buf, offset);
        if (!MessageDigest.isEqual(java.util.Arrays.copyOf(tag, TAG),
            java.util.Arrays.copyOfRange(buf, offset + HEADER, offset + HEADER + TAG))) {
            return null;
        }
        final long sequence = getLong(buf, offset + 2);
        // A window, not "above the highest": the peer sends PROBEs and ACKs from two threads, so its sequence
        // numbers can leave it slightly out of order; each number is still accepted at most once.
        if (!seen.accept(sequence)) {
            return null;
        }
        return new Verified(kind, sequence, getLong(buf, offset + 10), size);
    }

    private void sign(final byte[] context, final byte[] buf, final int offset) {
        try {
            mac.update(context);
            mac.update(buf, offset, HEADER);
            mac.doFinal(tag, 0);
        } catch (final javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putLong(final byte[] b, final int off, final long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte)(v >>> (56 - 8 * i));
        }
    }

    private static void putInt(final byte[] b, final int off, final int v) {
        for (int i = 0; i < 4; i++) {
            b[off + i] = (byte)(v >>> (24 - 8 * i));
        }
    }

    private static int getInt(final byte[] b, final int off) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = v << 8 | b[off + i] & 0xff;
        }
        return v;
    }

    private static long getLong(final byte[] b, final int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | b[off + i] & 0xffL;
        }
        return v;
    }
}
