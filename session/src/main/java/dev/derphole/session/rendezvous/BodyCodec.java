package dev.derphole.session.rendezvous;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.IdentityKeyPair;

/**
 * Plaintext bodies of version-1 rendezvous packets (big-endian). The claim id comes first in every
 * version, so that a listener can answer any claim it can authenticate, even one in a version it does not
 * speak, with a version-1 VERSION reject.
 * <pre>
 * CLAIM body                              DECISION body
 * off  len  field                         off  len  field
 *   0   16  claim id                        0   16  claim id (echo)
 *  16   16  session id                     16    1  status: 0 accepted, else reject code
 *  32   32  claimer DERP public key        17    1  reason length r (0..200; 0 when accepted)
 *  64   32  claimer Ed25519 identity key   18    r  reason, printable ASCII
 *  96    1  capability bits                 ..   1  candidate count n (0 when rejected)
 *  97    8  issued at, unix ms (int64)      ..      n x candidate
 * 105    1  candidate count n (0..32)       ..      extensions to the end
 * 106       n x candidate
 *   ..      extensions to the end
 *
 * candidate: u8 length (1..64), that many printable ASCII bytes ("ip:port", canonical)
 * extension: u16 type (ascending, != 0), u16 length, value
 * </pre>
 * Structure is checked here (lengths, bounds, character set, non-zero keys, a valid Ed25519 point); the
 * candidate policy and session semantics are checked by the listener and claimer. Stateless.
 */
final class BodyCodec {
    static final int CLAIM_FIXED_LENGTH = 106;
    static final int DECISION_MIN_LENGTH = 19;

    private BodyCodec() {
    }

    static byte[] encodeClaim(final Claim claim) {
        final int length =
            CLAIM_FIXED_LENGTH + candidatesLength(claim.candidates()) + claim.extensions().encodedLength();
        checkBodyLength(length);
        final ByteBuffer out = ByteBuffer.allocate(length);
        out.put(claim.claimId());
        out.put(claim.sessionId());
        out.put(claim.claimerDerpKey().toBytes());
        out.put(claim.claimerIdentityKey());
        out.put((byte)claim.capabilityBits());
        out.putLong(claim.issuedAtMillis());
        writeCandidates(out, claim.candidates());
        claim.extensions().write(out);
        return out.array();
    }

    static Claim decodeClaim(final byte[] body) throws MalformedBodyException {
        if (body.length < CLAIM_FIXED_LENGTH) {
            throw new MalformedBodyException("claim too short");
        }
        final ByteBuffer in = ByteBuffer.wrap(body);
        final byte[] claimId = bytes(in, RendezvousProtocol.CLAIM_ID_LENGTH);
        final byte[] sessionId = bytes(in, 16);
        final byte[] derp = bytes(in, 32);
        final byte[] identity = bytes(in, 32);
        final int capabilities = in.get() & 0xff;
        final long issuedAtMillis = in.getLong();
        if (isZero(derp)) {
            throw new MalformedBodyException("claimer DERP key is zero");
        }
        if (!IdentityKeyPair.isValidPublicKey(identity, 0)) {
            throw new MalformedBodyException("claimer identity key is not a valid Ed25519 key");
        }
        if (issuedAtMillis < 0) {
            throw new MalformedBodyException("issue time is negative");
        }
        final List<String> candidates = readCandidates(in);
        final Extensions extensions = Extensions.read(in);
        return new Claim(claimId, sessionId, NodeKey.of(derp), identity, capabilities, issuedAtMillis, candidates,
            extensions);
    }

    static byte[] encodeDecision(final Decision decision) {
        final byte[] reason = decision.reason().getBytes(StandardCharsets.US_ASCII);
        final int length = DECISION_MIN_LENGTH + reason.length + candidatesLength(decision.candidates())
            + decision.extensions().encodedLength();
        checkBodyLength(length);
        final ByteBuffer out = ByteBuffer.allocate(length);
        out.put(decision.claimId());
        out.put((byte)(decision.accepted() ? 0 : decision.rejectCode().orElseThrow().wire()));
        out.put((byte)reason.length);
        out.put(reason);
        writeCandidates(out, decision.candidates());
        decision.extensions().write(out);
        return out.array();
    }

