package dev.derphole.perf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's pass/fail rules, applied to the summaries of a run:
 * <ul>
 * <li>throughput: at the gate size, for every pair count, the relay (at the gate queue depth) delivers at least
 *     {@code minRatio} × the baseline forwarder's MB/s;</li>
 * <li>flat memory: in every relay run, the largest RSS sample of the measured window is at most
 *     {@code maxRssGrowth} × the smallest;</li>
 * <li>integrity: every run completed, no packet arrived out of order, and the TCP baselines lost nothing.</li>
 * </ul>
 * A rule whose data is missing fails. Stateless.
 */
final class Gate {
    /**
     * One rule's outcome.
     *
     * @param name   stable id, e.g. {@code throughput/50-pairs/16384B}
     * @param pass   whether it held
     * @param value  the measured number (ratio, growth, count)
     * @param limit  the threshold
     * @param detail one line for people
     */
    record Check(String name, boolean pass, double value, double limit, String detail) {
    }

    private Gate() {
    }

    static List<Check> evaluate(final BenchOptions o, final List<ResultRow> rows, final List<Summary> summaries) {
        final List<Check> checks = new ArrayList<>();
        final String gateVariant = Variants.derp(o.gateDepth());
        for (final int pairs : o.pairs()) {
            final String name = "throughput/" + pairs + "-pairs/" + o.gateSize() + "B";
            final Summary derp = Summary.find(summaries, ForwarderKind.DERP, gateVariant, pairs, o.gateSize());
            final Summary base = Summary.find(summaries, o.baseline(), null, pairs, o.gateSize());
            if (derp == null || base == null || derp.runs() == 0 || base.runs() == 0 || !(base.mbPerS() > 0)) {
                checks.add(new Check(name, false, Double.NaN, o.minRatio(),
                    "missing: need derp " + gateVariant + " and " + o.baseline() + " at " + pairs + " pairs, "
                        + o.gateSize() + " B"));
                continue;
            }
            final double ratio = derp.mbPerS() / base.mbPerS();
            checks.add(new Check(name, ratio >= o.minRatio(), ratio, o.minRatio(), String.format(Locale.ROOT,
                "derp %s %.1f MB/s vs %s %s %.1f MB/s = %.2fx (need >= %.2fx)", gateVariant, derp.mbPerS(),
                base.system(), base.variant(), base.mbPerS(), ratio, o.minRatio())));
        }
        for (final Summary s : summaries) {
            if (!s.system().equals(ForwarderKind.DERP)) {
                continue;
            }
            final String name = "rss-flat/" + s.variant() + "/" + s.pairs() + "-pairs/" + s.sizeBytes() + "B";
            final double growth = s.worstRssGrowth();
            final boolean known = s.runs() > 0 && growth > 0;
            checks.add(new Check(name, known && growth <= o.maxRssGrowth(), known ? growth : Double.NaN,
                o.maxRssGrowth(), known ? String.format(Locale.ROOT,
                "relay RSS %d..%d KiB in the measured windows, worst run max/min %.2f (need <= %.2f)",
                s.rssMinKb(), s.rssMaxKb(), growth, o.maxRssGrowth()) : "missing: no RSS samples"));
        }
        int failed = 0;
        long late = 0;
        long tcpLost = 0;
        for (final ResultRow r : rows) {
            if (!r.ok()) {
                failed++;
                continue;
            }
            late += r.window().late();
            if (!r.system().equals(ForwarderKind.DERP)) {
                tcpLost += r.window().lost();
            }
        }
        final long problems = failed + late + tcpLost;
        checks.add(new Check("integrity", problems == 0 && !rows.isEmpty(), problems, 0,
            failed + " failed runs, " + late + " late packets, " + tcpLost + " packets lost over TCP baselines"));
        return checks;
    }

    static boolean passed(final List<Check> checks) {
        for (final Check c : checks) {
            if (!c.pass()) {
                return false;
            }
        }
        return !checks.isEmpty();
    }

    /** decision.json's content: verdict, checks, the options that matter and the summaries. */
    static Map<String, Object> decision(
        final BenchOptions o, final List<Check> checks, final List<Summary> summaries, final Map<String, Object> env) {
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("verdict", passed(checks) ? "pass" : "fail");
        d.putAll(env);
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("pairs", o.pairs());
        settings.put("sizes", o.sizes());
        settings.put("systems", o.systems());
        settings.put("queueDepths", o.queueDepths());
        settings.put("gateDepth", o.gateDepth());
        settings.put("socatBuffer", o.socatBuffer());
        settings.put("warmupMs", o.warmupMs());
        settings.put("measureMs", o.measureMs());
        settings.put("repeat", o.repeat());
        settings.put("gateSize", o.gateSize());
        settings.put("minRatio", o.minRatio());
        settings.put("baseline", o.baseline());
        settings.put("maxRssGrowth", o.maxRssGrowth());
        settings.put("relayJavaOpts", String.join(" ", o.relayJavaOpts()));
        d.put("settings", settings);
        final List<Object> cs = new ArrayList<>();
        for (final Check c : checks) {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("pass", c.pass());
            m.put("value", Double.isFinite(c.value()) ? round(c.value()) : null);
            m.put("limit", c.limit());
            m.put("detail", c.detail());
            cs.add(m);
        }
        d.put("checks", cs);
        final List<Object> ss = new ArrayList<>();
        for (final Summary s : summaries) {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("system", s.system());
            m.put("variant", s.variant());
            m.put("pairs", s.pairs());
            m.put("sizeBytes", s.sizeBytes());
            m.put("runs", s.runs());
            m.put("pps", Double.isFinite(s.pps()) ? Math.round(s.pps()) : null);
            m.put("mbPerS", Double.isFinite(s.mbPerS()) ? round(s.mbPerS()) : null);
            m.put("lossPct", Double.isFinite(s.lossPct()) ? round(s.lossPct()) : null);
            m.put("fwdCpuPct", Double.isFinite(s.fwdCpuPct()) ? round(s.fwdCpuPct()) : null);
            m.put("mbPerFwdCpuS", Double.isFinite(s.mbPerCpuS()) ? round(s.mbPerCpuS()) : null);
            m.put("rssStartKb", s.rssStartKb());
            m.put("rssMinKb", s.rssMinKb());
            m.put("rssMaxKb", s.rssMaxKb());
            ss.add(m);
        }
        d.put("summary", ss);
        return d;
    }

    private static double round(final double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
