package dev.derphole.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReplayWindowTest {
    @Test
    void shouldAcceptEachNumberOnceInAnyOrderInsideTheWindow() {
        final ReplayWindow window = new ReplayWindow(128);
        assertThat(window.accept(5)).isTrue();
        assertThat(window.accept(5)).isFalse();
        assertThat(window.accept(3)).isTrue();
        assertThat(window.accept(100)).isTrue();
        assertThat(window.isFresh(3)).isFalse();
        assertThat(window.isFresh(4)).isTrue();
        assertThat(window.accept(0)).isTrue();
        assertThat(window.highest()).isEqualTo(100);
    }

    @Test
    void shouldRejectNumbersOlderThanTheWindowAndNegativeOnes() {
        final ReplayWindow window = new ReplayWindow(64);
        window.accept(1000);
        assertThat(window.isFresh(1000 - 63)).isTrue();
        assertThat(window.isFresh(1000 - 64)).isFalse();
        assertThat(window.isFresh(-1)).isFalse();
        assertThat(window.accept(Long.MIN_VALUE)).isFalse();
    }

    @Test
    void shouldForgetOldBitsWhenTheWindowSlides() {
        final ReplayWindow window = new ReplayWindow(256);
        window.accept(10);
        window.accept(10 + 256);
        assertThat(window.isFresh(10 + 256 - 255)).isTrue();
        window.accept(10 + 512 + 3);
        assertThat(window.isFresh(10 + 512)).isTrue();
    }

    @Test
    void shouldMatchAReferenceModelOnRandomSequences() {
        final SplittableRandom random = new SplittableRandom(42);
        for (int run = 0; run < 50; run++) {
            final int bits = 64 << random.nextInt(4);
            final ReplayWindow window = new ReplayWindow(bits);
            final BitSet seen = new BitSet();
            long highest = -1;
            long base = 0;
            for (int i = 0; i < 2000; i++) {
                base += random.nextInt(8);
                final long pn = Math.max(0, base + random.nextInt(bits * 2) - bits);
                final boolean expected = !seen.get((int)pn) && (pn > highest || highest - pn < bits);
                assertThat(window.accept(pn)).as("pn %d highest %d bits %d", pn, highest, bits).isEqualTo(expected);
                if (expected) {
                    seen.set((int)pn);
                    highest = Math.max(highest, pn);
                }
            }
        }
    }

    @Test
    void shouldRejectBadSizes() {
        assertThatThrownBy(() -> new ReplayWindow(100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReplayWindow(32)).isInstanceOf(IllegalArgumentException.class);
    }
}
