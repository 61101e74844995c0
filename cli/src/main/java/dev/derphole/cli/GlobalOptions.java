package dev.derphole.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Flags valid before or after any subcommand (picocli inherited scope): verbosity and relay selection.
 */
public final class GlobalOptions {
    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
        description = "Print status transitions (connected-relay, connected-direct) and debug details.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
        description = "Quiet output (the default): tokens, addresses, summaries and errors only.")
    boolean quiet;

    @Option(names = {"-s", "--silent"}, scope = ScopeType.INHERIT,
        description = "Print only what is required (tokens) and errors.")
    boolean silent;

    @Option(names = "--derp-url", scope = ScopeType.INHERIT, paramLabel = "URL",
        description = "Use this one DERP relay (http(s)://host:port[/derp]). Env: DERPHOLE_DERP_URL.")
    String derpUrl;

    @Option(names = "--derp-map", scope = ScopeType.INHERIT, paramLabel = "FILE|URL",
        description = "Use this DERP map (Tailscale JSON format). Env: DERPHOLE_DERP_MAP.")
    String derpMap;

    /** Applies the verbosity flags; more than one is a usage error. */
    void applyTo(final Terminal terminal) {
        final int chosen = (verbose ? 1 : 0) + (quiet ? 1 : 0) + (silent ? 1 : 0);
        if (chosen > 1) {
            throw UserFacingException.usage("choose at most one of --verbose, --quiet, --silent");
        }
        terminal.verbosity(verbose ? Terminal.Verbosity.VERBOSE
            : silent ? Terminal.Verbosity.SILENT : Terminal.Verbosity.QUIET);
    }

    public String derpUrl() {
        return derpUrl;
    }

    public String derpMap() {
        return derpMap;
    }
}
