package dev.derphole.session.rendezvous;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A listener's answer to one claim: accepted with the listener's candidates and data-plane parameters, or
 * rejected with a code and a short reason. Immutable.
 */
public final class Decision {
    private final byte[] claimId;
    private final RejectCode rejectCode;
    private final String reason;
    private final List<String> candidates;
    private final Extensions extensions;

    private Decision(
        final byte[] claimId,
        final RejectCode rejectCode,
        final String reason,
        final List<String> candidates,
        final Extensions extensions) {
        if (claimId.length != RendezvousProtocol.CLAIM_ID_LENGTH) {
            throw new IllegalArgumentException("claim id must be 16 bytes");
        }
        this.claimId = claimId.clone();
        this.rejectCode = rejectCode;
        this.reason = reason;
        this.candidates = List.copyOf(candidates);
        this.extensions = extensions;
    }

    /** Acceptance of claim {@code claimId}. */
    public static Decision accept(final byte[] claimId, final List<String> candidates, final Extensions extensions) {
        return new Decision(claimId, null, "", candidates, extensions);
    }

    /**
     * Rejection of claim {@code claimId}.
     *
     * @param reason printable ASCII, at most {@value RendezvousProtocol#MAX_REASON_LENGTH} characters; the
     *               claimer shows it to its user
     */
    public static Decision reject(final byte[] claimId, final RejectCode code, final String reason) {
        if (!isPrintableAscii(reason) || reason.length() > RendezvousProtocol.MAX_REASON_LENGTH) {
            throw new IllegalArgumentException("reason must be printable ASCII of at most 200 characters");
        }
        return new Decision(claimId, code, reason, List.of(), Extensions.NONE);
    }

    public byte[] claimId() {
        return claimId.clone();
    }

    public boolean accepted() {
        return rejectCode == null;
    }

    /** Why the claim was refused; empty when accepted. */
    public Optional<RejectCode> rejectCode() {
        return Optional.ofNullable(rejectCode);
    }

    /** The listener's reason text; empty when accepted. */
    public String reason() {
        return reason;
    }

    /** The listener's direct-path candidates (only in an acceptance). */
    public List<String> candidates() {
        return candidates;
    }

    /** Data-plane parameters chosen by the listener (only in an acceptance). */
    public Extensions extensions() {
        return extensions;
    }

    static boolean isPrintableAscii(final String s) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "Decision[claim=" + HexFormat.of().formatHex(claimId)
            + (accepted() ? " accepted candidates=" + candidates.size() + " " + extensions
                : " rejected " + rejectCode + ": " + reason) + "]";
    }
}
