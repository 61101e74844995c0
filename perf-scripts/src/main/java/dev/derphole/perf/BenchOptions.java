package dev.derphole.perf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The relay benchmark's command line: which matrix to run, for how long, and the gate thresholds. Immutable;
 * made by {@link #parse}.
 *
 * @param out            run directory (results.csv, decision.json, forwarder logs)
 * @param relayJar       the shaded derphole jar whose {@code relay} command is measured
 * @param pairs          client pair counts, e.g. 1 and 50
 * @param sizes          packet sizes in bytes
 * @param systems        forwarders to measure, in run order
 * @param queueDepths    relay queue depths (one derp run per depth)
 * @param gateDepth      the queue depth whose results the gate judges
 * @param socatBuffer    socat's {@code -b} transfer buffer in bytes (socat's default is 8192)
 * @param warmupMs       traffic before the measured window
 * @param measureMs      measured window
 * @param repeat         times the whole matrix runs (interleaved, so every system sees the same noise)
 * @param gateSize       packet size the throughput gate judges
 * @param minRatio       derp MB/s must be at least this share of the baseline's at {@code gateSize}
 * @param baseline       system the gate compares derp with
 * @param maxRssGrowth   largest allowed max/min relay RSS over a measured window
 * @param relayJavaOpts  extra JVM options for the relay process
 * @param commit         commit id recorded in decision.json (the script passes it)
 */
