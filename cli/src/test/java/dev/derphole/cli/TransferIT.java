package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code listen} / {@code pipe} end to end over the relay: real processes, our relay on loopback, SHA-256
 * compared. Both sides run with {@code --force-relay}, so no direct path to the machine's own addresses is tried
 * (direct paths are tested in network namespaces: {@link DirectPathIT}).
 */
@Timeout(300)
class TransferIT {
    private static final long TOKEN_MS = 20_000;

    /** A running listener whose stdout is digested. */
    private record Listener(CliProcess process, DigestSink received, String token) {
    }

    private static Listener listen(final String relayUrl, final String... extra) throws Exception {
        final DigestSink received = new DigestSink();
        final String[] args = new String[4 + extra.length];
        args[0] = "-v";
        args[1] = "--derp-url=" + relayUrl;
        args[2] = "listen";
        args[3] = "--force-relay";
        System.arraycopy(extra, 0, args, 4, extra.length);
        final CliProcess p = CliProcess.derpholeStreaming(received, args);
        final String token = p.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
        return new Listener(p, received, token);
    }

    /** Sends {@code length} seeded random bytes through pipe; returns the digest of what was sent. */
    private static CompletableFuture<DigestSink> feed(final CliProcess pipe, final long length, final long seed) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return PayloadSource.write(pipe.stdin(), length, seed);
            } catch (final IOException e) {
                return null;
            }
        });
    }

    @Test
    void shouldMoveOneGibibyteByteExactOverTheRelay() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final Listener listener = listen(relay.url());
            try (CliProcess pipe = CliProcess.derpholeStreaming(null, "-v", "pipe", "--force-relay", listener.token());
                CliProcess receiving = listener.process()) {
                final DigestSink sent = feed(pipe, 1L << 30, 42).get(240, TimeUnit.SECONDS);
                assertThat(pipe.waitFor(240_000)).as(pipe.stderr()).isZero();
                assertThat(receiving.waitFor(30_000)).as(receiving.stderr()).isZero();
                assertThat(listener.received().bytes()).isEqualTo(1L << 30);
                assertThat(listener.received().hex()).isEqualTo(sent.hex());
                assertThat(receiving.stderr()).contains("waiting-for-claim", "claimed", "connected-relay",
                    "stream-complete");
                assertThat(pipe.stderr()).contains("claimed", "connected-relay", "stream-complete");
            }
        }
    }

    @Test
    void shouldMoveZeroBytesAndEveryByteValue() throws Exception {
        final byte[] everyValue = new byte[256 * 4099];
        for (int i = 0; i < everyValue.length; i++) {
            everyValue[i] = (byte)(i * 31 + i / 256);
        }
        try (RelayProcess relay = RelayProcess.start()) {
            for (final byte[] payload : new byte[][] {new byte[0], everyValue}) {
                final Listener listener = listen(relay.url());
                try (CliProcess pipe = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", listener.token());
                    CliProcess receiving = listener.process()) {
                    final DigestSink sent = PayloadSource.write(pipe.stdin(), payload);
                    assertThat(pipe.waitFor(60_000)).as(pipe.stderr()).isZero();
                    assertThat(receiving.waitFor(30_000)).as(receiving.stderr()).isZero();
                    assertThat(listener.received().bytes()).isEqualTo(payload.length);
                    assertThat(listener.received().hex()).isEqualTo(sent.hex());
                    assertThat(pipe.stdout()).isEmpty();
                }
            }
        }
    }

    @Test
    void shouldFailTheSenderWithinSecondsWhenTheReceiverIsKilled() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final Listener listener = listen(relay.url());
            try (CliProcess pipe = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", listener.token());
                CliProcess receiving = listener.process()) {
                feed(pipe, 64L << 30, 7);
                listener.received().awaitBytes(4 << 20, Duration.ofSeconds(60));
                receiving.kill();
                final long killedNs = System.nanoTime();
                assertThat(pipe.waitFor(40_000)).as(pipe.stderr()).isEqualTo(ExitCode.RUNTIME);
                // The relay's PeerGone cuts the 30 s peer timeout to a few seconds of silence.
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedNs)).isLessThan(12);
                assertThat(pipe.stderr()).startsWith("error: ").contains("left the relay").doesNotContain("\tat ");
            }
        }
    }

    @Test
    void shouldFailTheReceiverWithinSecondsWhenTheSenderIsKilled() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final Listener listener = listen(relay.url());
            try (CliProcess pipe = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", listener.token());
                CliProcess receiving = listener.process()) {
                feed(pipe, 64L << 30, 8);
                listener.received().awaitBytes(4 << 20, Duration.ofSeconds(60));
                pipe.kill();
                final long killedNs = System.nanoTime();
                assertThat(receiving.waitFor(40_000)).as(receiving.stderr()).isEqualTo(ExitCode.RUNTIME);
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedNs)).isLessThan(12);
                assertThat(receiving.stderr()).contains("error: ").contains("left the relay").doesNotContain("\tat ");
            }
        }
    }

    @Test
    void shouldTellTheListenerWhenTheSenderIsInterrupted() throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final Listener listener = listen(relay.url());
            try (CliProcess pipe = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", listener.token());
                CliProcess receiving = listener.process()) {
                feed(pipe, 64L << 30, 9);
                listener.received().awaitBytes(1 << 20, Duration.ofSeconds(60));
                pipe.terminate();
                assertThat(pipe.waitFor(15_000)).isEqualTo(ExitCode.RUNTIME);
                assertThat(receiving.waitFor(15_000)).as(receiving.stderr()).isEqualTo(ExitCode.RUNTIME);
                assertThat(receiving.stderr()).as("sender's stderr:%n%s", pipe.stderr()).contains("interrupted");
            }
        }
    }

    @Test
    void shouldNeverShowPlaintextToTheRelay() throws Exception {
        final String marker = "DERPHOLE-PLAINTEXT-MARKER-7f3a";
        final byte[] payload = (marker + "\n").repeat(200_000).getBytes(StandardCharsets.US_ASCII);
        final String relayOutput;
        try (RelayProcess relay = RelayProcess.start("--test-plaintext-marker", marker)) {
            final Listener listener = listen(relay.url());
            try (CliProcess pipe = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", listener.token());
                CliProcess receiving = listener.process()) {
                final DigestSink sent = PayloadSource.write(pipe.stdin(), payload);
                assertThat(pipe.waitFor(60_000)).as(pipe.stderr()).isZero();
                assertThat(receiving.waitFor(30_000)).isZero();
                // The marker really went through: the receiver got exactly the marked bytes.
                assertThat(listener.received().hex()).isEqualTo(sent.hex());
            }
            relayOutput = relay.stop();
        }
        assertThat(relayOutput).contains("marker-hits=0").doesNotContain("PLAINTEXT MARKER SEEN");
        assertThat(relayOutput).containsPattern("test: packets=[1-9][0-9]{2,}");
    }

    @Test
    void shouldDeliverByteExactWhenTheRelayDropsOnePercent() throws Exception {
        final String relayOutput;
        try (RelayProcess relay = RelayProcess.start("--test-drop-percent", "1")) {
            final Listener listener = listen(relay.url());
            try (CliProcess pipe = CliProcess.derpholeStreaming(null, "pipe", "--force-relay", listener.token());
                CliProcess receiving = listener.process()) {
                final DigestSink sent = feed(pipe, 64L << 20, 11).get(120, TimeUnit.SECONDS);
                assertThat(pipe.waitFor(120_000)).as(pipe.stderr()).isZero();
                assertThat(receiving.waitFor(30_000)).isZero();
                assertThat(listener.received().hex()).isEqualTo(sent.hex());
            }
            relayOutput = relay.stop();
        }
        assertThat(relayOutput).containsPattern("dropped=[1-9]");
    }

}
