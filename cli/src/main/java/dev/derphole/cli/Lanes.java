package dev.derphole.cli;

/**
 * {@code --parallel N|auto}: the number of direct UDP lanes, 1..16, or 0 for automatic. Automatic allows one lane on
 * a machine with 2 cores or fewer (a second lane's thread competes with sealing for the same cores) and otherwise
 * one lane per two cores, at most {@link #AUTO_MAX}; within that the session opens as many as the measured rate
 * calls for ({@code session.transfer.LaneCount}).
 */
final class Lanes {
    static final int AUTO = 0;
    static final int MAX = 16;
    /** Most lanes {@code auto} picks (the upstream tool used up to 8 sockets per side). */
    static final int AUTO_MAX = 8;

    private Lanes() {
    }

    /** The lane count for {@code value} on a machine with {@code cores} cores. */
    static int resolve(final String value, final int cores) {
        final int n = parse(value);
        return n != AUTO ? n : auto(cores);
    }

    /** {@code auto}: 1 lane up to 2 cores, else {@code min(AUTO_MAX, cores / 2)}. */
    static int auto(final int cores) {
        return cores <= 2 ? 1 : Math.min(AUTO_MAX, cores / 2);
    }

    static int parse(final String value) {
        if ("auto".equalsIgnoreCase(value.strip())) {
            return AUTO;
        }
        try {
            final int n = Integer.parseInt(value.strip());
            if (n >= 1 && n <= MAX) {
                return n;
            }
        } catch (final NumberFormatException e) {
            // fall through to the usage error
        }
        throw UserFacingException.usage("--parallel wants 1.." + MAX + " or auto, got '" + value + "'");
    }
}