    static Decision decodeDecision(final byte[] body) throws MalformedBodyException {
        if (body.length < DECISION_MIN_LENGTH) {
            throw new MalformedBodyException("decision too short");
        }
        final ByteBuffer in = ByteBuffer.wrap(body);
        final byte[] claimId = bytes(in, RendezvousProtocol.CLAIM_ID_LENGTH);
        final int status = in.get() & 0xff;
        final int reasonLength = in.get() & 0xff;
        if (reasonLength > RendezvousProtocol.MAX_REASON_LENGTH || (status == 0 && reasonLength != 0)) {
            throw new MalformedBodyException("bad reason length");
        }
        final String reason = ascii(bytes(in, reasonLength), 0x20);
        final List<String> candidates = readCandidates(in);
        final Extensions extensions = Extensions.read(in);
        if (status == 0) {
            return Decision.accept(claimId, candidates, extensions);
        }
        if (!candidates.isEmpty() || !extensions.isEmpty()) {
            throw new MalformedBodyException("a reject carries no candidates or extensions");
        }
        return Decision.reject(claimId, RejectCode.fromWire(status), reason);
    }

    private static int candidatesLength(final List<String> candidates) {
        if (candidates.size() > CandidatePolicy.MAX_CANDIDATES) {
            throw new IllegalArgumentException("more than 32 candidates");
        }
        int length = 0; // the count byte is part of the fixed length
        for (final String c : candidates) {
            if (c.isEmpty() || c.length() > CandidatePolicy.MAX_CANDIDATE_LENGTH || !Decision.isPrintableAscii(c)) {
                throw new IllegalArgumentException("candidate must be 1..64 printable ASCII characters");
            }
            length += 1 + c.length();
        }
        return length;
    }

    private static void writeCandidates(final ByteBuffer out, final List<String> candidates) {
        out.put((byte)candidates.size());
        for (final String c : candidates) {
            out.put((byte)c.length());
            out.put(c.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static List<String> readCandidates(final ByteBuffer in) throws MalformedBodyException {
        need(in, 1);
        final int count = in.get() & 0xff;
        if (count > CandidatePolicy.MAX_CANDIDATES) {
            throw new MalformedBodyException("more than 32 candidates");
        }
        final List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            need(in, 1);
            final int length = in.get() & 0xff;
            if (length == 0 || length > CandidatePolicy.MAX_CANDIDATE_LENGTH) {
                throw new MalformedBodyException("bad candidate length");
            }
            out.add(ascii(bytes(in, length), 0x21));
        }
        return out;
    }

    /** Bytes as a String when each is in {@code [lowest, 0x7e]}. */
    private static String ascii(final byte[] bytes, final int lowest) throws MalformedBodyException {
        for (final byte b : bytes) {
            if (b < lowest || b > 0x7e) {
                throw new MalformedBodyException("non-printable text");
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(final ByteBuffer in, final int n) throws MalformedBodyException {
        need(in, n);
        final byte[] out = new byte[n];
        in.get(out);
        return out;
    }

    private static void need(final ByteBuffer in, final int n) throws MalformedBodyException {
        if (in.remaining() < n) {
            throw new MalformedBodyException("truncated");
        }
    }

    private static boolean isZero(final byte[] b) {
        return Arrays.equals(b, new byte[b.length]);
    }

    private static void checkBodyLength(final int length) {
        if (length > RendezvousProtocol.MAX_BODY_LENGTH) {
            throw new IllegalArgumentException("rendezvous body of " + length + " bytes exceeds "
                + RendezvousProtocol.MAX_BODY_LENGTH);
        }
    }
}
