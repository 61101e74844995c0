package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AOT cache the build trains (cli/pom.xml, bin/lib/aot-train.sh) as {@code bin/derphole} uses it. Each test runs
 * the real launcher from a copy of the tree in a temporary folder (its {@code bin/} plus the built jar and cache),
 * so making the cache stale never touches the build's own files. stdout must stay byte-exact whatever the cache's
 * state: it carries the user's data, and the JVM logs to stdout unless told otherwise.
 */
@Timeout(180)
class AotCacheIT {
    private static final Path JAR = Path.of("target", "derphole.jar");
    private static final Path CACHE = Path.of("target", "derphole.aot");
    private static final String VERSION_LINE = "derphole " + Version.current() + "\n";
    /** Logs the AOT cache's use on stderr (the launcher's logging flags keep it off stdout). */
    private static final String LOG_AOT = "-Xlog:aot=info:stderr";
    private static final long EXIT_MS = 60_000;

    @TempDir
    Path root;

    private Path launcher;
    private Path cache;

    @BeforeEach
    void copyTree() throws IOException {
        assumeThat(Boolean.getBoolean("derphole.aot.skip")).as("built with -Dderphole.aot.skip=true").isFalse();
        assertThat(CACHE).as("the build trains an AOT cache after the shaded jar").isRegularFile();
        final Path bin = Path.of("..", "bin");
        Files.createDirectories(root.resolve("bin/lib"));
        Files.createDirectories(root.resolve("cli/target"));
        for (final String file : List.of("derphole", "lib/launch.sh", "lib/jdk25.sh", "lib/jvm-flags.sh",
            "lib/jvm.flags")) {
            Files.copy(bin.resolve(file), root.resolve("bin").resolve(file));
        }
        launcher = root.resolve("bin/derphole");
        launcher.toFile().setExecutable(true);
        Files.copy(JAR, root.resolve("cli/target/derphole.jar"));
        cache = root.resolve("cli/target/derphole.aot");
        Files.copy(CACHE, cache);
        // Newer than the jar, as after a build.
        Files.setLastModifiedTime(cache, FileTime.fromMillis(
            Files.getLastModifiedTime(root.resolve("cli/target/derphole.jar")).toMillis() + 1_000));
    }

