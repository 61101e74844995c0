package dev.derphole.perf;

import java.util.List;
import java.util.Locale;

/** Renders summaries and gate checks as the plain-text (Markdown-compatible) table the script prints. */
final class Table {
    private Table() {
    }

    static String render(final List<Summary> summaries, final String baseline, final List<Gate.Check> checks) {
        final StringBuilder b = new StringBuilder();
        b.append("| system | variant | pairs | size B | runs | pkts/s | MB/s | vs ").append(baseline)
            .append(" | loss % | fwd CPU % | MB per fwd CPU-s | harness CPU % | RSS start MiB | RSS min..max MiB |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (final Summary s : summaries) {
            final Summary base = Summary.find(summaries, baseline, null, s.pairs(), s.sizeBytes());
            final String ratio = base == null || !(base.mbPerS() > 0) ? "-"
                : String.format(Locale.ROOT, "%.2fx", s.mbPerS() / base.mbPerS());
            b.append(String.format(Locale.ROOT,
                "| %s | %s | %d | %d | %d | %,.0f | %.1f | %s | %.2f | %.0f | %.0f | %.0f | %s | %s..%s |%n",
                s.system(), s.variant(), s.pairs(), s.sizeBytes(), s.runs(), s.pps(), s.mbPerS(), ratio,
                s.lossPct(), s.fwdCpuPct(), s.mbPerCpuS(), s.harnessCpuPct(), mib(s.rssStartKb()), mib(s.rssMinKb()),
                mib(s.rssMaxKb())));
        }
        b.append('\n');
        for (final Gate.Check c : checks) {
            b.append(c.pass() ? "PASS " : "FAIL ").append(c.name()).append(": ").append(c.detail()).append('\n');
        }
        b.append(Gate.passed(checks) ? "verdict: pass" : "verdict: FAIL").append('\n');
        return b.toString();
    }

    private static String mib(final long kb) {
        return kb < 0 ? "?" : String.format(Locale.ROOT, "%.0f", kb / 1024.0);
    }
}
