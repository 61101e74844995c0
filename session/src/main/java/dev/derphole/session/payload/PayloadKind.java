package dev.derphole.session.payload;

/** What the body after a payload header is; {@link #wireName()} is the header's {@code kind} string. */
public enum PayloadKind {
    /** UTF-8 text, read to EOF and written to stdout. */
    TEXT("text"),
    /** One file: exactly {@code size} bytes, named {@code name}. */
    FILE("file"),
    /** A directory as a tar stream of exactly {@code size} bytes, its top directory named {@code name}. */
    DIRECTORY_TAR("directory_tar"),
    /** {@code derphole ssh invite}: the inviting side's opening header. */
    SSH_INVITE("ssh_invite"),
    /** {@code derphole ssh accept}: the answer, followed by the public key to authorize. */
    SSH_ACCEPT("ssh_accept");

    private static final PayloadKind[] VALUES = values();

    private final String wireName;

    PayloadKind(final String wireName) {
        this.wireName = wireName;
    }

    /** @return the {@code kind} string on the wire ({@code directory_tar}) */
    public String wireName() {
        return wireName;
    }

    /** The kinds whose body is saved to disk, so their header must name it. */
    boolean requiresName() {
        return this == FILE || this == DIRECTORY_TAR;
    }

    /**
     * @param wireName a {@code kind} string from a header
     * @return the kind
     * @throws PayloadException for a kind this build does not know
     */
    public static PayloadKind fromWire(final String wireName) throws PayloadException {
        for (final PayloadKind kind : VALUES) {
            if (kind.wireName.equals(wireName)) {
                return kind;
            }
        }
        throw new PayloadException("unsupported payload kind " + PayloadException.quote(wireName));
    }
}