    @Test
    void shouldNotStartAJvmJustToLearnTheJdkVersion() throws Exception {
        // A JAVA_HOME whose java counts its starts: the launcher must read the version from the release file
        // (one start: the tool itself), not run `java -version` first (that cost every launch ~60 ms).
        final Path jdk = root.resolve("jdk");
        Files.createDirectories(jdk.resolve("bin"));
        final Path real = Path.of(System.getProperty("java.home"), "bin", "java");
        final Path starts = root.resolve("starts");
        Files.writeString(jdk.resolve("bin/java"), "#!/bin/sh\necho start >> '" + starts + "'\nexec '" + real
            + "' \"$@\"\n");
        jdk.resolve("bin/java").toFile().setExecutable(true);
        Files.copy(Path.of(System.getProperty("java.home"), "release"), jdk.resolve("release"));

        final Run run = Run.of(launcher, Map.of("JAVA_HOME", jdk.toString()), "--version");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out).isEqualTo(VERSION_LINE);
        assertThat(Files.readAllLines(starts)).hasSize(1);
    }

    @Test
    void shouldStartFromTheCacheWithByteExactStdout() throws Exception {
        final Run run = Run.of(launcher, Map.of("DERPHOLE_JAVA_OPTS", LOG_AOT + " -XX:AOTMode=on"), "--version");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out).isEqualTo(VERSION_LINE);
        assertThat(run.err).contains("Opened AOT cache " + cache, "Using AOT-linked classes: true");
    }

    @Test
    void shouldParseArgumentsWithPicocliFromTheCache() throws Exception {
        // picocli ships Java 5 class files, which the cache leaves out; the build rewrites them as Java 8 ones
        // (bin/lib/ClassVersionUpgrade.java), so the parser is loaded from the cache, not parsed and verified anew.
        final Run run = Run.of(launcher, Map.of("DERPHOLE_JAVA_OPTS", "-Xlog:class+load=info:stderr"), "--version");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out).isEqualTo(VERSION_LINE);
        assertThat(run.err).containsPattern("picocli\\.CommandLine source: shared objects file")
            .doesNotContainPattern("picocli\\.\\S+ source: (file|jar):");
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(JAR.toFile())) {
            final List<String> old = new ArrayList<>();
            for (final var entries = jar.entries(); entries.hasMoreElements();) {
                final var entry = entries.nextElement();
                if (entry.getName().endsWith(".class")) {
                    try (var in = jar.getInputStream(entry)) {
                        final byte[] head = in.readNBytes(8);
                        if (((head[6] & 0xff) << 8 | head[7] & 0xff) < 50) {
                            old.add(entry.getName());
                        }
                    }
                }
            }
            assertThat(old).as("class files older than Java 6 (the AOT cache leaves them out)").isEmpty();
        }
    }

    @Test
    void shouldRunWithoutTheCacheWhenAFlagDoesNotMatchIt() throws Exception {
        // Compact object headers change the object layout: the JVM refuses the cache and says so on stderr.
        final Run run = Run.of(launcher, Map.of("DERPHOLE_JAVA_OPTS", LOG_AOT + " -XX:+UseCompactObjectHeaders"),
            "--version");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out).isEqualTo(VERSION_LINE);
        assertThat(run.err).contains("Unable to use AOT cache").doesNotContain("Using AOT-linked classes: true");
    }

    @Test
    void shouldPrintNothingButThePayloadWhenTheCacheIsRefused() throws Exception {
        // No extra logging: what the JVM prints on its own about a refused cache must go to stderr.
        final Run run = Run.of(launcher, Map.of("DERPHOLE_JAVA_OPTS", "-XX:+UseCompactObjectHeaders"), "--version");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out).isEqualTo(VERSION_LINE);
        assertThat(run.err).contains("[aot]");
    }

    @Test
    void shouldLeaveOutACacheOlderThanTheJar() throws Exception {
        // The JDK does not notice a rebuilt jar (it would run the cache's stale classes): the launcher must.
        Files.setLastModifiedTime(cache, FileTime.fromMillis(
            Files.getLastModifiedTime(root.resolve("cli/target/derphole.jar")).toMillis() - 10_000));
        final Run run = Run.of(launcher, Map.of("DERPHOLE_JAVA_OPTS", LOG_AOT), "--version");
        assertThat(run.exit).as(run.err).isZero();
        assertThat(run.out).isEqualTo(VERSION_LINE);
        assertThat(run.err).doesNotContain("Opened AOT cache");
    }

    @Test
    void shouldMoveALoopbackTransferByteExactWithTheCache() throws Exception {
        final byte[] payload = new byte[3 << 20];
        new SplittableRandom(514).nextBytes(payload);
        final Map<String, String> env = Map.of(Transfers.ALLOW_LOOPBACK_ENV, "1",
            "DERPHOLE_JAVA_OPTS", LOG_AOT + " -XX:AOTMode=on");
        try (RelayProcess relay = RelayProcess.start()) {
            final Process listen = start(launcher, env, "-v", "--derp-url", relay.url(), "listen");
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final ByteArrayOutputStream listenErr = new ByteArrayOutputStream();
            final Thread outPump = CliProcess.pump(listen.getInputStream(), received, "outPump");
            final Thread errPump = CliProcess.pump(listen.getErrorStream(), listenErr, "errPump");
            try {
                final String token = awaitToken(listenErr, listen);
                final Process pipe = start(launcher, env, "-v", "pipe", token);
                final ByteArrayOutputStream pipeOut = new ByteArrayOutputStream();
                final ByteArrayOutputStream pipeErr = new ByteArrayOutputStream();
                final Thread pipeOutPump = CliProcess.pump(pipe.getInputStream(), pipeOut, "pipeOutPump");
                final Thread pipeErrPump = CliProcess.pump(pipe.getErrorStream(), pipeErr, "pipeErrPump");
                try (OutputStream in = pipe.getOutputStream()) {
                    in.write(payload);
                }
                assertThat(pipe.waitFor(EXIT_MS, TimeUnit.MILLISECONDS)).isTrue();
                assertThat(pipeOutPump.join(Duration.ofSeconds(5))).isTrue();
                assertThat(pipeErrPump.join(Duration.ofSeconds(5))).isTrue();
                assertThat(pipe.exitValue()).as(text(pipeErr)).isZero();
                assertThat(listen.waitFor(EXIT_MS, TimeUnit.MILLISECONDS)).isTrue();
                assertThat(outPump.join(Duration.ofSeconds(5))).isTrue();
                assertThat(errPump.join(Duration.ofSeconds(5))).isTrue();
                assertThat(listen.exitValue()).as(text(listenErr)).isZero();
                assertThat(received.toByteArray()).isEqualTo(payload);
                assertThat(pipeOut.size()).isZero();
                assertThat(text(pipeErr)).contains("Using AOT-linked classes: true", "stream-complete");
                assertThat(text(listenErr)).contains("Using AOT-linked classes: true", "stream-complete");
            } finally {
                listen.destroyForcibly();
            }
        }
    }

    @Test
    void shouldFailTrainingWithOneLineOnStderr() throws Exception {
        try (CliProcess trainer = CliProcess.start(List.of(), Map.of(), "dev.derphole.cli.AotTraining", "lots")) {
            assertThat(trainer.waitFor(EXIT_MS)).isEqualTo(1);
            assertThat(trainer.stdout()).isEmpty();
            assertThat(trainer.stderr()).startsWith("aot-training: failed: ").hasLineCount(1);
        }
    }

    private static String awaitToken(final ByteArrayOutputStream err, final Process listen) throws Exception {
        final Pattern token = Pattern.compile("^([A-Za-z0-9_-]{40,})$", Pattern.MULTILINE);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && listen.isAlive()) {
            final Matcher m = token.matcher(text(err));
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no token; stderr:\n" + text(err));
    }

    private static Process start(final Path launcher, final Map<String, String> env, final String... args)
        throws IOException {
        final List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("DERPHOLE_DERP_URL");
        builder.environment().remove("DERPHOLE_DERP_MAP");
        builder.environment().remove("DERPHOLE_REBUILD");
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(env);
        return builder.start();
    }

    private static String text(final ByteArrayOutputStream bytes) {
        synchronized (bytes) {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** One launcher run to its end: exit code, stdout and stderr. */
    private record Run(int exit, String out, String err) {
        static Run of(final Path launcher, final Map<String, String> env, final String... args) throws Exception {
            final Process process = start(launcher, env, args);
            process.getOutputStream().close();
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final Thread outPump = CliProcess.pump(process.getInputStream(), out, "outPump");
            final Thread errPump = CliProcess.pump(process.getErrorStream(), err, "errPump");
            if (!process.waitFor(EXIT_MS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("launcher did not exit; stderr:\n" + text(err));
            }
            assertThat(outPump.join(Duration.ofSeconds(5))).isTrue();
            assertThat(errPump.join(Duration.ofSeconds(5))).isTrue();
            return new Run(process.exitValue(), text(out), text(err));
        }
    }
}
