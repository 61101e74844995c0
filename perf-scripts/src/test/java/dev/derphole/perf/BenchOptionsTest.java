package dev.derphole.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BenchOptionsTest {
    @Test
    void shouldDefaultToTheIssueMatrix() {
        final BenchOptions o = BenchOptions.parse("--out", "/tmp/x");
        assertThat(o.out()).isEqualTo(Path.of("/tmp/x"));
        assertThat(o.pairs()).containsExactly(1, 50);
        assertThat(o.sizes()).containsExactly(1200, 16384);
        assertThat(o.systems()).containsExactly("derp", "socat", "java");
        assertThat(o.queueDepths()).containsExactly(32);
        assertThat(o.gateDepth()).isEqualTo(32);
        assertThat(o.warmupMs()).isEqualTo(2000);
        assertThat(o.measureMs()).isEqualTo(8000);
        assertThat(o.minRatio()).isEqualTo(0.8);
        assertThat(o.maxRssGrowth()).isEqualTo(1.5);
        assertThat(o.baseline()).isEqualTo("socat");
        assertThat(o.relayJavaOpts()).isEmpty();
    }

    @Test
    void shouldParseListsSecondsAndJavaOptions() {
        final BenchOptions o = BenchOptions.parse("--out", "d", "--pairs", "2, 3,2", "--sizes", "64,65536",
            "--systems", "SOCAT,derp", "--queue-depths", "32,1024", "--gate-depth", "1024", "--warmup", "0.5",
            "--measure", "1.25", "--repeat", "3", "--relay-java-opts", "  -Xmx256m   -XX:+UseSerialGC ",
            "--baseline", "java", "--commit", "abc123");
        assertThat(o.pairs()).containsExactly(2, 3);
        assertThat(o.sizes()).containsExactly(64, 65536);
        assertThat(o.systems()).containsExactly("socat", "derp");
        assertThat(o.queueDepths()).containsExactly(32, 1024);
        assertThat(o.gateDepth()).isEqualTo(1024);
        assertThat(o.warmupMs()).isEqualTo(500);
        assertThat(o.measureMs()).isEqualTo(1250);
        assertThat(o.repeat()).isEqualTo(3);
        assertThat(o.relayJavaOpts()).isEqualTo(List.of("-Xmx256m", "-XX:+UseSerialGC"));
        assertThat(o.baseline()).isEqualTo("java");
        assertThat(o.commit()).isEqualTo("abc123");
    }

    @Test
    void shouldRejectBadInputWithOneLine() {
        final String[][] bad = {
            {},
            {"--pairs", "1"},
            {"--out", "d", "--pairs", "0"},
            {"--out", "d", "--sizes", "4"},
            {"--out", "d", "--sizes", "65537"},
            {"--out", "d", "--sizes", "1,x"},
            {"--out", "d", "--systems", "nginx"},
            {"--out", "d", "--gate-depth", "64"},
            {"--out", "d", "--measure", "0"},
            {"--out", "d", "--warmup", "-1"},
            {"--out", "d", "--warmup", "NaN"},
            {"--out", "d", "--min-ratio", "0"},
            {"--out", "d", "--baseline", "derp"},
            {"--out", "d", "--bogus", "1"},
            {"--out"},
        };
        for (final String[] args : bad) {
            assertThatThrownBy(() -> BenchOptions.parse(args)).as(String.join(" ", args))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("\n"));
        }
    }

    @Test
    void shouldSeeHelpAnywhere() {
        assertThat(BenchOptions.wantsHelp("--out", "d", "--help")).isTrue();
        assertThat(BenchOptions.wantsHelp("-h")).isTrue();
        assertThat(BenchOptions.wantsHelp("--out", "d")).isFalse();
        assertThat(BenchOptions.USAGE).contains("--out").contains("--queue-depths").contains("--repeat");
    }
}
