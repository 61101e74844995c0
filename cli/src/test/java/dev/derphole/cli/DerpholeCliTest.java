package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The command line in-process: help, version, usage errors and exit codes. */
@Timeout(60)
class DerpholeCliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        final Terminal terminal = new Terminal(new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of());
        return DerpholeMain.execute(terminal, args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintHelpListingEveryCommand() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("relay").contains("netcheck").contains("version").contains("--derp-url");
        assertWrappedByPicocli(out());
        for (final String command : DerpholeMain.SUBCOMMANDS) {
            out.reset();
            assertThat(run(command, "--help")).isZero();
            assertWrappedByPicocli(out());
        }
    }

    /** Description text starts in the first column; synopsis, option and command lines are indented. */
    private static boolean startsAParagraphLine(final String line) {
        return !line.isEmpty() && !Character.isWhitespace(line.charAt(0));
    }

    /** Paragraphs broken by hand at one width come out ragged at another: a short line running on into the next. */
    private static void assertWrappedByPicocli(final String help) {
        final List<String> lines = help.lines().toList();
        for (int i = 0; i + 1 < lines.size(); i++) {
            final String line = lines.get(i);
            final String next = lines.get(i + 1);
            final boolean runsOn = startsAParagraphLine(line) && line.length() < 50 && !line.matches(".*[.:,)]$")
                && startsAParagraphLine(next);
            assertThat(runsOn).as("ragged help line %s followed by %s", line, next).isFalse();
        }
    }

    @Test
    void shouldPrintHelpOfASubcommand() {
        assertThat(run("relay", "--help")).isZero();
        assertThat(out()).contains("--listen").contains("--tls-cert").contains("--map-out").contains("--no-stun")
            .contains("--queue-depth");
    }

    @Test
    void shouldRejectAQueueDepthOutOfRangeBeforeListening() {
        assertThat(run("relay", "--listen", "127.0.0.1:0", "--no-stun", "--queue-depth", "0"))
            .isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("--queue-depth must be 1..65536");
        assertThat(run("relay", "--listen", "127.0.0.1:0", "--no-stun", "--queue-depth", "65537"))
            .isEqualTo(ExitCode.USAGE);
    }

    @Test
    void shouldPrintVersionOnStdout() {
        assertThat(run("version")).isZero();
        assertThat(out().strip()).isNotEmpty().doesNotContain(" ");
        assertThat(err()).isEmpty();
    }

    @Test
    void shouldExitTwoOnUnknownCommandOrFlag() {
        assertThat(run("frobnicate")).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("frobnicate").contains("derphole --help");
        assertThat(run("version", "--bogus")).isEqualTo(ExitCode.USAGE);
        assertThat(out()).isEmpty();
    }

    @Test
    void shouldExitTwoWithoutACommand() {
        assertThat(run()).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("Usage");
    }

    @Test
    void shouldAcceptGlobalFlagsBeforeOrAfterTheSubcommandButOnlyOneVerbosity() {
        assertThat(run("-v", "version")).isZero();
        assertThat(run("version", "--verbose")).isZero();
        assertThat(run("-v", "version", "-q")).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("at most one of --verbose, --quiet, --silent");
    }

    @Test
    void shouldRejectBothRelayFlagsAtOnce() {
        assertThat(run("--derp-url", "http://127.0.0.1:1", "netcheck", "--derp-map", "x.json"))
            .isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("--derp-map and --derp-url cannot be used together");
    }

    @Test
    void shouldFailOnAMissingMapFileWithOneLine() {
        assertThat(run("netcheck", "--derp-map", "/nonexistent/derp-map.json")).isEqualTo(ExitCode.RUNTIME);
        assertThat(err()).startsWith("error: ").contains("/nonexistent/derp-map.json").doesNotContain("\tat ");
    }

    @Test
    void shouldNameTheCauseOfAUserErrorWithVerboseButPrintNoStackTrace() {
        assertThat(run("-v", "pipe", "--force-relay", "not-a-token")).isEqualTo(ExitCode.USAGE);
        assertThat(err()).startsWith("error: malformed token").contains("cause: ").doesNotContain("\tat ");
    }

    @Test
    void shouldParseDurations() {
        assertThat(Durations.parse("--t", "500ms").toMillis()).isEqualTo(500);
        assertThat(Durations.parse("--t", "5s").toSeconds()).isEqualTo(5);
        assertThat(Durations.parse("--t", "2m").toSeconds()).isEqualTo(120);
        assertThat(Durations.parse("--t", "7").toSeconds()).isEqualTo(7);
    }

    @Test
    void shouldGiveDerptunHelpAndVersionWithTheSameConventions() {
        final Terminal terminal = new Terminal(new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of());
        assertThat(DerptunMain.execute(terminal, "--help")).isZero();
        assertThat(out()).contains("derptun").contains("version");
        assertThat(DerptunMain.execute(terminal, "bogus")).isEqualTo(ExitCode.USAGE);
        assertThat(DerptunMain.execute(terminal, "version")).isZero();
    }
}
