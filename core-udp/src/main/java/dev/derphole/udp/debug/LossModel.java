package dev.derphole.udp.debug;

import java.util.SplittableRandom;

/**
 * Seeded decisions about what the network does to each datagram: pass it, drop it, duplicate it, or
 * delay it past later ones (reordering). The same seed and rates give the same sequence of decisions, so a
 * test that fails can be replayed exactly.
 * <p>
 * Owned by one thread (the sender it decorates); not thread-safe.
 */
public final class LossModel {
    /** What happens to one datagram. */
    public enum Action {
        /** Delivered as sent. */
        PASS,
        /** Never delivered. */
        DROP,
        /** Delivered twice. */
        DUPLICATE,
        /** Delivered after datagrams sent later. */
        DELAY
    }

    private final long seed;
    private final double dropRate;
    private final double duplicateRate;
    private final double delayRate;
    private final SplittableRandom random;
    private final long[] counts = new long[Action.values().length];

    /**
     * @param seed          seed of the decision sequence
     * @param dropRate      probability of {@link Action#DROP}
     * @param duplicateRate probability of {@link Action#DUPLICATE}
     * @param delayRate     probability of {@link Action#DELAY}
     * @throws IllegalArgumentException when a rate is outside [0, 1] or they sum to more than 1
     */
    public LossModel(final long seed, final double dropRate, final double duplicateRate, final double delayRate) {
        if (!isRate(dropRate) || !isRate(duplicateRate) || !isRate(delayRate)
            || dropRate + duplicateRate + delayRate > 1.0) {
            throw new IllegalArgumentException("rates must be in [0, 1] and sum to at most 1: drop=" + dropRate
                + ", duplicate=" + duplicateRate + ", delay=" + delayRate);
        }
        this.seed = seed;
        this.dropRate = dropRate;
        this.duplicateRate = duplicateRate;
        this.delayRate = delayRate;
        this.random = new SplittableRandom(seed);
    }

    private static boolean isRate(final double rate) {
        return rate >= 0.0 && rate <= 1.0;
    }

    /** The decision for the next datagram. */
    public Action next() {
        final double draw = random.nextDouble();
        final Action action;
        if (draw < dropRate) {
            action = Action.DROP;
        } else if (draw < dropRate + duplicateRate) {
            action = Action.DUPLICATE;
        } else if (draw < dropRate + duplicateRate + delayRate) {
            action = Action.DELAY;
        } else {
            action = Action.PASS;
        }
        counts[action.ordinal()]++;
        return action;
    }

    /** How many times {@link #next()} returned {@code action}. */
    public long count(final Action action) {
        return counts[action.ordinal()];
    }

    /** A fresh model with the same seed and rates (its decisions repeat this one's from the start). */
    public LossModel copy() {
        return new LossModel(seed, dropRate, duplicateRate, delayRate);
    }

    @Override
    public String toString() {
        return "LossModel[seed=" + seed + ", drop=" + dropRate + ", duplicate=" + duplicateRate
            + ", delay=" + delayRate + "]";
    }
}
