package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@link PipeLine}, the programmatic {@code pipe} command line, against the annotated model it stands in for: every
 * command line it accepts for a run, the annotated model accepts too and fills the same fields with the same values
 * (anything else goes to the annotated model: help, version and errors read the same). Random lines from the words
 * users write, plus the forms the fast path must take.
 */
class PipeLineTest {
    private static final String TOKEN = "AQHHbcni1ElqhlVj6GKiuAKOAAAAAGsIdwoJfbBIh2hWz-1QPYU2hEqmFZSNzFGK7ayE";
    private static final String[] WORDS = {"pipe", "pipe", TOKEN, TOKEN, "-v", "--verbose", "-q", "-s", "--quiet",
        "--derp-url", "http://127.0.0.1:1", "--derp-url=http://x:2", "--derp-map", "/tmp/map.json",
        "--derp-map=https://m/x", "--token-file", "/tmp/token", "--token-file=/tmp/t2", "--token-stdin",
        "--force-relay", "-P", "2", "-P4", "-P=8", "--parallel", "auto", "--parallel=16", "-vP2", "-qv", "--", "-h",
        "--help", "-V", "--version", "--bogus", "-x", "listen", "extra", "", "-", "--parallel="};

    /** What a parse put into the commands' fields. */
    private record Values(boolean verbose, boolean quiet, boolean silent, String derpUrl, String derpMap, String token,
        Path tokenFile, boolean tokenStdin, boolean forceRelay, String parallel) {
        static Values of(final CommandLine line) {
            final GlobalOptions g = ((DerpholeMain)line.getCommand()).global;
            final PipeCommand p = line.getSubcommands().get("pipe").getCommand();
            return new Values(g.verbose, g.quiet, g.silent, g.derpUrl, g.derpMap, p.token, p.tokenSource.tokenFile,
                p.tokenSource.tokenStdin, p.forceRelay, p.parallel);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pipe T", "-v pipe T", "pipe -v T", "pipe T --force-relay -P 2", "pipe --parallel=4 T",
        "--derp-url http://127.0.0.1:1 pipe T", "pipe --token-file /tmp/t", "pipe --token-stdin", "-q pipe -- T",
        "pipe --derp-url http://127.0.0.1:1 T", "pipe --derp-map=/tmp/m.json -s T", "pipe -P4 T", "pipe"})
    void shouldTakeTheFastPathForARun(final String line) {
        final String[] args = line.replace("T", TOKEN).split(" ");
        assertThat(fastValues(args)).as("fast parse of %s", line).isNotNull();
        assertSame(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pipe -h", "pipe --help T", "-h pipe", "pipe -V", "--version pipe T", "pipe --bogus T",
        "pipe -P", "listen", "pipe a b"})
    void shouldLeaveHelpVersionAndErrorsToTheAnnotatedModel(final String line) {
        assertThat(fastValues(line.replace("T", TOKEN).split(" "))).as("fast parse of %s", line).isNull();
    }

    @Test
    void shouldAgreeWithTheAnnotatedModelOnRandomLines() {
        final SplittableRandom random = new SplittableRandom(11);
        int fast = 0;
        for (int i = 0; i < 5000; i++) {
            final List<String> words = new ArrayList<>();
            final int count = 1 + random.nextInt(7);
            for (int w = 0; w < count; w++) {
                words.add(WORDS[random.nextInt(WORDS.length)]);
            }
            if (random.nextInt(3) > 0) {
                words.add(random.nextInt(words.size() + 1), "pipe"); // mostly lines that name pipe
            }
            final String[] args = words.toArray(String[]::new);
            if (assertSame(args)) {
                fast++;
            }
        }
        assertThat(fast).as("lines the fast path ran").isGreaterThan(300);
    }

    /** Checks the fast parse against the annotated one; true when the fast path would run this line. */
    private static boolean assertSame(final String[] args) {
        final Values fast = fastValues(args);
        if (fast == null) {
            return false;
        }
        final CommandLine annotated = DerpholeMain.commandLine(terminal(), List.of("pipe"));
        final CommandLine.ParseResult parsed = CommandRunner.parseQuietly(annotated, terminal(), args);
        assertThat(DerpholeMain.parsesToRun(parsed)).as("annotated model runs %s", List.of(args)).isTrue();
        assertThat(fast).as("fields after %s", List.of(args)).isEqualTo(Values.of(annotated));
        return true;
    }

    private static Values fastValues(final String[] args) {
        final CommandLine fast = PipeLine.build(terminal());
        if (!PipeLine.plain(fast, args)) {
            return null;
        }
        return DerpholeMain.parsesToRun(CommandRunner.parseQuietly(fast, terminal(), args)) ? Values.of(fast) : null;
    }

    private static Terminal terminal() {
        return new Terminal(new ByteArrayInputStream(new byte[0]), new PrintStream(OutputStream.nullOutputStream()),
            new PrintStream(OutputStream.nullOutputStream()), Map.of());
    }
}
