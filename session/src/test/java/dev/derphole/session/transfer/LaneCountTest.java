package dev.derphole.session.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --parallel auto}: lanes by measured rate, capped by what the cores allow. */
@Timeout(5)
class LaneCountTest {
    private static double mbit(final double m) {
        return m * 1e6 / 8;
    }

    @Test
    void shouldStepUpWithTheRateAndStayWithinTheCap() {
        assertThat(LaneCount.forRate(0, 8)).isEqualTo(1);
        assertThat(LaneCount.forRate(mbit(350), 8)).isEqualTo(1);
        assertThat(LaneCount.forRate(mbit(351), 8)).isEqualTo(2);
        assertThat(LaneCount.forRate(mbit(700), 8)).isEqualTo(2);
        assertThat(LaneCount.forRate(mbit(1_000), 8)).isEqualTo(4);
        assertThat(LaneCount.forRate(mbit(5_000), 8)).isEqualTo(8);
        assertThat(LaneCount.forRate(mbit(5_000), 3)).as("the cores' cap").isEqualTo(3);
        assertThat(LaneCount.forRate(mbit(5_000), 1)).isEqualTo(1);
        assertThat(LaneCount.forRate(-1, 0)).as("never below one lane").isEqualTo(1);
    }
}
