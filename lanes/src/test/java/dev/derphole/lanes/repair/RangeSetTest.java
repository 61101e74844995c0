package dev.derphole.lanes.repair;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RangeSetTest {
    @Test
    void shouldMergeTouchingAndOverlappingRangesAndCountNewBytes() {
        final RangeSet set = new RangeSet(8);
        assertThat(set.add(10, 20)).isEqualTo(10);
        assertThat(set.add(30, 40)).isEqualTo(10);
        assertThat(set.add(20, 30)).isEqualTo(10);
        assertThat(set.size()).isEqualTo(1);
        assertThat(set.add(5, 45)).isEqualTo(10);
        assertThat(set.add(10, 20)).isZero();
        assertThat(set).hasToString("[5-45]");
        assertThat(set.covers(5, 45)).isTrue();
        assertThat(set.covers(4, 6)).isFalse();
        assertThat(set.covers(7, 7)).isTrue();
    }

    @Test
    void shouldSplitOnRemoveAndDropBelowAPosition() {
        final RangeSet set = new RangeSet(8);
        set.add(0, 100);
        set.remove(40, 60);
        assertThat(set).hasToString("[0-40, 60-100]");
        set.removeBelow(70);
        assertThat(set).hasToString("[70-100]");
        set.removeBelow(200);
        assertThat(set.isEmpty()).isTrue();
    }

    @Test
    void shouldRefuseANewRangeWhenFullButWidenOnRequest() {
        final RangeSet set = new RangeSet(2);
        set.add(0, 10);
        set.add(20, 30);
        assertThat(set.add(40, 50)).isEqualTo(-1);
        assertThat(set.add(25, 35)).isEqualTo(5);
        set.addOrWiden(40, 50);
        assertThat(set.covers(40, 50)).isTrue();
        assertThat(set.covers(0, 10)).isTrue();
        assertThat(set.size()).isLessThanOrEqualTo(2);
    }

    @Test
    void shouldMatchABitSetModelUnderRandomOperations() {
        final SplittableRandom random = new SplittableRandom(71);
        for (int run = 0; run < 200; run++) {
            final RangeSet set = new RangeSet(64);
            final BitSet model = new BitSet();
            long floor = 0;
            for (int op = 0; op < 300; op++) {
                final int start = (int)floor + random.nextInt(400);
                final int end = start + 1 + random.nextInt(40);
                switch (random.nextInt(4)) {
                    case 0, 1 -> {
                        final int before = model.cardinality();
                        final long added = set.add(start, end);
                        if (added >= 0) {
                            model.set(start, end);
                            assertThat(added).isEqualTo(model.cardinality() - before);
                        }
                    }
                    case 2 -> {
                        if (!set.isFull()) {
                            set.remove(start, end);
                            model.clear(start, end);
                        }
                    }
                    default -> {
                        floor += random.nextInt(20);
                        set.removeBelow(floor);
                        model.clear(0, (int)floor);
                    }
                }
                assertSame(set, model);
            }
        }
    }

    private static void assertSame(final RangeSet set, final BitSet model) {
        int i = 0;
        for (int from = model.nextSetBit(0); from >= 0; from = model.nextSetBit(model.nextClearBit(from))) {
            final int to = model.nextClearBit(from);
            assertThat(set.start(i)).isEqualTo(from);
            assertThat(set.end(i)).isEqualTo(to);
            i++;
        }
        assertThat(set.size()).isEqualTo(i);
    }
}
