package dev.derphole.cli;

/** {@code --parallel N|auto}: the number of direct UDP lanes, 1..16, or 0 for automatic. */
final class Lanes {
    static final int AUTO = 0;
    static final int MAX = 16;

    private Lanes() {
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
