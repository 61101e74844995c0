package dev.derphole.session.rendezvous;

/** Why a listener refused a claim; the wire value is the decision's status byte (0 = accepted). */
public enum RejectCode {
    /** Another claimer already joined this session. */
    CLAIMED(1),
    /** The claim asked for other capabilities than the token grants. */
    CAPABILITY(2),
    /** The token expired. */
    EXPIRED(3),
    /** The claim's rendezvous version is not spoken by the listener. */
    VERSION(4),
    /** The claim names another session. */
    SESSION(5),
    /** The claim did not parse or broke the candidate policy. */
    MALFORMED(6),
    /** A code this build does not know (from a newer listener); the reason text says more. */
    UNKNOWN(255);

    private final int wire;

    RejectCode(final int wire) {
        this.wire = wire;
    }

    /** The status byte on the wire. */
    public int wire() {
        return wire;
    }

    /** The code for a non-zero status byte; unknown values map to {@link #UNKNOWN}. */
    public static RejectCode fromWire(final int status) {
        for (final RejectCode code : values()) {
            if (code.wire == status) {
                return code;
            }
        }
        return UNKNOWN;
    }
}
