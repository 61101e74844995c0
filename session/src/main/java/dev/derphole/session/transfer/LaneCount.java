package dev.derphole.session.transfer;

/**
 * How many direct UDP lanes {@code --parallel auto} uses at a measured rate (the upstream tool's steps): one lane
 * carries a few hundred Mbit/s on one sender thread; more only pay off above that. Stateless.
 */
final class LaneCount {
    /** Upper bounds of the steps, in bits per second: up to 350 Mbit/s one lane, 700 two, 1,200 four, else 8. */
    private static final long ONE_LANE_BPS = 350_000_000L;
    private static final long TWO_LANES_BPS = 700_000_000L;
    private static final long FOUR_LANES_BPS = 1_200_000_000L;

    private LaneCount() {
    }

    /** Lanes for a rate of {@code bytesPerSecond}, at most {@code max} (the cores' limit), at least 1. */
    static int forRate(final double bytesPerSecond, final int max) {
        final double bps = bytesPerSecond * 8;
        final int byRate = bps <= ONE_LANE_BPS ? 1 : bps <= TWO_LANES_BPS ? 2 : bps <= FOUR_LANES_BPS ? 4 : 8;
        return Math.max(1, Math.min(max, byRate));
    }
}
