package dev.derphole.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.derphole.derp.json.JsonWriter;

/**
 * The relay forwarding benchmark (issue 2): for every repetition, pair count and packet size it measures each
 * forwarder in turn (interleaved, so all see the same machine noise): the derphole relay as its own process with
 * DERP clients in this JVM, and the plain TCP baselines (socat, a Java forwarder) carrying the same packets with a
 * length prefix. Each run: start the forwarder, start the pairs, warm up, then count delivered packets and bytes,
 * the forwarder's CPU time and its RSS (sampled every second) over the measured window. Writes results.csv,
 * decision.json and table.md into the run directory (each atomically), prints the table, exits 0 when the gate
 * passes and 1 when it fails (2: bad arguments, 3: the harness itself failed).
 * <p>
 * Everything stays on 127.0.0.1; only processes this harness started are ever stopped.
 */
public final class RelayBench {
    static final int EXIT_PASS = 0;
    static final int EXIT_FAIL = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_ERROR = 3;

    private final BenchOptions options;
    private final ChildProcesses children;

    private RelayBench(final BenchOptions options, final ChildProcesses children) {
        this.options = options;
        this.children = children;
    }

    public static void main(final String[] args) {
        System.exit(run(args));
    }

    static int run(final String... args) {
        if (BenchOptions.wantsHelp(args)) {
            System.out.print(BenchOptions.USAGE);
            return EXIT_PASS;
        }
        final BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (final IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        }
        try {
            Files.createDirectories(options.out().resolve("logs"));
            final ChildProcesses children = new ChildProcesses(options.out().resolve("children.pids"));
            try {
                return new RelayBench(options, children).runMatrix();
            } finally {
                children.stopAll();
            }
        } catch (final IOException e) {
            System.err.println("error: " + e.getMessage());
            return EXIT_ERROR;
        } catch (final InterruptedException e) {
            System.err.println("error: interrupted");
            return EXIT_ERROR;
        }
    }

