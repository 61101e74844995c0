package dev.derphole.session.token;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a token lets its holder do, one bit each in the token's capability byte. A command checks for the
 * bit it needs ({@link SessionToken#requireCapability}); the listener additionally requires a claim to ask
 * for exactly the token's capabilities.
 */
public enum Capability {
    /** {@code derphole listen} / {@code pipe}: one byte stream. */
    STDIO(0x01, "listen", "derphole listen"),
    /** {@code derphole share} / {@code open}: TCP service over QUIC. */
    SHARE(0x02, "share", "derphole share"),
    /** {@code derphole ssh invite} / {@code ssh accept}. */
    ATTACH(0x04, "ssh invite", "derphole ssh invite"),
    /** {@code derphole send} / {@code receive}: an offered file or stream. */
    OFFER(0x08, "send", "derphole send"),
    /** {@code derptun serve} / {@code open} / {@code connect}. */
    TUNNEL(0x10, "serve", "derptun serve");

    /** Every bit this version defines; a token with any other bit set is malformed. */
    public static final int KNOWN_BITS = 0x1f;

    private final int bit;
    private final String issuer;
    private final String issuerCommandLine;

    Capability(final int bit, final String issuer, final String issuerCommandLine) {
        this.bit = bit;
        this.issuer = issuer;
        this.issuerCommandLine = issuerCommandLine;
    }

    /** The bit in the token's capability byte. */
    public int bit() {
        return bit;
    }

    /** The subcommand that issues tokens with this capability, e.g. {@code share}. */
    public String issuer() {
        return issuer;
    }

    /** The full command that issues such tokens, e.g. {@code derphole share}. */
    public String issuerCommandLine() {
        return issuerCommandLine;
    }

    /** The bit set for {@code capabilities}. */
    public static int bits(final Set<Capability> capabilities) {
        int bits = 0;
        for (final Capability c : capabilities) {
            bits |= c.bit;
        }
        return bits;
    }

    /** The capabilities in {@code bits}; unknown bits are ignored (callers validate with {@link #KNOWN_BITS}). */
    public static Set<Capability> fromBits(final int bits) {
        final EnumSet<Capability> out = EnumSet.noneOf(Capability.class);
        for (final Capability c : values()) {
            if ((bits & c.bit) != 0) {
                out.add(c);
            }
        }
        return out;
    }

    /** How a message names the issuers of {@code bits}: {@code `share`} or {@code `listen` or `send`}. */
    public static String describe(final int bits) {
        final StringBuilder sb = new StringBuilder();
        for (final Capability c : fromBits(bits)) {
            if (!sb.isEmpty()) {
                sb.append(" or ");
            }
            sb.append('`').append(c.issuer).append('`');
        }
        return sb.isEmpty() ? "nothing" : sb.toString();
    }

    /** The command line that issued a token with {@code bits}, for hints ({@code derphole listen}). */
    public static String issuerCommandLine(final int bits) {
        for (final Capability c : values()) {
            if ((bits & c.bit) != 0) {
                return c.issuerCommandLine;
            }
        }
        return "derphole listen";
    }
}
