package dev.derphole.session.path;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.lanes.wire.BigEndian;
import dev.derphole.session.rendezvous.CandidatePolicy;

/**
 * Candidate updates after the rendezvous (call-me-maybe), relayed over DERP: "these are my candidates now;
 * probe them" — sent when a side learns a new address late (a slow STUN answer, a port mapping from the home
 * router, a changed mapping), optionally asking the peer to answer with its own list so both sides probe at
 * the same moment (that is what opens both NATs). Candidates are addresses: sealed with AES-256-GCM under the
 * session's CANDIDATES key, so the relay learns nothing; the additional data binds the packet to the session
 * and both DERP keys, sender first, so a packet of another session, or reflected back at its sender, never
 * opens. Each sender numbers its updates; a receiver takes only numbers above the last one it took.
 * <pre>
 * off len field
 *   0   1 kind: 0x40 CANDIDATES
 *   1   1 version = 1
 *   2  12 nonce (random)
 *  14   . sealed body, then the 16-byte tag:
 *         sequence (8) | flags (1: 0x01 answer wanted) | count (1) | count x (length (1) | ASCII ip:port)
 * additional data = "derphole/v1/candidates" | session id | sender DERP key | receiver DERP key | bytes 0..13
 * </pre>
 * Control-plane rate (a few packets per session): may allocate. Thread-safe (methods are synchronized).
 */
public final class CandidateUpdateCodec {
    public static final int KIND = 0x40;
    public static final int VERSION = 1;
    /** Body flag: the sender wants the receiver's current candidates back. */
    public static final int FLAG_ANSWER = 0x01;
    private static final int NONCE = 12;
    private static final int HEADER = 2 + NONCE;
    private static final int TAG = 16;
    private static final int BODY_FIXED = 8 + 1 + 1;
    /** Longest packet: header, the largest body and the tag. */
    public static final int MAX_LENGTH =
        HEADER + BODY_FIXED + CandidatePolicy.MAX_CANDIDATES * (1 + CandidatePolicy.MAX_CANDIDATE_LENGTH) + TAG;
    private static final byte[] LABEL = "derphole/v1/candidates".getBytes(StandardCharsets.US_ASCII);

    /** An update that opened: the sender's whole candidate list as it is now (not a delta). */
    public record Update(long sequence, boolean answerWanted, List<String> candidates) {
    }

    private final SecretKeySpec key;
    private final byte[] sendContext;
    private final byte[] receiveContext;
    private final SecureRandom random = new SecureRandom();
    private long nextSequence = 1;
    private long lastAccepted;

    /**
     * @param key       the session's CANDIDATES key (32 bytes)
     * @param sessionId the session id
     * @param own       this side's DERP public key
     * @param peer      the peer's DERP public key
     */
    public CandidateUpdateCodec(final byte[] key, final byte[] sessionId, final NodeKey own, final NodeKey peer) {
        if (key.length != 32) {
            throw new IllegalArgumentException("candidate key must be 32 bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
        sendContext = DirectionContext.of(LABEL, sessionId, own, peer);
        receiveContext = DirectionContext.of(LABEL, sessionId, peer, own);
    }

    /**
     * Seals this side's whole candidate list (each one canonical {@code ip:port}, at most
     * {@link CandidatePolicy#MAX_CANDIDATES}) under the next sequence number.
     */
    public synchronized byte[] seal(final List<String> candidates, final boolean answerWanted) {
        if (candidates.size() > CandidatePolicy.MAX_CANDIDATES) {
            throw new IllegalArgumentException("too many candidates: " + candidates.size());
        }
        int bodyLength = BODY_FIXED;
        for (final String c : candidates) {
            final int length = c.getBytes(StandardCharsets.US_ASCII).length;
            if (length == 0 || length > CandidatePolicy.MAX_CANDIDATE_LENGTH) {
                throw new IllegalArgumentException("bad candidate length: " + c);
            }
            bodyLength += 1 + length;
        }
        final byte[] body = new byte[bodyLength];
        BigEndian.putLong(body, 0, nextSequence++);
        body[8] = (byte) (answerWanted ? FLAG_ANSWER : 0);
        body[9] = (byte) candidates.size();
        int at = BODY_FIXED;
        for (final String c : candidates) {
            final byte[] ascii = c.getBytes(StandardCharsets.US_ASCII);
            body[at++] = (byte) ascii.length;
            System.arraycopy(ascii, 0, body, at, ascii.length);
            at += ascii.length;
        }
        final byte[] packet = new byte[HEADER + bodyLength + TAG];
        packet[0] = (byte) KIND;
        packet[1] = (byte) VERSION;
        final byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, packet, 2, NONCE);
        try {
            final Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, sendContext, packet);
            cipher.doFinal(body, 0, body.length, packet, HEADER);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
        return packet;
    }

    /**
     * Opens an update from the peer; null when it is malformed, does not authenticate, or is not newer than the
     * last update taken. The candidates are checked by the caller's {@link CandidatePolicy}.
     */
    public synchronized Update open(final byte[] packet, final int offset, final int length) {
        if (length < HEADER + BODY_FIXED + TAG || length > MAX_LENGTH || offset < 0
            || offset + length > packet.length || (packet[offset] & 0xff) != KIND
            || (packet[offset + 1] & 0xff) != VERSION) {
            return null;
        }
        final byte[] header = java.util.Arrays.copyOfRange(packet, offset, offset + HEADER);
        final byte[] nonce = java.util.Arrays.copyOfRange(header, 2, HEADER);
        final byte[] body;
        try {
            final Cipher cipher = cipher(Cipher.DECRYPT_MODE, nonce, receiveContext, header);
            body = cipher.doFinal(packet, offset + HEADER, length - HEADER);
        } catch (final GeneralSecurityException e) {
            return null;
        }
        final long sequence = BigEndian.getLong(body, 0);
        if (sequence <= lastAccepted) {
            return null;
        }
        final List<String> candidates = parseCandidates(body);
        if (candidates == null) {
            return null;
        }
        lastAccepted = sequence;
        return new Update(sequence, (body[8] & FLAG_ANSWER) != 0, List.copyOf(candidates));
    }

    private static List<String> parseCandidates(final byte[] body) {
        final int count = body[9] & 0xff;
        if (count > CandidatePolicy.MAX_CANDIDATES) {
            return null;
        }
        final List<String> out = new ArrayList<>(count);
        int at = BODY_FIXED;
        for (int i = 0; i < count; i++) {
            if (at >= body.length) {
                return null;
            }
            final int length = body[at++] & 0xff;
            if (length == 0 || length > CandidatePolicy.MAX_CANDIDATE_LENGTH || at + length > body.length) {
                return null;
            }
            out.add(new String(body, at, length, StandardCharsets.US_ASCII));
            at += length;
        }
        return at == body.length ? out : null;
    }

    private Cipher cipher(final int mode, final byte[] nonce, final byte[] context, final byte[] header)
        throws GeneralSecurityException {
        final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG * 8, nonce));
        cipher.updateAAD(context);
        cipher.updateAAD(header, 0, HEADER);
        return cipher;
    }
}
