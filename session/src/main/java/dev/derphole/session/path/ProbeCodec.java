package dev.derphole.session.path;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

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
    /** Lane packets (several UDP sockets per session, {@code pipe --parallel}); see {@link #laneOffer}. */
    public static final int LANE_OFFER = 0x82;
    public static final int LANE_PROBE = 0x83;
    public static final int LANE_ACK = 0x84;
    /** Lane indices a lane packet may name (lane 0 is the direct path itself). */
    public static final int MIN_LANE = 1;
    public static final int MAX_LANE = 15;
    /** Most candidates one LANE_OFFER carries. */
    public static final int MAX_LANE_CANDIDATES = 8;
    /** Length of a lane packet without candidates; each candidate adds {@link #LANE_CANDIDATE_BYTES}. */
    public static final int LANE_LENGTH = 36;
    public static final int LANE_CANDIDATE_BYTES = 6;
    private static final int LANE_INDEX_OFFSET = 18;
    private static final int LANE_COUNT_OFFSET = 19;
    private static final int LANE_CANDIDATES_OFFSET = 20;
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

    /** What a verified lane packet said: its kind, sequence, echo (LANE_ACK), lane index and candidates (OFFER). */
    public record LaneVerified(int kind, long sequence, long echo, int lane, List<InetSocketAddress> candidates) {
    }

    /** Why a lane packet was refused (each is counted by the receiver). */
    public enum LaneRefusal {
        /** Wrong length, kind or version, a candidate count that does not fit, an unusable candidate. */
        MALFORMED,
        /** A lane index outside {@link #MIN_LANE}..{@link #MAX_LANE}. */
        BAD_LANE,
        /** The tag did not verify: another key, session or direction. */
        AUTH,
        /** A sequence accepted before (or too old). */
        REPLAY
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

    /** True for the first byte of a lane packet (LANE_OFFER, LANE_PROBE, LANE_ACK). */
    public static boolean isLaneKind(final int firstByte) {
        return firstByte == LANE_OFFER || firstByte == LANE_PROBE || firstByte == LANE_ACK;
    }

    /**
     * A LANE_OFFER: the sender's lane {@code lane} has these addresses (its socket's interface addresses and the
     * STUN-mapped one), so the receiver can probe them and open its own NAT for that lane. Goes over lane 0.
     * <pre>
     * off  len field
     *   0    1 kind: 0x82 LANE_OFFER, 0x83 LANE_PROBE, 0x84 LANE_ACK
     *   1    1 version = 1
     *   2    8 sequence of the sender (the same counter as PROBE and ACK)
     *  10    8 echo: for LANE_ACK the sequence of the LANE_PROBE answered, else 0
     *  18    1 lane index, 1..15
     *  19    1 candidate count n: 1..8 in a LANE_OFFER, 0 otherwise
     *  20   6n candidates: IPv4 address (4) and port (2), big-endian
     *  20+6n 16 HMAC-SHA256(key, context | bytes 0..20+6n-1), first 16 bytes (context as for PROBE)
     * </pre>
     */
    public synchronized byte[] laneOffer(final int lane, final List<InetSocketAddress> candidates) {
        if (candidates.isEmpty() || candidates.size() > MAX_LANE_CANDIDATES) {
            throw new IllegalArgumentException("a lane offer carries 1.." + MAX_LANE_CANDIDATES + " candidates");
        }
        final byte[] p = new byte[LANE_LENGTH + LANE_CANDIDATE_BYTES * candidates.size()];
        int at = LANE_CANDIDATES_OFFSET;
        for (final InetSocketAddress c : candidates) {
            final byte[] ip = c.getAddress().getAddress();
            if (ip.length != 4) {
                throw new IllegalArgumentException("lane candidates are IPv4: " + c);
            }
            System.arraycopy(ip, 0, p, at, 4);
            p[at + 4] = (byte)(c.getPort() >>> 8);
            p[at + 5] = (byte)c.getPort();
            at += LANE_CANDIDATE_BYTES;
        }
        writeLane(p, LANE_OFFER, 0, lane, candidates.size());
        return p;
    }

    /** A LANE_PROBE for lane {@code lane}: sent from that lane's socket (and by the receiver to its candidates). */
    public synchronized byte[] laneProbe(final int lane) {
        final byte[] p = new byte[LANE_LENGTH];
        writeLane(p, LANE_PROBE, 0, lane, 0);
        return p;
    }

    /** A LANE_ACK answering the LANE_PROBE with sequence {@code echo} for lane {@code lane}, sent to its source. */
    public synchronized byte[] laneAck(final int lane, final long echo) {
        final byte[] p = new byte[LANE_LENGTH];
        writeLane(p, LANE_ACK, echo, lane, 0);
        return p;
    }

    private void writeLane(final byte[] p, final int kind, final long echo, final int lane, final int count) {
        if (lane < MIN_LANE || lane > MAX_LANE) {
            throw new IllegalArgumentException("lane index must be " + MIN_LANE + ".." + MAX_LANE + ": " + lane);
        }
        p[0] = (byte)kind;
        p[1] = VERSION;
        putLong(p, 2, nextSequence++);
        putLong(p, 10, echo);
        p[LANE_INDEX_OFFSET] = (byte)lane;
        p[LANE_COUNT_OFFSET] = (byte)count;
        final int signed = p.length - TAG;
        signLane(sendContext, p, 0, signed);
        System.arraycopy(tag, 0, p, signed, TAG);
    }

    /**
     * Verifies a received lane packet and records its sequence (shared with PROBE and ACK). Checks, in order:
     * length, kind, version and candidate count ({@link LaneRefusal#MALFORMED}), lane index
     * ({@link LaneRefusal#BAD_LANE}), tag ({@link LaneRefusal#AUTH}), candidates (MALFORMED), sequence
     * ({@link LaneRefusal#REPLAY}).
     *
     * @param refusal where the reason goes when the packet is refused (index 0), may be null
     * @return what it said, or null when refused
     */
    public synchronized LaneVerified verifyLane(final byte[] buf, final int offset, final int length,
        final LaneRefusal[] refusal) {
        if (length < LANE_LENGTH || !isLaneKind(buf[offset] & 0xff) || buf[offset + 1] != VERSION) {
            return refuse(refusal, LaneRefusal.MALFORMED);
        }
        final int kind = buf[offset] & 0xff;
        final int count = buf[offset + LANE_COUNT_OFFSET] & 0xff;
        final boolean countFits = kind == LANE_OFFER ? count >= 1 && count <= MAX_LANE_CANDIDATES : count == 0;
        if (!countFits || length != LANE_LENGTH + LANE_CANDIDATE_BYTES * count) {
            return refuse(refusal, LaneRefusal.MALFORMED);
        }
        final int lane = buf[offset + LANE_INDEX_OFFSET] & 0xff;
        if (lane < MIN_LANE || lane > MAX_LANE) {
            return refuse(refusal, LaneRefusal.BAD_LANE);
        }
        final int signed = length - TAG;
        signLane(receiveContext, buf, offset, signed);
        if (!MessageDigest.isEqual(java.util.Arrays.copyOf(tag, TAG),
            java.util.Arrays.copyOfRange(buf, offset + signed, offset + length))) {
            return refuse(refusal, LaneRefusal.AUTH);
        }
        final List<InetSocketAddress> candidates = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final int at = offset + LANE_CANDIDATES_OFFSET + i * LANE_CANDIDATE_BYTES;
            final int port = (buf[at + 4] & 0xff) << 8 | buf[at + 5] & 0xff;
            final InetAddress address;
            try {
                address = InetAddress.getByAddress(java.util.Arrays.copyOfRange(buf, at, at + 4));
            } catch (final UnknownHostException e) {
                return refuse(refusal, LaneRefusal.MALFORMED);
            }
            if (port == 0 || address.isAnyLocalAddress() || address.isMulticastAddress()) {
                return refuse(refusal, LaneRefusal.MALFORMED);
            }
            candidates.add(new InetSocketAddress(address, port));
        }
        final long sequence = getLong(buf, offset + 2);
        if (!seen.accept(sequence)) {
            return refuse(refusal, LaneRefusal.REPLAY);
        }
        return new LaneVerified(kind, sequence, getLong(buf, offset + 10), lane, List.copyOf(candidates));
    }

    private static LaneVerified refuse(final LaneRefusal[] refusal, final LaneRefusal reason) {
        if (refusal != null && refusal.length > 0) {
            refusal[0] = reason;
        }
        return null;
    }

    private void signLane(final byte[] context, final byte[] buf, final int offset, final int length) {
        try {
            mac.update(context);
            mac.update(buf, offset, length);
            mac.doFinal(tag, 0);
        } catch (final javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
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
