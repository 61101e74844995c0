package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** Assertions on the status lines a derphole process prints on stderr. */
final class StatusLines {
    private StatusLines() {
    }

    /** Each of {@code lines} is a whole line of {@code text}, in this order. */
    static void assertInOrder(final String text, final String... lines) {
        final List<String> all = text.lines().toList();
        int from = 0;
        for (final String line : lines) {
            final int at = all.subList(from, all.size()).indexOf(line);
            assertThat(at).as("line '%s' after line %d in:%n%s", line, from, text).isGreaterThanOrEqualTo(0);
            from += at + 1;
        }
    }
}
