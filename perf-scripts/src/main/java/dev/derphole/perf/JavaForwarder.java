package dev.derphole.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java-only baseline: one {@link TcpForwarder} JVM (like the relay: one process for every pair) started from
 * this harness's own jar. It prints its listening ports; its output goes to a log file.
 */
final class JavaForwarder implements Forwarder {
    private final ChildProcesses children;
    private final Process process;
    private final List<Integer> entryPorts;

    private JavaForwarder(final ChildProcesses children, final Process process, final List<Integer> entryPorts) {
        this.children = children;
        this.process = process;
        this.entryPorts = entryPorts;
    }

    static JavaForwarder start(
        final ChildProcesses children, final List<Integer> sinkPorts, final int bufferBytes,
        final List<String> javaOpts, final Path log) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(RelayForwarder.JVM_FLAGS);
        cmd.addAll(javaOpts);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TcpForwarder.class.getName(),
            Integer.toString(bufferBytes)));
        for (final int port : sinkPorts) {
            cmd.add(Integer.toString(port));
        }
        Files.deleteIfExists(log);
        final Process p = children.start(new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(log.toFile()));
        final long deadlineNs = System.nanoTime() + RelayForwarder.START_TIMEOUT_MS * 1_000_000L;
        while (System.nanoTime() - deadlineNs < 0) {
            final List<Integer> ports = TcpForwarder.parseListening(Files.readString(log, StandardCharsets.UTF_8));
            if (ports != null && ports.size() == sinkPorts.size()) {
                return new JavaForwarder(children, p, ports);
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        children.stop(p);
        throw new IOException("Java forwarder did not print its ports; see " + log);
    }

    List<Integer> entryPorts() {
        return entryPorts;
    }

    @Override
    public List<Long> pids() {
        return List.of(process.pid());
    }

    @Override
    public void close() {
        children.stop(process);
    }
}
