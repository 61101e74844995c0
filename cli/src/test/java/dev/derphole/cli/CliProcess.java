package dev.derphole.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code derphole}/{@code derptun} process started from the shaded jar (system tests run after
 * {@code package}), with its stdout and stderr captured by pump threads. Always destroyed by {@link #close()}.
 */
final class CliProcess implements AutoCloseable {
    private static final Path JAR = Path.of("target", "derphole.jar");
    private static final Path AOT_CACHE = Path.of("target", "derphole.aot");
    /** The launcher's JVM flags, one per line in sections ({@code [all]}, {@code [transfer]}). */
    static final Path JVM_FLAGS = Path.of("..", "bin", "lib", "jvm.flags");
    private static final String DERPHOLE = "dev.derphole.cli.DerpholeMain";

    private final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread outPump;
    private final Thread errPump;

    private CliProcess(final Process process, final OutputStream stdoutSink) {
        this.process = process;
        this.outPump = pump(process.getInputStream(), stdoutSink == null ? stdout : stdoutSink, "stdout");
        this.errPump = pump(process.getErrorStream(), stderr, "stderr");
    }

    /** Starts {@code derphole args...}; the command's stdin is closed at once. */
    static CliProcess derphole(final String... args) throws IOException {
        return start(List.of(), Map.of(), DERPHOLE, args);
    }

    /**
     * Starts {@code derphole args...} with stdin left open ({@link #stdin()}) and stdout sent to
     * {@code stdoutSink} (e.g. a digest, so a gibibyte never sits in memory).
     */
    static CliProcess derpholeStreaming(final OutputStream stdoutSink, final String... args) throws IOException {
        return launch(List.of(), Map.of(), DERPHOLE, stdoutSink, false, args);
    }

    /** {@link #derpholeStreaming} with a command prefix ({@code ip netns exec NAME}) and extra environment. */
    static CliProcess derpholeStreaming(final List<String> prefix, final Map<String, String> env,
        final OutputStream stdoutSink, final String... args) throws IOException {
        return launch(prefix, env, DERPHOLE, stdoutSink, false, args);
    }

    /** Starts {@code prefix... java ... derphole args...}, e.g. with {@code ip netns exec NAME}. */
    static CliProcess start(final List<String> prefix, final Map<String, String> env, final String main,
        final String... args) throws IOException {
        return launch(prefix, env, main, null, true, args);
    }

    private static CliProcess launch(final List<String> prefix, final Map<String, String> env, final String main,
        final OutputStream stdoutSink, final boolean closeStdin, final String... args) throws IOException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: system tests run after `package`");
        }
        final List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The launcher's flags (bin/lib/jvm.flags, as bin/lib/launch.sh reads them), so the system tests run under
        // them: transfers get the serial collector, a 192 MiB heap cap and the AOT cache, the relay keeps the JVM's
        // defaults.
        final boolean relay = List.of(args).contains("relay");
        command.addAll(launcherFlags(relay ? List.of("all") : List.of("all", "transfer")));
        if (!relay && Files.isRegularFile(AOT_CACHE)
            && Files.getLastModifiedTime(AOT_CACHE).compareTo(Files.getLastModifiedTime(JAR)) >= 0) {
            command.add("-XX:AOTCache=" + AOT_CACHE);
        }
        command.addAll(List.of("-cp", JAR.toString(), main));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("DERPHOLE_DERP_URL");
        builder.environment().remove("DERPHOLE_DERP_MAP");
        builder.environment().putAll(env);
        final CliProcess p = new CliProcess(builder.start(), stdoutSink);
        if (closeStdin) {
            p.process.getOutputStream().close();
        }
        return p;
    }

    /** The flags of {@code sections} in {@link #JVM_FLAGS}, in file order, as the launcher reads them. */
    static List<String> launcherFlags(final List<String> sections) throws IOException {
        final List<String> flags = new ArrayList<>();
        String section = "";
        for (final String line : Files.readAllLines(JVM_FLAGS, StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
            } else if (sections.contains(section)) {
                flags.add(line);
            }
        }
        return flags;
    }

    /** Waits for exit; fails the test if it does not exit in time. */
    int waitFor(final long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not exit within " + timeoutMs + " ms; stderr:\n" + stderr());
        }
        outPump.join(5_000);
        errPump.join(5_000);
        return process.exitValue();
    }

    /** Waits until stderr has a line matching {@code regex}; returns group 1 (or the whole match). */
    String awaitStderr(final String regex, final long timeoutMs) throws InterruptedException {
        final Pattern pattern = Pattern.compile(regex, Pattern.MULTILINE);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            final Matcher m = pattern.matcher(stderr());
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : m.group();
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no stderr line matching " + regex + " within " + timeoutMs + " ms; alive="
            + process.isAlive() + "; stderr:\n" + stderr());
    }

    /** The process's stdin (open only for {@link #derpholeStreaming}). */
    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** SIGKILL: the process dies without a word to anyone. */
    void kill() {
        process.destroyForcibly();
    }

    /**
     * Sends SIGTERM (what Ctrl-C's sibling does to a service). Not {@link Process#destroy()}: that also closes
     * our ends of the child's pipes, and everything the child prints while stopping would be lost.
     */
    void terminate() throws IOException, InterruptedException {
        final Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start();
        kill.getOutputStream().close();
        kill.waitFor(10, TimeUnit.SECONDS);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    String stdout() {
        synchronized (stdout) {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies {@code in} into {@code sink} (locked per write) on a daemon thread until the stream ends. */
    static Thread pump(final InputStream in, final OutputStream sink, final String name) {
        return Thread.ofPlatform().daemon().name("cli-" + name).start(() -> {
            final byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    synchronized (sink) {
                        sink.write(buffer, 0, n);
                    }
                }
            } catch (final IOException ignored) {
                // Process gone.
            }
        });
    }
}
