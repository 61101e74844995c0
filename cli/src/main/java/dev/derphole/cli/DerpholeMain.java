package dev.derphole.cli;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import dev.derphole.udp.DatagramEngines;

/** The {@code derphole} command: one-shot transfers and temporary service sharing over DERP. */
@Command(name = "derphole", mixinStandardHelpOptions = true, versionProvider = DerpholeMain.VersionProvider.class,
    usageHelpAutoWidth = true,
    description = {
        "Move bytes, files and TCP services between two machines, even both behind NAT: peers meet on a",
        "DERP relay, then promote the live session to direct, encrypted UDP.",
        "",
        "Relays: Tailscale's public DERP map by default; --derp-url / --derp-map (or DERPHOLE_DERP_URL /",
        "DERPHOLE_DERP_MAP) pick others; `derphole relay` runs your own."})
public final class DerpholeMain implements Callable<Integer> {
    @Mixin
    GlobalOptions global = new GlobalOptions();

    @Spec
    CommandSpec spec;

    public static void main(final String[] args) {
        if (mayGoDirect(args)) {
            // Overlaps the UDP engine's native set-up with argument parsing and the relay connection.
            DatagramEngines.prepareInBackground();
        }
        System.exit(execute(Terminal.system(), args));
    }

    /** A rough look before parsing: a transfer command that may open a direct path. */
    private static boolean mayGoDirect(final String[] args) {
        final List<String> words = List.of(args);
        return (words.contains("listen") || words.contains("pipe")) && !words.contains("--force-relay");
    }

    /** Runs the tool in-process: returns the exit code. */
    public static int execute(final Terminal terminal, final String... args) {
        final DerpholeMain root = new DerpholeMain();
        final CommandLine commandLine = new CommandLine(root);
        commandLine.addSubcommand(new ListenCommand(terminal, root.global));
        commandLine.addSubcommand(new PipeCommand(terminal, root.global));
        commandLine.addSubcommand(new VersionCommand(terminal));
        commandLine.addSubcommand(new RelayCommand(terminal, root.global));
        commandLine.addSubcommand(new NetcheckCommand(terminal, root.global));
        commandLine.setExecutionStrategy(parseResult -> {
            try {
                root.global.applyTo(terminal);
            } catch (final UserFacingException e) {
                return CommandRunner.report(e, terminal);
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return CommandRunner.run(commandLine, terminal, args);
    }

    @Override
    public Integer call() {
        // No subcommand: show help on stderr and treat it as a usage error, like an unknown command.
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    /** Feeds {@code --version} from the build's version resource. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"derphole " + Version.current()};
        }
    }
}
