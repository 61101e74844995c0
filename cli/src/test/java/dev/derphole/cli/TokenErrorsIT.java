package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.NodeKey;
import dev.derphole.session.token.Capability;
import dev.derphole.session.token.IdentityKeyPair;
import dev.derphole.session.token.RelayBootstrap;
import dev.derphole.session.token.SessionToken;

/** Every way a token can be wrong gives its own exit code and one clear line, with real processes. */
@Timeout(180)
class TokenErrorsIT {
    @TempDir
    Path temp;

    private static String token(final Capability capability, final long expiresUnix) {
        final SplittableRandom random = new SplittableRandom(5);
        final byte[] id = new byte[16];
        final byte[] secret = new byte[32];
        random.nextBytes(id);
        random.nextBytes(secret);
        return new SessionToken(EnumSet.of(capability), id, expiresUnix,
            new RelayBootstrap.CustomRelay("http://127.0.0.1:1", 0),
            NodeKey.of(Curve25519KeyPair.generate().publicKey()), IdentityKeyPair.generate().publicKeyRaw(), secret)
            .encode();
    }

    private static void expectFailure(final int exitCode, final String message, final String... args)
        throws Exception {
        try (CliProcess p = CliProcess.derphole(args)) {
            assertThat(p.waitFor(30_000)).as(p.stderr()).isEqualTo(exitCode);
            assertThat(p.stderr()).as(String.join(" ", args)).startsWith("error: ").contains(message)
                .doesNotContain("\tat ");
            assertThat(p.stdout()).isEmpty();
        }
    }

    @Test
    void shouldRejectGarbledTruncatedExpiredAndWrongCapabilityTokens() throws Exception {
        final String good = token(Capability.STDIO, Instant.now().getEpochSecond() + 3600);
        final char[] garbled = good.toCharArray();
        garbled[good.length() / 2] = garbled[good.length() / 2] == 'A' ? 'B' : 'A';
        expectFailure(ExitCode.USAGE, "checksum", "pipe", new String(garbled));
        expectFailure(ExitCode.USAGE, "malformed", "pipe", good.substring(0, good.length() - 9));
        expectFailure(ExitCode.USAGE, "malformed", "pipe", "not a token!");
        expectFailure(ExitCode.RUNTIME, "expired", "pipe", token(Capability.STDIO, Instant.now().getEpochSecond() - 5));
        expectFailure(ExitCode.USAGE, "share", "pipe", token(Capability.SHARE, Instant.now().getEpochSecond() + 3600));
    }

    @Test
    void shouldReadTokensFromFilesAndStdinButExactlyOneWay() throws Exception {
        final String expired = token(Capability.STDIO, Instant.now().getEpochSecond() - 5);
        final Path file = temp.resolve("token.txt");
        Files.writeString(file, expired + "\n");
        // Reaching the expiry check proves the token was read from the file.
        expectFailure(ExitCode.RUNTIME, "expired", "pipe", "--token-file", file.toString());
        expectFailure(ExitCode.USAGE, "no such file", "pipe", "--token-file", temp.resolve("missing").toString());
        expectFailure(ExitCode.USAGE, "no token: give the one the listener printed", "pipe");
        expectFailure(ExitCode.USAGE, "exactly one way", "pipe", expired, "--token-file", file.toString());
        try (CliProcess p = CliProcess.derpholeStreaming(null, "pipe", "--token-stdin")) {
            p.stdin().write((expired + "\npayload follows").getBytes());
            p.stdin().close();
            assertThat(p.waitFor(30_000)).isEqualTo(ExitCode.RUNTIME);
            assertThat(p.stderr()).contains("expired");
        }
    }

    @Test
    void shouldRefuseASecondClaimerWithSessionAlreadyClaimed() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final DigestSink received = new DigestSink();
            try (CliProcess listener = CliProcess.derpholeStreaming(received, "--derp-url", relay.url(), "listen",
                "--force-relay")) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", 20_000);
                try (CliProcess first = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", token)) {
                    // The first claimer holds the session open: its stdin stays open and quiet.
                    first.stdin().write(new byte[1000]);
                    first.stdin().flush();
                    final long deadline = System.nanoTime() + 30_000_000_000L;
                    while (received.bytes() < 1000 && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    assertThat(received.bytes()).isEqualTo(1000);
                    expectFailure(ExitCode.RUNTIME, "session already claimed", "pipe", "--force-relay", token);
                    first.stdin().close();
                    assertThat(first.waitFor(30_000)).as(first.stderr()).isZero();
                    assertThat(listener.waitFor(30_000)).isZero();
                }
            }
        }
    }

    @Test
    void shouldFailFastWhenTheRelayIsUnreachable() throws Exception {
        // Nothing listens on loopback port 1: connections are refused at once.
        expectFailure(ExitCode.RUNTIME, "cannot connect to DERP relay 127.0.0.1:1", "pipe",
            token(Capability.STDIO, Instant.now().getEpochSecond() + 3600));
        expectFailure(ExitCode.RUNTIME, "cannot connect to DERP relay 127.0.0.1:1", "--derp-url",
            "http://127.0.0.1:1", "listen");
    }
}
