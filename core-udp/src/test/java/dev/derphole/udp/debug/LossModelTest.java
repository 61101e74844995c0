package dev.derphole.udp.debug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.udp.debug.LossModel.Action;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LossModelTest {
    private static List<Action> draw(final LossModel model, final int count) {
        final List<Action> actions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            actions.add(model.next());
        }
        return actions;
    }

    @Test
    void shouldRepeatTheSameDecisionsForTheSameSeed() {
        final LossModel model = new LossModel(42, 0.1, 0.05, 0.05);

        final List<Action> first = draw(model, 1000);

        assertThat(draw(new LossModel(42, 0.1, 0.05, 0.05), 1000)).isEqualTo(first);
        assertThat(draw(model.copy(), 1000)).isEqualTo(first);
        assertThat(draw(new LossModel(43, 0.1, 0.05, 0.05), 1000)).isNotEqualTo(first);
    }

    @Test
    void shouldApproximateTheConfiguredRates() {
        final LossModel model = new LossModel(7, 0.2, 0.1, 0.05);
        draw(model, 20_000);

        assertThat(model.count(Action.DROP)).isBetween(3_700L, 4_300L);
        assertThat(model.count(Action.DUPLICATE)).isBetween(1_800L, 2_200L);
        assertThat(model.count(Action.DELAY)).isBetween(850L, 1_150L);
        assertThat(model.count(Action.PASS) + model.count(Action.DROP) + model.count(Action.DUPLICATE)
            + model.count(Action.DELAY)).isEqualTo(20_000L);
    }

    @Test
    void shouldPassEverythingAtZeroRates() {
        assertThat(draw(new LossModel(1, 0, 0, 0), 500)).containsOnly(Action.PASS);
        assertThat(draw(new LossModel(1, 1, 0, 0), 500)).containsOnly(Action.DROP);
    }

    @Test
    void shouldRejectImpossibleRates() {
        assertThatThrownBy(() -> new LossModel(1, -0.1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LossModel(1, 0.5, 0.4, 0.2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LossModel(1, Double.NaN, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