record BenchOptions(
    Path out,
    Path relayJar,
    List<Integer> pairs,
    List<Integer> sizes,
    List<String> systems,
    List<Integer> queueDepths,
    int gateDepth,
    int socatBuffer,
    long warmupMs,
    long measureMs,
    int repeat,
    int gateSize,
    double minRatio,
    String baseline,
    double maxRssGrowth,
    List<String> relayJavaOpts,
    String commit) {
    /** Forwarders the harness knows. */
    static final List<String> KNOWN_SYSTEMS = List.of(ForwarderKind.DERP, ForwarderKind.SOCAT, ForwarderKind.JAVA);

    /** Largest packet a DERP client may send (64 KiB); the TCP loads use the same bound. */
    static final int MAX_SIZE = 64 << 10;

    /** Smallest packet: it carries an 8-byte sequence number. */
    static final int MIN_SIZE = Long.BYTES;

    static final String USAGE = """
        Usage: RelayBench --out DIR [options]
          Measures packets/s and MB/s forwarded by the derphole relay (a separate process) and by plain TCP
          forwarders on the same loopback, for N client pairs each pushing S-byte packets as fast as
          backpressure allows. Writes DIR/results.csv (one row per run) and DIR/decision.json (the gate).

          --out DIR              run directory (required)
          --relay-jar PATH       shaded derphole jar (default: cli/target/derphole.jar)
          --pairs LIST           client pairs, comma-separated (default: 1,50)
          --sizes LIST           packet sizes in bytes (default: 1200,16384)
          --systems LIST         derp, socat, java (default: derp,socat,java)
          --queue-depths LIST    relay --queue-depth values, one derp run each (default: 32)
          --gate-depth N         queue depth the gate judges (default: the first of --queue-depths)
          --socat-buffer BYTES   socat -b (default: 8192, socat's own default)
          --warmup SECONDS       traffic before measuring (default: 2)
          --measure SECONDS      measured window (default: 8)
          --repeat N             run the whole matrix N times, interleaved (default: 1)
          --gate-size BYTES      packet size the throughput gate judges (default: 16384)
          --min-ratio X          derp MB/s >= X * baseline MB/s (default: 0.8)
          --baseline NAME        system the gate compares with (default: socat)
          --max-rss-growth X     relay RSS max/min within a window <= X (default: 1.5)
          --relay-java-opts S    extra JVM options for the relay, space-separated (default: none)
          --commit ID            commit recorded in decision.json
          --help                 this text
        """;

    /**
     * Parses the command line.
     *
     * @throws IllegalArgumentException one line saying what is wrong
     */
    static BenchOptions parse(final String... args) {
        Path out = null;
        Path relayJar = Path.of("cli/target/derphole.jar");
        List<Integer> pairs = List.of(1, 50);
        List<Integer> sizes = List.of(1200, 16384);
        List<String> systems = KNOWN_SYSTEMS;
        List<Integer> depths = List.of(32);
        int gateDepth = -1;
        int socatBuffer = 8192;
        long warmupMs = 2000;
        long measureMs = 8000;
        int repeat = 1;
        int gateSize = 16384;
        double minRatio = 0.8;
        String baseline = ForwarderKind.SOCAT;
        double maxRssGrowth = 1.5;
        List<String> relayJavaOpts = List.of();
        String commit = "unknown";
        for (int i = 0; i < args.length; i++) {
            final String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value (or unknown flag); see --help");
            }
            final String value = args[++i];
            switch (flag) {
                case "--out" -> out = Path.of(value);
                case "--relay-jar" -> relayJar = Path.of(value);
                case "--pairs" -> pairs = intList(flag, value, 1, 1000);
                case "--sizes" -> sizes = intList(flag, value, MIN_SIZE, MAX_SIZE);
                case "--systems" -> systems = systems(value);
                case "--queue-depths" -> depths = intList(flag, value, 1, 1 << 16);
                case "--gate-depth" -> gateDepth = intValue(flag, value, 1, 1 << 16);
                case "--socat-buffer" -> socatBuffer = intValue(flag, value, 1, 1 << 24);
                case "--warmup" -> warmupMs = millis(flag, value, 0);
                case "--measure" -> measureMs = millis(flag, value, 100);
                case "--repeat" -> repeat = intValue(flag, value, 1, 100);
                case "--gate-size" -> gateSize = intValue(flag, value, MIN_SIZE, MAX_SIZE);
                case "--min-ratio" -> minRatio = positiveDouble(flag, value);
                case "--baseline" -> baseline = value;
                case "--max-rss-growth" -> maxRssGrowth = positiveDouble(flag, value);
                case "--relay-java-opts" -> relayJavaOpts = words(value);
                case "--commit" -> commit = value;
                default -> throw new IllegalArgumentException("unknown flag " + flag + "; see --help");
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out DIR is required; see --help");
        }
        if (gateDepth < 0) {
            gateDepth = depths.getFirst();
        } else if (!depths.contains(gateDepth)) {
            throw new IllegalArgumentException("--gate-depth " + gateDepth + " is not one of --queue-depths " + depths);
        }
        if (!KNOWN_SYSTEMS.contains(baseline) || baseline.equals(ForwarderKind.DERP)) {
            throw new IllegalArgumentException("--baseline must be socat or java: " + baseline);
        }
        return new BenchOptions(out, relayJar, pairs, sizes, systems, depths, gateDepth, socatBuffer, warmupMs,
            measureMs, repeat, gateSize, minRatio, baseline, maxRssGrowth, relayJavaOpts, commit);
    }

    /** True when the arguments ask for help (then nothing else is parsed). */
    static boolean wantsHelp(final String... args) {
        for (final String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    private static List<Integer> intList(final String flag, final String value, final int min, final int max) {
        final List<Integer> out = new ArrayList<>();
        for (final String part : value.split(",", -1)) {
            final int v = intValue(flag, part.strip(), min, max);
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }

    private static int intValue(final String flag, final String value, final int min, final int max) {
        final int v;
        try {
            v = Integer.parseInt(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(flag + " wants a whole number: " + value);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(flag + " must be " + min + ".." + max + ": " + value);
        }
        return v;
    }

    private static long millis(final String flag, final String seconds, final long minMs) {
        final double s;
        try {
            s = Double.parseDouble(seconds);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(flag + " wants seconds: " + seconds);
        }
        final long ms = Math.round(s * 1000);
        if (!(s >= 0) || ms < minMs || s > 3600) {
            throw new IllegalArgumentException(flag + " must be " + minMs / 1000.0 + "..3600 seconds: " + seconds);
        }
        return ms;
    }

    private static double positiveDouble(final String flag, final String value) {
        final double v;
        try {
            v = Double.parseDouble(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(flag + " wants a number: " + value);
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(flag + " must be a positive number: " + value);
        }
        return v;
    }

    private static List<String> systems(final String value) {
        final List<String> out = new ArrayList<>();
        for (final String part : value.split(",", -1)) {
            final String name = part.strip().toLowerCase(Locale.ROOT);
            if (!KNOWN_SYSTEMS.contains(name)) {
                throw new IllegalArgumentException("--systems: unknown system " + part + " (known: " + KNOWN_SYSTEMS
                    + ")");
            }
            if (!out.contains(name)) {
                out.add(name);
            }
        }
        return List.copyOf(out);
    }

    private static List<String> words(final String value) {
        final String trimmed = value.strip();
        return trimmed.isEmpty() ? List.of() : List.of(trimmed.split("\\s+"));
    }
}
