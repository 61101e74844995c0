package dev.derphole.perf;

import java.util.List;

/**
 * A running forwarder under test (one relay process, or one or more TCP forwarder processes): where its
 * memory and CPU can be read. Closing stops its processes.
 */
interface Forwarder extends AutoCloseable {
    /** The processes that do the forwarding; memory and CPU are summed over them. */
    List<Long> pids();

    /** Sum of the processes' resident set sizes in KiB (shared pages count once per process). */
    default long rssKb() {
        long sum = 0;
        for (final long pid : pids()) {
            final long kb = ProcFs.rssKb(pid);
            if (kb < 0) {
                return ProcFs.UNKNOWN;
            }
            sum += kb;
        }
        return sum;
    }

    /** Sum of the processes' peak resident set sizes in KiB. */
    default long hwmKb() {
        long sum = 0;
        for (final long pid : pids()) {
            final long kb = ProcFs.hwmKb(pid);
            if (kb < 0) {
                return ProcFs.UNKNOWN;
            }
            sum += kb;
        }
        return sum;
    }

    /** CPU time used so far by the processes, in nanoseconds. */
    default long cpuNs() {
        long sum = 0;
        for (final long pid : pids()) {
            final long ns = ProcFs.cpuNs(pid);
            if (ns < 0) {
                return ProcFs.UNKNOWN;
            }
            sum += ns;
        }
        return sum;
    }

    @Override
    void close();
}