    private int runMatrix() throws IOException, InterruptedException {
        final String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final List<ResultRow> rows = new ArrayList<>();
        for (int rep = 1; rep <= options.repeat(); rep++) {
            for (final int pairs : options.pairs()) {
                for (final int size : options.sizes()) {
                    for (final String system : options.systems()) {
                        if (system.equals(ForwarderKind.DERP)) {
                            for (final int depth : options.queueDepths()) {
                                rows.add(report(runOne(rep, system, depth, pairs, size)));
                            }
                        } else {
                            rows.add(report(runOne(rep, system, 0, pairs, size)));
                        }
                    }
                }
            }
        }
        final List<Summary> summaries = Summary.of(rows);
        final List<Gate.Check> checks = Gate.evaluate(options, rows, summaries);
        final Map<String, Object> env = new LinkedHashMap<>();
        env.put("started", started);
        env.put("commit", options.commit());
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("jdk", System.getProperty("java.vm.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));

        final StringBuilder csv = new StringBuilder(ResultRow.CSV_HEADER).append('\n');
        for (final ResultRow r : rows) {
            csv.append(r.toCsv()).append('\n');
        }
        final String table = Table.render(summaries, options.baseline(), checks);
        writeAtomically(options.out().resolve("results.csv"), csv.toString());
        writeAtomically(options.out().resolve("table.md"), table);
        writeAtomically(options.out().resolve("decision.json"),
            JsonWriter.writePretty(Gate.decision(options, checks, summaries, env)) + "\n");
        System.out.print(table);
        return Gate.passed(checks) ? EXIT_PASS : EXIT_FAIL;
    }

    private static ResultRow report(final ResultRow r) {
        if (r.ok()) {
            System.err.printf(Locale.ROOT, "run %d %s %s %d pairs %d B: %,.0f pkts/s %.1f MB/s loss %.2f%% "
                    + "fwd CPU %.0f%% RSS %d..%d KiB%n", r.rep(), r.system(), r.variant(), r.pairs(), r.sizeBytes(),
                r.pps(), r.mbPerS(), r.window().lossPercent(), r.fwdCpuPct(), r.rssMinKb(), r.rssMaxKb());
        } else {
            System.err.printf(Locale.ROOT, "run %d %s %s %d pairs %d B: FAILED: %s%n", r.rep(), r.system(),
                r.variant(), r.pairs(), r.sizeBytes(), r.error());
        }
        return r;
    }

    private ResultRow runOne(final int rep, final String system, final int depth, final int pairs, final int size)
        throws InterruptedException {
        final String variant = switch (system) {
            case ForwarderKind.DERP -> Variants.derp(depth);
            case ForwarderKind.SOCAT -> Variants.buffer(options.socatBuffer());
            default -> Variants.buffer(Variants.JAVA_FORWARDER_BUFFER);
        };
        final Path log = options.out().resolve("logs").resolve(
            system + "-" + variant + "-" + pairs + "p-" + size + "B-r" + rep + ".log");
        Forwarder forwarder = null;
        Load load = null;
        try {
            final long rssStartKb;
            switch (system) {
                case ForwarderKind.DERP -> {
                    final RelayForwarder relay = RelayForwarder.start(children, options.relayJar(),
                        options.relayJavaOpts(), depth, log);
                    forwarder = relay;
                    rssStartKb = relay.rssKb();
                    load = DerpLoad.start(relay.target(), pairs, size);
                }
                case ForwarderKind.SOCAT -> {
                    final TcpLoad tcp = TcpLoad.open(pairs);
                    load = tcp;
                    final SocatForwarder socat = SocatForwarder.start(children, tcp.sinkPorts(),
                        options.socatBuffer(), log);
                    forwarder = socat;
                    tcp.start(socat.entryPorts(), size);
                    rssStartKb = socat.rssKb(); // once connected: a socat that has just forked is not yet socat

                }
                default -> {
                    final TcpLoad tcp = TcpLoad.open(pairs);
                    load = tcp;
                    final JavaForwarder java = JavaForwarder.start(children, tcp.sinkPorts(),
                        Variants.JAVA_FORWARDER_BUFFER, options.relayJavaOpts(), log);
                    forwarder = java;
                    tcp.start(java.entryPorts(), size);
                    rssStartKb = java.rssKb();
                }
            }
            return measure(rep, system, variant, pairs, size, forwarder, load, rssStartKb);
        } catch (final IOException | RuntimeException e) {
            return ResultRow.failed(rep, system, variant, pairs, size, String.valueOf(e.getMessage()));
        } finally {
            if (load != null) {
                load.close();
            }
            if (forwarder != null) {
                forwarder.close();
            }
        }
    }

    private ResultRow measure(
        final int rep, final String system, final String variant, final int pairs, final int size,
        final Forwarder forwarder, final Load load, final long rssStartKb) throws InterruptedException {
        final long self = ProcessHandle.current().pid();
        try (RssSampler sampler = new RssSampler(forwarder::rssKb)) {
            Thread.sleep(options.warmupMs());
            final long cpu0 = forwarder.cpuNs();
            final long harness0 = ProcFs.cpuNs(self);
            final Totals before = load.totals();
            final long t0 = System.nanoTime();
            Thread.sleep(options.measureMs());
            final Totals after = load.totals();
            final long t1 = System.nanoTime();
            final long cpu1 = forwarder.cpuNs();
            final long harness1 = ProcFs.cpuNs(self);
            final long rssEndKb = forwarder.rssKb();
            final long hwmKb = forwarder.hwmKb();
            final RssSampler.Range range = sampler.range(t0, t1);
            if (cpu0 < 0 || cpu1 < 0) {
                return ResultRow.failed(rep, system, variant, pairs, size, "forwarder exited during the run");
            }
            return new ResultRow(rep, system, variant, pairs, size, (t1 - t0) / 1e9, after.minus(before),
                (cpu1 - cpu0) / 1e9, (harness1 - harness0) / 1e9, rssStartKb, range.minKb(), range.maxKb(),
                rssEndKb, hwmKb, "");
        }
    }

    /** Writes {@code text} to a temporary file next to {@code target}, then renames it over {@code target}. */
    static void writeAtomically(final Path target, final String text) throws IOException {
        final Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
