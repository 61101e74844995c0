package dev.derphole.perf;

import java.util.Locale;

/**
 * One measured run: one forwarder, one pair count, one packet size, one repetition; a line of results.csv.
 *
 * @param rep          repetition (1-based)
 * @param system       {@link ForwarderKind} name
 * @param variant      forwarder setting: {@code q32} (relay queue depth), {@code b8192} (copy buffer)
 * @param pairs        sender → receiver pairs
 * @param sizeBytes    packet payload size
 * @param seconds      measured window actually elapsed
 * @param window       traffic in the window
 * @param fwdCpuS      forwarder CPU seconds (user + system) in the window
 * @param harnessCpuS  this JVM's CPU seconds in the window (senders, receivers, clients)
 * @param rssStartKb   forwarder RSS once started, before traffic
 * @param rssMinKb     smallest forwarder RSS sampled in the window
 * @param rssMaxKb     largest forwarder RSS sampled in the window
 * @param rssEndKb     forwarder RSS at the end of the window
 * @param hwmKb        forwarder peak RSS (VmHWM) at the end of the window
 * @param error        why the run failed, or empty
 */
record ResultRow(
    int rep, String system, String variant, int pairs, int sizeBytes, double seconds, Totals window,
    double fwdCpuS, double harnessCpuS, long rssStartKb, long rssMinKb, long rssMaxKb, long rssEndKb, long hwmKb,
    String error) {
    static final String CSV_HEADER = "rep,system,variant,pairs,size_bytes,seconds,sent_pkts,delivered_pkts,"
        + "lost_pkts,late_pkts,pps,mb_per_s,loss_pct,fwd_cpu_s,fwd_cpu_pct,harness_cpu_s,rss_start_kb,rss_min_kb,"
        + "rss_max_kb,rss_end_kb,hwm_kb,error";

    /** A run that could not be measured. */
    static ResultRow failed(
        final int rep, final String system, final String variant, final int pairs, final int size, final String why) {
        return new ResultRow(rep, system, variant, pairs, size, 0, Totals.ZERO, 0, 0, ProcFs.UNKNOWN,
            ProcFs.UNKNOWN, ProcFs.UNKNOWN, ProcFs.UNKNOWN, ProcFs.UNKNOWN, why);
    }

    boolean ok() {
        return error.isEmpty();
    }

    /** Delivered packets per second. */
    double pps() {
        return seconds > 0 ? window.delivered() / seconds : 0;
    }

    /** Delivered payload in 10^6 bytes per second. */
    double mbPerS() {
        return seconds > 0 ? window.bytes() / 1e6 / seconds : 0;
    }

    /** Forwarder CPU as a share of one core, in percent. */
    double fwdCpuPct() {
        return seconds > 0 ? 100 * fwdCpuS / seconds : 0;
    }

    /** Relay RSS max / min over the window; 0 when unknown. */
    double rssGrowth() {
        return new RssSampler.Range(rssMinKb, rssMaxKb).growth();
    }

    /** This row as a CSV line (no quoting needed: the error text has its commas and quotes replaced). */
    String toCsv() {
        return String.format(Locale.ROOT,
            "%d,%s,%s,%d,%d,%.3f,%d,%d,%d,%d,%.0f,%.2f,%.3f,%.3f,%.1f,%.3f,%d,%d,%d,%d,%d,%s",
            rep, system, variant, pairs, sizeBytes, seconds, window.sent(), window.delivered(), window.lost(),
            window.late(), pps(), mbPerS(), window.lossPercent(), fwdCpuS, fwdCpuPct(), harnessCpuS, rssStartKb,
            rssMinKb, rssMaxKb, rssEndKb, hwmKb, error.replace(',', ';').replace('"', '\'').replace('\n', ' '));
    }
}
