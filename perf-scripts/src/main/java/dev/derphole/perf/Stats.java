package dev.derphole.perf;

import java.util.Arrays;

/** Small statistics over repeated runs. Stateless. */
final class Stats {
    private Stats() {
    }

    /** The median (mean of the middle two for an even count); NaN for no values. Does not modify {@code values}. */
    static double median(final double... values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Largest value; NaN for no values. */
    static double max(final double... values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double m = values[0];
        for (final double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Smallest value; NaN for no values. */
    static double min(final double... values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double m = values[0];
        for (final double v : values) {
            m = Math.min(m, v);
        }
        return m;
    }
}
