package dev.derphole.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code derptun} command: long-lived TCP tunnels with stable tokens. Its tunnel commands ({@code token},
 * {@code serve}, {@code open}, {@code connect}) arrive with the tunnel work; today it answers {@code --help}
 * and {@code version} with the same conventions as {@code derphole}.
 */
@Command(name = "derptun", mixinStandardHelpOptions = true, versionProvider = DerpholeMain.VersionProvider.class,
    usageHelpAutoWidth = true,
    description = {
        "Long-lived TCP tunnels between machines behind NAT, over DERP relays and direct UDP.",
        "Relays: --derp-url / --derp-map (or DERPHOLE_DERP_URL / DERPHOLE_DERP_MAP), as for derphole."})
public final class DerptunMain implements Callable<Integer> {
    @CommandLine.Mixin
    GlobalOptions global = new GlobalOptions();

    @Spec
    CommandSpec spec;

    public static void main(final String[] args) {
        System.exit(execute(Terminal.system(), args));
    }

    /** Runs the tool in-process: returns the exit code. */
    public static int execute(final Terminal terminal, final String... args) {
        final DerptunMain root = new DerptunMain();
        final CommandLine commandLine = new CommandLine(root);
        commandLine.addSubcommand(new VersionCommand(terminal));
        return CommandRunner.run(commandLine, terminal, args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }
}
