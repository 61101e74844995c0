package dev.derphole.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.derphole.derp.client.DerpTls;
import dev.derphole.derp.json.JsonWriter;
import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpMapSource;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;
import dev.derphole.session.relay.RegionReport;
import dev.derphole.session.relay.RelayProber;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code derphole netcheck}: per relay region, the HTTP(S) latency, our STUN-mapped address and whether the
 * DERP handshake works; then the home region. Exit 1 with one clear line when no relay is reachable.
 */
@Command(mixinStandardHelpOptions = true, name = "netcheck", description = {
    "Check the relays: latency, STUN-mapped address and DERP handshake per region, and the home region.",
    "Exit 1 when no relay is reachable."})
final class NetcheckCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object on stdout instead of a table.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
        description = "Overall time limit, e.g. 500ms, 5s (default: ${DEFAULT-VALUE}).")
    String timeout;

    private final Terminal terminal;
    private final GlobalOptions global;

    NetcheckCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
        this.global = global;
    }

    @Override
    public Integer call() {
        final Duration limit = Durations.parse("--timeout", timeout);
        final DerpMapSource source = Relays.source(global, terminal);
        final DerpMap map = Relays.load(source);
        final List<RegionReport> reports = new RelayProber(DerpNode.HostResolver.SYSTEM, DerpTls.defaultContext())
            .probe(map, limit, true);
        final Optional<DerpRegion> home = RelayProber.home(map, reports);
        if (json) {
            terminal.out().println(JsonWriter.write(toJson(source, reports, home)));
        }
        final boolean reachable = reports.stream().anyMatch(RegionReport::reachable);
        if (!json && (reachable || terminal.verbose())) {
            printTable(source, limit, reports, home);
        }
        if (!reachable) {
            throw new UserFacingException(ExitCode.RUNTIME, "no DERP relay reachable (" + reports.size()
                + (reports.size() == 1 ? " region" : " regions") + " of " + source.describe() + " tried within "
                + Durations.human(limit) + ")", Relays.RELAY_HINT);
        }
        return ExitCode.OK;
    }

    private void printTable(final DerpMapSource source, final Duration limit, final List<RegionReport> reports,
        final Optional<DerpRegion> home) {
        terminal.out().println("relays: " + source.describe() + ", timeout " + Durations.human(limit));
        terminal.out().printf("%-8s %-10s %-10s %-30s %-12s %s%n", "region", "code", "latency", "stun (our address)",
            "derp", "problem");
        for (final RegionReport r : reports) {
            terminal.out().printf("%-8d %-10s %-10s %-30s %-12s %s%n", r.regionId(), r.regionCode(),
                r.httpsLatency().map(Durations::human).orElse("-"),
                r.stunMapped().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()
                    + r.stunRtt().map(d -> " (" + Durations.human(d) + ")").orElse("")).orElse("-"),
                r.derpSetup().map(d -> "ok " + Durations.human(d)).orElse("failed"), r.error().orElse(""));
        }
        terminal.out().println("home region: " + home.map(DerpRegion::label).orElse("none"));
    }

    private static Map<String, Object> toJson(final DerpMapSource source, final List<RegionReport> reports,
        final Optional<DerpRegion> home) {
        final List<Object> regions = new ArrayList<>();
        for (final RegionReport r : reports) {
            final Map<String, Object> region = new LinkedHashMap<>();
            region.put("regionId", (long)r.regionId());
            region.put("regionCode", r.regionCode());
            region.put("node", r.node());
            region.put("url", r.url());
            region.put("latencyMs", r.httpsLatency().map(NetcheckCommand::millis).orElse(null));
            region.put("stunAddress", r.stunMapped().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                .orElse(null));
            region.put("stunRttMs", r.stunRtt().map(NetcheckCommand::millis).orElse(null));
            region.put("derpOk", r.derpSetup().isPresent());
            region.put("derpSetupMs", r.derpSetup().map(NetcheckCommand::millis).orElse(null));
            region.put("error", r.error().orElse(null));
            regions.add(region);
        }
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("source", source.describe());
        out.put("reachable", reports.stream().anyMatch(RegionReport::reachable));
        out.put("homeRegion", home.map(h -> (Object)(long)h.regionId()).orElse(null));
        out.put("regions", regions);
        return out;
    }

    private static Object millis(final Duration d) {
        return Math.round(d.toNanos() / 1e3) / 1e3;
    }
}
