package dev.derphole.cli;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import dev.derphole.udp.DatagramEngines;

/** The {@code derphole} command: one-shot transfers and temporary service sharing over DERP. */
@Command(name = "derphole", mixinStandardHelpOptions = true, versionProvider = DerpholeMain.VersionProvider.class,
    usageHelpAutoWidth = true,
    // One element per paragraph: picocli wraps each to the terminal's width and breaks the line after it.
    description = {
        "Move bytes, files and TCP services between two machines, even both behind NAT: peers meet on a "
            + "DERP relay, then promote the live session to direct, encrypted UDP.",
        "",
        "Relays: Tailscale's public DERP map by default; --derp-url / --derp-map (or DERPHOLE_DERP_URL / "
            + "DERPHOLE_DERP_MAP) pick others; `derphole relay` runs your own."})
public final class DerpholeMain implements Callable<Integer> {
    /** The subcommands' names, in the order help lists them; {@link #subcommand} builds each. */
    static final List<String> SUBCOMMANDS = List.of("listen", "pipe", "send", "receive", "ssh", "version",
        "relay", "netcheck");
    /** The commands (and aliases) whose transfer may go direct: their UDP engine is prepared at start. */
    private static final Set<String> DIRECT_COMMANDS = Set.of("listen", "pipe", "send", "tx", "receive", "rx", "recv",
        "recieve");
    /**
     * The global options that take the next argument as their value (see {@link GlobalOptions}). One missing here
     * costs only speed: its value is taken for the subcommand's name, and picocli rejects that as the value.
     */
    private static final Set<String> VALUED_GLOBAL_OPTIONS = Set.of("--derp-url", "--derp-map");

    @Mixin
    GlobalOptions global = new GlobalOptions();

    @Spec
    CommandSpec spec;

    public static void main(final String[] args) {
        final String invoked = invokedSubcommand(args);
        if ("pipe".equals(invoked) || "receive".equals(invoked)) {
            EarlyJoin.start(args); // the relay handshake runs while picocli builds its model (~80 ms cold)
        }
        if (mayGoDirect(args)) {
            // Overlaps the UDP engine's native set-up with argument parsing and the relay connection.
            DatagramEngines.prepareInBackground();
        }
        System.exit(execute(Terminal.system(), args));
    }

    /** A rough look before parsing: a transfer command that may open a direct path. */
    private static boolean mayGoDirect(final String[] args) {
        // A loop, not a stream: main is not in the AOT cache's training, so a lambda here costs class generation.
        boolean direct = false;
        for (final String arg : args) {
            if ("--force-relay".equals(arg)) {
                return false;
            }
            direct |= DIRECT_COMMANDS.contains(arg);
        }
        return direct;
    }

    /**
     * Runs the tool in-process: returns the exit code. Builds picocli's model of the invoked subcommand only, when
     * that is enough (see {@link #invokedOnly}): the model costs reflection and a generated proxy class per
     * annotation type, and the four subcommands a run never uses cost it 20-30 ms before the command starts.
     */
    public static int execute(final Terminal terminal, final String... args) {
        final CommandLine one = invokedOnly(terminal, args);
        return CommandRunner.run(one != null ? one : commandLine(terminal, SUBCOMMANDS), terminal, args);
    }

    /** Runs the tool with every subcommand built: what {@link #execute} does when it cannot build just one. */
    static int executeWithEverySubcommand(final Terminal terminal, final String... args) {
        return CommandRunner.run(commandLine(terminal, SUBCOMMANDS), terminal, args);
    }

    /**
     * The command line with only the subcommand {@code args} invoke, when it parses them without an error and
     * without help at the root (which lists every subcommand); else null, and nothing printed: errors and help
     * come from the full model, word for word. {@link CommandRunner#run} then parses once more (~1 ms), so a run
     * keeps its one path. See {@link #invokedSubcommand} for why the missing subcommands cannot change the parse.
     */
    static CommandLine invokedOnly(final Terminal terminal, final String... args) {
        final String invoked = invokedSubcommand(args);
        if (invoked == null) {
            return null;
        }
        if ("pipe".equals(invoked)) {
            final CommandLine fast = PipeLine.build(terminal);
            if (PipeLine.plain(fast, args) && parsesToRun(CommandRunner.parseQuietly(fast, terminal, args))) {
                return fast;
            }
        }
        final CommandLine one = commandLine(terminal, List.of(invoked));
        final ParseResult parsed = CommandRunner.parseQuietly(one, terminal, args);
        return parsed != null && parsed.hasSubcommand() && !parsed.isUsageHelpRequested() ? one : null;
    }

    /**
     * The subcommand that {@code args} name, read without picocli: the first word that is neither an option nor
     * a global option's value. Null when that is not a subcommand, or when the other subcommands could change how
     * picocli reads the arguments before it: picocli expands {@code @file}s, and refuses a subcommand's name as
     * an option's value ({@code --derp-url listen}, also {@code --derp-url=listen}) only when it knows that
     * subcommand. Everything after the subcommand is parsed in its own scope, blind to the others.
     */
    private static String invokedSubcommand(final String... args) {
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            // "--" ends the options: what follows is the root's positionals, and it takes none.
            if (!arg.startsWith("-") || "--".equals(arg)) {
                return SUBCOMMANDS.contains(arg) ? arg : null;
            }
            if (SUBCOMMANDS.contains(arg.substring(arg.indexOf('=') + 1))) {
                return null;
            }
            if (VALUED_GLOBAL_OPTIONS.contains(arg) && ++i < args.length
                && (SUBCOMMANDS.contains(args[i]) || args[i].startsWith("@"))) {
                return null;
            }
        }
        return null;
    }

    /** A parse that runs a subcommand: no help or version asked for anywhere on the line. */
    static boolean parsesToRun(final ParseResult parsed) {
        if (parsed == null || !parsed.hasSubcommand()) {
            return false;
        }
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return false;
            }
        }
        return true;
    }

    static CommandLine commandLine(final Terminal terminal, final List<String> subcommands) {
        final DerpholeMain root = new DerpholeMain();
        final CommandLine commandLine = new CommandLine(root);
        for (final String name : subcommands) {
            commandLine.addSubcommand(subcommand(name, terminal, root.global));
        }
        executeWith(commandLine, root, terminal);
        return commandLine;
    }

    /** Runs the last subcommand once the global options are applied (a usage error of theirs is reported). */
    static void executeWith(final CommandLine commandLine, final DerpholeMain root, final Terminal terminal) {
        commandLine.setExecutionStrategy(parseResult -> {
            try {
                root.global.applyTo(terminal);
            } catch (final UserFacingException e) {
                return CommandRunner.report(e, terminal);
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
    }

    // A switch, not a map of constructor references: a lambda the AOT cache's training never ran costs its
    // class generation at start-up.
    private static Object subcommand(final String name, final Terminal terminal, final GlobalOptions global) {
        return switch (name) {
            case "listen" -> new ListenCommand(terminal, global);
            case "pipe" -> new PipeCommand(terminal, global);
            case "send" -> new SendCommand(terminal, global);
            case "receive" -> new ReceiveCommand(terminal, global);
            case "ssh" -> SshCommand.build(terminal, global);
            case "version" -> new VersionCommand(terminal);
            case "relay" -> new RelayCommand(terminal, global);
            case "netcheck" -> new NetcheckCommand(terminal, global);
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
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
