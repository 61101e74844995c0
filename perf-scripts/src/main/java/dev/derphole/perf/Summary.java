package dev.derphole.perf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Medians over the repetitions of one configuration (system, variant, pairs, size); failed runs are left out.
 *
 * @param runs           successful runs summarised
 * @param pps            median delivered packets/s
 * @param mbPerS         median delivered MB/s (10^6 bytes)
 * @param lossPct        median loss in percent
 * @param fwdCpuPct      median forwarder CPU, percent of one core
 * @param mbPerCpuS      median MB delivered per forwarder CPU-second: efficiency, less sensitive than MB/s to
 *                       other load on the machine taking CPU from the forwarder
 * @param harnessCpuPct  median harness CPU, percent of one core
 * @param rssStartKb     median forwarder RSS before traffic
 * @param rssMinKb       smallest forwarder RSS seen in any window
 * @param rssMaxKb       largest forwarder RSS seen in any window
 * @param worstRssGrowth largest per-run max/min RSS ratio
 * @param late           late (reordered or duplicated) packets over all runs
 */
record Summary(
    String system, String variant, int pairs, int sizeBytes, int runs, double pps, double mbPerS, double lossPct,
    double fwdCpuPct, double mbPerCpuS, double harnessCpuPct, long rssStartKb, long rssMinKb, long rssMaxKb,
    double worstRssGrowth, long late) {
    /** One summary per configuration, in the order configurations first appear in {@code rows}. */
    static List<Summary> of(final List<ResultRow> rows) {
        final Map<String, List<ResultRow>> groups = new LinkedHashMap<>();
        for (final ResultRow r : rows) {
            groups.computeIfAbsent(r.system() + "/" + r.variant() + "/" + r.pairs() + "/" + r.sizeBytes(),
                k -> new ArrayList<>()).add(r);
        }
        final List<Summary> out = new ArrayList<>();
        for (final List<ResultRow> g : groups.values()) {
            out.add(summarise(g));
        }
        return out;
    }

    private static Summary summarise(final List<ResultRow> group) {
        final ResultRow first = group.getFirst();
        final List<ResultRow> ok = new ArrayList<>();
        for (final ResultRow r : group) {
            if (r.ok()) {
                ok.add(r);
            }
        }
        final int n = ok.size();
        final double[] pps = new double[n];
        final double[] mb = new double[n];
        final double[] loss = new double[n];
        final double[] cpu = new double[n];
        final double[] efficiency = new double[n];
        final double[] harness = new double[n];
        final double[] rssStart = new double[n];
        final double[] growth = new double[n];
        long rssMin = Long.MAX_VALUE;
        long rssMax = ProcFs.UNKNOWN;
        long late = 0;
        for (int i = 0; i < n; i++) {
            final ResultRow r = ok.get(i);
            pps[i] = r.pps();
            mb[i] = r.mbPerS();
            loss[i] = r.window().lossPercent();
            cpu[i] = r.fwdCpuPct();
            efficiency[i] = r.fwdCpuS() > 0 ? r.mbPerS() * r.seconds() / r.fwdCpuS() : 0;
            harness[i] = r.seconds() > 0 ? 100 * r.harnessCpuS() / r.seconds() : 0;
            rssStart[i] = r.rssStartKb();
            growth[i] = r.rssGrowth();
            if (r.rssMinKb() >= 0) {
                rssMin = Math.min(rssMin, r.rssMinKb());
            }
            rssMax = Math.max(rssMax, r.rssMaxKb());
            late += r.window().late();
        }
        return new Summary(first.system(), first.variant(), first.pairs(), first.sizeBytes(), n,
            Stats.median(pps), Stats.median(mb), Stats.median(loss), Stats.median(cpu), Stats.median(efficiency),
            Stats.median(harness),
            n == 0 ? ProcFs.UNKNOWN : Math.round(Stats.median(rssStart)),
            rssMin == Long.MAX_VALUE ? ProcFs.UNKNOWN : rssMin, rssMax, n == 0 ? Double.NaN : Stats.max(growth), late);
    }

    /** The summary of one configuration ({@code variant} null: the first of any variant), or null. */
    static Summary find(
        final List<Summary> all, final String system, final String variant, final int pairs, final int size) {
        for (final Summary s : all) {
            if (s.system.equals(system) && (variant == null || s.variant.equals(variant)) && s.pairs == pairs
                && s.sizeBytes == size) {
                return s;
            }
        }
        return null;
    }
}
