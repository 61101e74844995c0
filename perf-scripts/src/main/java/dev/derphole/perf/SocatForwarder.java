package dev.derphole.perf;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain TCP forwarder baseline: one {@code socat -b BUF TCP-LISTEN:p,bind=127.0.0.1,reuseaddr
 * TCP:127.0.0.1:q} process per pair (no fork: each carries exactly one connection). Memory and CPU are summed
 * over all of them.
 */
final class SocatForwarder implements Forwarder {
    private final ChildProcesses children;
    private final List<Process> processes = new ArrayList<>();
    private final List<Integer> entryPorts = new ArrayList<>();

    private SocatForwarder(final ChildProcesses children) {
        this.children = children;
    }

    /** Starts one socat per sink port; they listen on free loopback ports ({@link #entryPorts()}). */
    static SocatForwarder start(
        final ChildProcesses children, final List<Integer> sinkPorts, final int bufferBytes, final Path log)
        throws IOException {
        final SocatForwarder f = new SocatForwarder(children);
        try {
            final List<Integer> ports = freePorts(sinkPorts.size());
            for (int i = 0; i < sinkPorts.size(); i++) {
                final List<String> cmd = List.of("socat", "-b", Integer.toString(bufferBytes),
                    "TCP-LISTEN:" + ports.get(i) + ",bind=127.0.0.1,reuseaddr", "TCP:127.0.0.1:" + sinkPorts.get(i));
                f.processes.add(children.start(new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))));
                f.entryPorts.add(ports.get(i));
            }
            return f;
        } catch (final IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** {@code n} distinct ports that were free a moment ago (bound together, then released for socat). */
    static List<Integer> freePorts(final int n) throws IOException {
        final List<ServerSocket> held = new ArrayList<>();
        try {
            final List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final ServerSocket s = new ServerSocket();
                held.add(s);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports.add(s.getLocalPort());
            }
            return ports;
        } finally {
            for (final ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** Where pair i's sender connects. */
    List<Integer> entryPorts() {
        return entryPorts;
    }

    @Override
    public List<Long> pids() {
        final List<Long> pids = new ArrayList<>();
        for (final Process p : processes) {
            pids.add(p.pid());
        }
        return pids;
    }

    @Override
    public void close() {
        for (final Process p : processes) {
            p.destroy();
        }
        for (final Process p : processes) {
            children.stop(p);
        }
    }
}
