package dev.derphole.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.derphole.derp.client.DerpTarget;

/**
 * {@code derphole relay} as a separate JVM (so its CPU time and memory can be read from /proc), started from the
 * shaded jar with the same JVM flags as {@code bin/derphole}. Its stderr goes to a log file, where the
 * {@code derp-url} line tells the port.
 */
final class RelayForwarder implements Forwarder {
    /** How long the relay may take to print its URL. */
    static final long START_TIMEOUT_MS = 30_000;

    /** Flags every JVM of ours needs on JDK 25 (the launcher's). */
    static final List<String> JVM_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");

    private static final Pattern URL_LINE = Pattern.compile("(?m)^derp-url https?://127\\.0\\.0\\.1:(\\d+)\\S*$");

    private final ChildProcesses children;
    private final Process process;
    private final DerpTarget target;

    private RelayForwarder(final ChildProcesses children, final Process process, final int port) {
        this.children = children;
        this.process = process;
        this.target = new DerpTarget(false, "127.0.0.1", port, null, List.of());
    }

    /** Starts a relay on 127.0.0.1 (free port, no STUN) with {@code queueDepth}; waits for its URL. */
    static RelayForwarder start(
        final ChildProcesses children, final Path jar, final List<String> javaOpts, final int queueDepth,
        final Path log) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(javaOpts);
        cmd.addAll(List.of("-cp", jar.toString(), "dev.derphole.cli.DerpholeMain", "relay",
            "--listen", "127.0.0.1:0", "--no-stun", "--queue-depth", Integer.toString(queueDepth)));
        Files.deleteIfExists(log);
        final Process p = children.start(new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(log.toFile()));
        final long deadlineNs = System.nanoTime() + START_TIMEOUT_MS * 1_000_000L;
        while (System.nanoTime() - deadlineNs < 0) {
            final int port = parsePort(Files.readString(log, StandardCharsets.UTF_8));
            if (port > 0) {
                return new RelayForwarder(children, p, port);
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        children.stop(p);
        throw new IOException("relay did not print its derp-url; see " + log);
    }

    /** The port of the first {@code derp-url http://127.0.0.1:PORT...} line of the relay's output, or -1. */
    static int parsePort(final String output) {
        final Matcher m = URL_LINE.matcher(output);
        if (!m.find()) {
            return -1;
        }
        try {
            final int port = Integer.parseInt(m.group(1));
            return port >= 1 && port <= 65535 ? port : -1;
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    DerpTarget target() {
        return target;
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
