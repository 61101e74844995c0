package dev.derphole.perf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StatsTest {
    @Test
    void shouldTakeTheMiddleValueOrTheMeanOfTheMiddleTwo() {
        assertThat(Stats.median(3, 1, 2)).isEqualTo(2);
        assertThat(Stats.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(Stats.median(7)).isEqualTo(7);
        assertThat(Stats.median()).isNaN();
    }

    @Test
    void shouldNotReorderTheCallersValues() {
        final double[] values = {3, 1, 2};
        Stats.median(values);
        assertThat(values).containsExactly(3, 1, 2);
    }

    @Test
    void shouldGiveMinAndMax() {
        assertThat(Stats.max(1, 5, 3)).isEqualTo(5);
        assertThat(Stats.min(4, 2, 9)).isEqualTo(2);
        assertThat(Stats.max()).isNaN();
        assertThat(Stats.min()).isNaN();
    }
}
