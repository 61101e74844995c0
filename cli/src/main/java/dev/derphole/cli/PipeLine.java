package dev.derphole.cli;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ScopeType;

/**
 * {@code derphole pipe ...}'s command line built with picocli's programmatic API: the annotated model costs the JDK's
 * annotation proxies and picocli's reflection (52-90 ms of a cold start, on the sender's critical path). Only for
 * parsing a run: help, version and every error come from the annotated model ({@link DerpholeMain#invokedOnly} falls
 * back to it whenever this one does not parse cleanly), so what users read stays word for word the same. The options
 * mirror {@link GlobalOptions}, {@link PipeCommand} and {@link TokenSource}; {@code PipeLineTest} holds them equal.
 */
final class PipeLine {
    private PipeLine() {
    }

    /**
     * Whether {@code args} are plain enough for {@code line} (from {@link #build}): each option given once, by a name
     * of its own (no clustered short options like {@code -vq}), and nothing picocli reads specially ({@code @file}s).
     * Repeats and clusters of inherited options meet picocli's per-subcommand initial values differently in the two
     * models, and nobody writes them on purpose: they go to the annotated model.
     */
    static boolean plain(final CommandLine line, final String... args) {
        final Map<String, OptionSpec> pipeOptions = line.getSubcommands().get("pipe").getCommandSpec().optionsMap();
        final Map<String, OptionSpec> rootOptions = line.getCommandSpec().optionsMap();
        final Set<String> seen = new HashSet<>();
        for (final String arg : args) {
            if ("--".equals(arg)) {
                return true; // positionals only from here
            }
            if (arg.startsWith("@")) {
                return false;
            }
            if (!arg.startsWith("-") || "-".equals(arg)) {
                continue;
            }
            final int equals = arg.indexOf('=');
            String name = equals > 0 ? arg.substring(0, equals) : arg;
            if (!name.startsWith("--") && name.length() > 2) {
                name = name.substring(0, 2); // -P4: the value attached
                if (!"-P".equals(name)) {
                    return false; // a cluster, -vq
                }
            }
            final OptionSpec option = pipeOptions.getOrDefault(name, rootOptions.get(name));
            if (option != null && !seen.add(option.longestName())) {
                return false;
            }
        }
        return true;
    }

    static CommandLine build(final Terminal terminal) {
        final DerpholeMain root = new DerpholeMain();
        final GlobalOptions global = root.global;
        final CommandSpec rootSpec = CommandSpec.wrapWithoutInspection(root).name("derphole");
        rootSpec.addOption(flag(v -> global.verbose = v, true, "-v", "--verbose"));
        rootSpec.addOption(flag(v -> global.quiet = v, true, "-q", "--quiet"));
        rootSpec.addOption(flag(v -> global.silent = v, true, "-s", "--silent"));
        rootSpec.addOption(valued(String.class, v -> global.derpUrl = (String)v, "URL", true, "--derp-url"));
        rootSpec.addOption(valued(String.class, v -> global.derpMap = (String)v, "FILE|URL", true, "--derp-map"));
        addStandardHelp(rootSpec);

        final PipeCommand pipe = new PipeCommand(terminal, global);
        final CommandSpec pipeSpec = CommandSpec.wrapWithoutInspection(pipe).name("pipe");
        pipeSpec.addPositional(PositionalParamSpec.builder().arity("0..1").paramLabel("TOKEN").type(String.class)
            .setter(setter(v -> pipe.token = (String)v)).build());
        pipeSpec.addOption(valued(Path.class, v -> pipe.tokenSource.tokenFile = (Path)v, "FILE", false,
            "--token-file"));
        pipeSpec.addOption(flag(v -> pipe.tokenSource.tokenStdin = v, false, "--token-stdin"));
        pipeSpec.addOption(flag(v -> pipe.forceRelay = v, false, "--force-relay"));
        pipeSpec.addOption(OptionSpec.builder("-P", "--parallel").paramLabel("N|auto").type(String.class)
            .arity("1").defaultValue("auto").setter(setter(v -> pipe.parallel = (String)v)).build());
        addStandardHelp(pipeSpec);

        final CommandLine line = new CommandLine(rootSpec);
        line.addSubcommand("pipe", new CommandLine(pipeSpec));
        DerpholeMain.executeWith(line, root, terminal);
        return line;
    }

    private static void addStandardHelp(final CommandSpec spec) {
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).arity("0").type(boolean.class).build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).arity("0").type(boolean.class)
            .build());
    }

    private static OptionSpec flag(final Consumer<Boolean> field, final boolean inherited, final String... names) {
        return OptionSpec.builder(names).arity("0").type(boolean.class).initialValue(false)
            .scopeType(inherited ? ScopeType.INHERIT : ScopeType.LOCAL).setter(setter(v -> field.accept((Boolean)v)))
            .build();
    }

    private static OptionSpec valued(final Class<?> type, final Consumer<Object> field, final String label,
        final boolean inherited, final String... names) {
        return OptionSpec.builder(names).arity("1").paramLabel(label).type(type)
            .scopeType(inherited ? ScopeType.INHERIT : ScopeType.LOCAL).setter(setter(field)).build();
    }

    private static ISetter setter(final Consumer<Object> field) {
        return new ISetter() {
            @Override
            public <T> T set(final T value) {
                field.accept(value);
                return null;
            }
        };
    }
}
