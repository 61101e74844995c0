package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@link DerpholeMain#execute} builds only the invoked subcommand's model when that is enough: every output and
 * exit code must stay what the model with every subcommand gives. Only arguments that fail or print help before
 * any network or server work, so both runs are quick and in-process.
 */
@Timeout(60)
class InvokedSubcommandTest {
    /** One run: the exit code and everything printed. */
    private record Run(int code, String out, String err) {
    }

    private static Terminal terminal(final OutputStream out, final OutputStream err) {
        return new Terminal(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    }

    private static Run run(final boolean everySubcommand, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final Terminal terminal = terminal(out, err);
        final int code = everySubcommand ? DerpholeMain.executeWithEverySubcommand(terminal, args)
            : DerpholeMain.execute(terminal, args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The subcommands the one-subcommand path builds for {@code args}, or null when it builds them all. */
    private static Set<String> built(final String... args) {
        final CommandLine one = DerpholeMain.invokedOnly(terminal(OutputStream.nullOutputStream(),
            OutputStream.nullOutputStream()), args);
        // By command name: picocli also lists each alias (send's "tx") as a key.
        return one == null ? null : one.getSubcommands().values().stream().map(CommandLine::getCommandName)
            .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    // Arguments separated by spaces; "_" stands for an empty argument.
    @ParameterizedTest
    @ValueSource(strings = {"", "--help", "-h", "--version", "--version pipe", "frobnicate", "-- pipe", "-v",
        "_", "--help pipe", "pipe --help", "-v pipe --help", "pipe -h -v", "pipe --bogus", "pipe", "pipe a b",
        "pipe not-a-token", "-v pipe --force-relay not-a-token", "pipe -- not-a-token", "pipe -P bogus not-a-token",
        "pipe --token-file", "--derp-url http://127.0.0.1:1 pipe --help", "--derp-url listen pipe not-a-token",
        "--derp-url=listen pipe not-a-token", "--derp-map=relay pipe not-a-token", "--derp-url pipe",
        "--derp-url pipe pipe", "--derp-url", "-v --derp-url http://127.0.0.1:1 listen --help",
        "listen --print-token-only --help", "listen extra", "@/nonexistent/args pipe", "pipe @/nonexistent/args",
        "version", "-v version", "version --verbose", "-v version -q", "-vq version", "version --bogus",
        "version --version", "relay --help", "relay --listen", "relay --no-stun", "netcheck --help",
        "netcheck --bogus", "netcheck --derp-map /nonexistent/derp-map.json",
        "--derp-url http://127.0.0.1:1 netcheck --derp-map x.json", "send --help", "tx --help", "send --bogus",
        "receive", "receive not-a-code", "rx --help", "receive -o", "recieve --help"})
    void shouldRunExactlyAsWithEverySubcommandBuilt(final String line) {
        final String[] args = line.isEmpty() ? new String[0] : line.replace("_", "").split(" ", -1);
        assertThat(run(false, args)).isEqualTo(run(true, args));
    }

    @Test
    void shouldBuildOnlyTheInvokedSubcommand() {
        assertThat(built("pipe", "not-a-token")).containsExactly("pipe");
        assertThat(built("-v", "--derp-url", "http://127.0.0.1:1", "listen")).containsExactly("listen");
        assertThat(built("--derp-map=map.json", "-q", "version")).containsExactly("version");
        assertThat(built("pipe", "--help")).containsExactly("pipe");
        for (final String name : DerpholeMain.SUBCOMMANDS) {
            // Also checks each name is its command's @Command name: else picocli would not parse it.
            assertThat(built(name, "--help")).containsExactly(name);
        }
    }

    @Test
    void shouldBuildEverySubcommandWhenOneCouldParseDifferently() {
        // The root's help lists every subcommand.
        assertThat(built("--help", "pipe")).isNull();
        // With every subcommand built, picocli refuses a subcommand's name as an option's value.
        assertThat(built("--derp-url", "listen", "pipe", "x")).isNull();
        assertThat(built("--derp-url=listen", "pipe", "x")).isNull();
        // @files are expanded before parsing: they may hold anything.
        assertThat(built("@args", "pipe", "x")).isNull();
        assertThat(built("--derp-url", "@url", "pipe", "x")).isNull();
        // Errors come from the full model, word for word.
        assertThat(built("pipe", "--bogus")).isNull();
        assertThat(built("frobnicate")).isNull();
        assertThat(built("--", "pipe")).isNull();
        assertThat(built()).isNull();
    }
}
