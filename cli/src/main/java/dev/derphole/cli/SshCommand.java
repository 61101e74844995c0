package dev.derphole.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ssh invite} / {@code ssh accept}: put the other machine's SSH public key in our authorized_keys. */
@Command(mixinStandardHelpOptions = true, name = "ssh", description = {
    "Exchange SSH access: `ssh invite` prints a token; the machine that should get access runs `derphole ssh "
        + "accept TOKEN`, and its public key is added to the inviting user's ~/.ssh/authorized_keys."})
final class SshCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The {@code ssh} command with its two subcommands. */
    static CommandLine build(final Terminal terminal, final GlobalOptions global) {
        return new CommandLine(new SshCommand())
            .addSubcommand(new SshInviteCommand(terminal, global))
            .addSubcommand(new SshAcceptCommand(terminal));
    }

    @Override
    public Integer call() {
        // `ssh` alone: show its help on stderr and treat it as a usage error, like the root.
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }
}
