package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code send} / {@code receive} end to end over the relay: real processes, our relay on loopback, a file, a
 * directory tree and text compared with what was sent. {@code --force-relay} on both sides, as in
 * {@link TransferIT} (the reverse direction's direct path is proven in-process: {@code OfferSessionTest}).
 */
@Timeout(300)
class SendReceiveIT {
    private static final long CODE_MS = 20_000;
    private static final long DONE_MS = 120_000;

    @TempDir
    Path temp;

    /** A running {@code send} and the code it printed. */
    private record Sender(CliProcess process, String code) {
    }

    private static Sender send(final String relayUrl, final String... what) throws Exception {
        final String[] args = new String[4 + what.length];
        args[0] = "-v";
        args[1] = "--derp-url=" + relayUrl;
        args[2] = "send";
        args[3] = "--force-relay";
        System.arraycopy(what, 0, args, 4, what.length);
        final CliProcess p = CliProcess.derpholeStreaming(null, args);
        final String code = p.awaitStderr("^derphole receive ([A-Za-z0-9_-]{40,})$", CODE_MS);
        return new Sender(p, code);
    }

    private static CliProcess receive(final String code, final String... extra) throws IOException {
        final String[] args = new String[4 + extra.length];
        args[0] = "-v";
        args[1] = "receive";
        args[2] = "--force-relay";
        args[3] = code;
        System.arraycopy(extra, 0, args, 4, extra.length);
        return CliProcess.derpholeStreaming(null, args);
    }

    @Test
    void shouldSendAFileIntoAnExistingDirectoryAndLeaveNothingElse() throws Exception {
        final Path file = temp.resolve("photo.jpg");
        final byte[] content = new byte[3 << 20];
        new SplittableRandom(21).nextBytes(content);
        Files.write(file, content);
        final Path out = Files.createDirectory(temp.resolve("out"));
        try (RelayProcess relay = RelayProcess.start()) {
            final Sender sent = send(relay.url(), file.toString());
            try (CliProcess sender = sent.process(); CliProcess receiver = receive(sent.code(), "-o",
                out.toString())) {
                assertThat(receiver.waitFor(DONE_MS)).as(receiver.stderr()).isZero();
                assertThat(sender.waitFor(DONE_MS)).as(sender.stderr()).isZero();
                assertThat(sender.stderr()).contains("Sending 3.0MiB file named \"photo.jpg\"", "stream-complete");
                assertThat(receiver.stderr()).contains("Receiving file (3.0MiB) into: ", "100%|####################|");
                assertThat(receiver.stdout()).isEmpty();
            }
        }
        assertThat(Files.readAllBytes(out.resolve("photo.jpg"))).isEqualTo(content);
        // Made like any new file (the umask's mode), not with a temporary file's 0600.
        final Path probe = Files.createFile(temp.resolve("probe"));
        assertThat(Files.getPosixFilePermissions(out.resolve("photo.jpg")))
            .isEqualTo(Files.getPosixFilePermissions(probe));
        try (Stream<Path> left = Files.list(out)) {
            assertThat(left).containsExactly(out.resolve("photo.jpg"));
        }
    }

    @Test
    void shouldSendADirectoryTreeWithItsModes() throws Exception {
        final Path tree = Files.createDirectory(temp.resolve("project"));
        Files.createDirectories(tree.resolve("src/main"));
        Files.createDirectory(tree.resolve("empty"));
        Files.writeString(tree.resolve("README.md"), "read me\n");
        Files.write(tree.resolve("src/main/data.bin"), new byte[1 << 20]);
        Files.createFile(tree.resolve("src/empty.txt"));
        final Path script = Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        final Path out = Files.createDirectory(temp.resolve("out"));
        try (RelayProcess relay = RelayProcess.start()) {
            final Sender sent = send(relay.url(), tree.toString());
            try (CliProcess sender = sent.process(); CliProcess receiver = receive(sent.code(), "-o",
                out.toString())) {
                assertThat(receiver.waitFor(DONE_MS)).as(receiver.stderr()).isZero();
                assertThat(sender.waitFor(DONE_MS)).as(sender.stderr()).isZero();
                assertThat(sender.stderr()).contains("Sending directory (4 files, ");
                assertThat(receiver.stderr()).contains("Receiving directory (", "4 files, 1.0MiB (uncompressed)");
            }
        }
        final Path got = out.resolve("project");
        assertThat(listing(got)).isEqualTo(listing(tree));
        assertThat(Files.readString(got.resolve("README.md"))).isEqualTo("read me\n");
        assertThat(Files.readAllBytes(got.resolve("src/main/data.bin"))).isEqualTo(new byte[1 << 20]);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(got.resolve("run.sh"))))
            .isEqualTo("rwxr-x---");
    }

    @Test
    void shouldLeaveNoPartialFileWhenTheSenderDies() throws Exception {
        final Path file = temp.resolve("disk.img");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(8L << 30); // sparse: more than the relay moves before the kill
        }
        final Path out = Files.createDirectory(temp.resolve("out"));
        try (RelayProcess relay = RelayProcess.start()) {
            final Sender sent = send(relay.url(), file.toString());
            try (CliProcess sender = sent.process(); CliProcess receiver = receive(sent.code(), "-o",
                out.toString())) {
                final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (partials(out) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(partials(out)).as("the partial file being written").isEqualTo(1);
                sender.kill();
                assertThat(receiver.waitFor(DONE_MS)).as(receiver.stderr()).isEqualTo(ExitCode.RUNTIME);
                assertThat(receiver.stderr()).contains("error: ").doesNotContain("\tat ");
            }
        }
        try (Stream<Path> left = Files.list(out)) {
            assertThat(left).isEmpty();
        }
    }

    private static long partials(final Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".derphole-partial")).count();
        }
    }

    @Test
    void shouldSendTextToTheReceiversStdout() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final Sender sent = send(relay.url(), "hello, wörld");
            try (CliProcess sender = sent.process(); CliProcess receiver = receive(sent.code())) {
                assertThat(receiver.waitFor(DONE_MS)).as(receiver.stderr()).isZero();
                assertThat(sender.waitFor(DONE_MS)).as(sender.stderr()).isZero();
                assertThat(receiver.stdout()).isEqualTo("hello, wörld");
                assertThat(sender.stderr()).contains("Sending text message (13B)").doesNotContain("%|");
            }
        }
    }

    @Test
    void shouldRefuseCodesOfTheOtherDirection() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final Sender sent = send(relay.url(), "not for pipe");
            try (CliProcess sender = sent.process()) {
                try (CliProcess pipe = CliProcess.derphole("pipe", "--force-relay", sent.code())) {
                    assertThat(pipe.waitFor(DONE_MS)).isEqualTo(ExitCode.USAGE);
                    assertThat(pipe.stderr()).contains("this token is for `send`, not `pipe`");
                }
                try (CliProcess none = CliProcess.derphole("receive")) {
                    assertThat(none.waitFor(DONE_MS)).isEqualTo(ExitCode.USAGE);
                    assertThat(none.stderr()).contains("no code").doesNotContain("\tat ");
                }
                sender.kill();
            }
        }
    }

    /** Relative paths in {@code root}, directories with a trailing slash, sorted. */
    private static List<String> listing(final Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> !p.equals(root))
                .map(p -> root.relativize(p).toString().replace('\\', '/') + (Files.isDirectory(p) ? "/" : ""))
                .sorted().toList();
        }
    }
}
