package dev.derphole.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code pipe --parallel N} with real processes on loopback: our relay on 127.0.0.1 for the rendezvous, and both
 * sides allowed to offer loopback candidates ({@code DERPHOLE_TEST_ALLOW_LOOPBACK_CANDIDATES=1}), so they go
 * direct over 127.0.0.1 and the sender opens its extra lanes there. SHA-256 compared.
 */
@Timeout(300)
class ParallelLanesIT {
    private static final long TOKEN_MS = 20_000;
    private static final long LENGTH = 96L << 20;
    private static final Map<String, String> LOOPBACK = Map.of(Transfers.ALLOW_LOOPBACK_ENV, "1");

    private record Run(String pipeErr, String listenErr) {
    }

    private static Run transfer(final List<String> listenExtra, final List<String> pipeExtra, final long seed)
        throws Exception {
        try (RelayProcess relay = RelayProcess.start()) {
            final DigestSink received = new DigestSink();
            final String[] listenArgs = concat(List.of("-v", "--derp-url=" + relay.url(), "listen"), listenExtra);
            try (CliProcess listener = CliProcess.derpholeStreaming(List.of(), LOOPBACK, received, listenArgs)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                final String[] pipeArgs = concat(List.of("-v", "pipe"), pipeExtra, List.of(token));
                try (CliProcess pipe = CliProcess.derpholeStreaming(List.of(), LOOPBACK, null, pipeArgs)) {
                    final CompletableFuture<DigestSink> sent = CompletableFuture.supplyAsync(() -> {
                        try {
                            return PayloadSource.write(pipe.stdin(), LENGTH, seed);
                        } catch (final IOException e) {
                            return null;
                        }
                    });
                    assertThat(pipe.waitFor(180_000)).as(pipe.stderr()).isZero();
                    assertThat(listener.waitFor(30_000)).as(listener.stderr()).isZero();
                    assertThat(received.bytes()).isEqualTo(LENGTH);
                    assertThat(received.hex()).isEqualTo(sent.get(10, TimeUnit.SECONDS).hex());
                    System.out.printf("pipe %s:%n%s%nlisten:%n%s%n", pipeExtra, pipe.stderr(), listener.stderr());
                    return new Run(pipe.stderr(), listener.stderr());
                }
            }
        }
    }

    private static String[] concat(final List<String> a, final List<String> b) {
        return concat(a, b, List.of());
    }

    private static String[] concat(final List<String> a, final List<String> b, final List<String> c) {
        final java.util.ArrayList<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all.toArray(String[]::new);
    }

    @Test
    void shouldGoDirectWithFourValidatedLanes() throws Exception {
        final Run run = transfer(List.of(), List.of("--parallel", "4"), 71);
        assertThat(run.pipeErr()).contains("connected-direct", "lanes 4/4", " lanes=4/4 lane-refused=0",
            "stream-complete");
        assertThat(run.listenErr()).contains("connected-direct", " lanes=4/4 lane-refused=0", "stream-complete");
    }

    @Test
    void shouldKeepOneLaneWithParallelOne() throws Exception {
        final Run run = transfer(List.of(), List.of("--parallel", "1"), 72);
        assertThat(run.pipeErr()).contains("connected-direct", " lanes=1/1 ", "stream-complete")
            .doesNotContain("lanes 1/");
        assertThat(run.listenErr()).contains("connected-direct", " lanes=1/1 ");
    }

    @Test
    void shouldNeverGoDirectWithForceRelayAndFourLanes() throws Exception {
        final Run run = transfer(List.of("--force-relay"), List.of("--force-relay", "--parallel", "4"), 73);
        assertThat(run.pipeErr()).contains("connected-relay", "stream-complete")
            .doesNotContain("connected-direct", "lanes ");
        assertThat(run.listenErr()).doesNotContain("connected-direct");
    }
}
