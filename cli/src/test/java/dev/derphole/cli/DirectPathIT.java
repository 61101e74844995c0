package dev.derphole.cli;

import static dev.derphole.cli.StatusLines.assertInOrder;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Relay-to-direct promotion and fallback with real processes in two network namespaces the test creates:
 * {@code a} (relay and listener, 10.99.0.1) and {@code b} (pipe, 10.99.0.2) joined by a veth pair. The
 * addresses exist only inside the namespaces, which are always removed. Needs root, iproute2 and nftables.
 */
@Tag("topology")
@Timeout(120)
class DirectPathIT {
    private static final long TOKEN_MS = 20_000;
    private static final String DERPHOLE = "dev.derphole.cli.DerpholeMain";

    /** The lab, the relay inside {@code a}, and the namespace names. */
    private record Lab(NetnsLab netns, String a, String b, CliProcess relay, String relayUrl) implements AutoCloseable {
        static Lab start(final String label) throws IOException, InterruptedException {
            final NetnsLab netns = NetnsLab.create(label);
            try {
                final String a = netns.namespace("a");
                final String b = netns.namespace("b");
                netns.veth(a, "10.99.0.1/24", b, "10.99.0.2/24");
                final CliProcess relay = CliProcess.start(NetnsLab.inside(a), Map.of(), DERPHOLE,
                    "relay", "--listen", "10.99.0.1:0", "--no-stun");
                final String url = relay.awaitStderr("^derp-url (\\S+)$", 20_000);
                return new Lab(netns, a, b, relay, url);
            } catch (final IOException | InterruptedException | RuntimeException | Error e) {
                netns.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                relay.close();
            } finally {
                netns.close();
            }
        }
    }

    private static CliProcess listen(final Lab lab, final DigestSink sink, final String... extra) throws IOException {
        final String[] args = new String[3 + extra.length];
        args[0] = "-v";
        args[1] = "--derp-url=" + lab.relayUrl();
        args[2] = "listen";
        System.arraycopy(extra, 0, args, 3, extra.length);
        return CliProcess.derpholeStreaming(NetnsLab.inside(lab.a()), Map.of(), sink, args);
    }

    private static CliProcess pipe(final Lab lab, final String token, final String... extra) throws IOException {
        final String[] args = new String[2 + extra.length + 1];
        args[0] = "-v";
        args[1] = "pipe";
        System.arraycopy(extra, 0, args, 2, extra.length);
        args[args.length - 1] = token;
        return CliProcess.derpholeStreaming(NetnsLab.inside(lab.b()), Map.of(), null, args);
    }

    /**
     * 1 GiB over a 1500-byte MTU, where the 1,472-byte probe comes back (IPv4) and the larger ones fail
     * (don't-fragment);
     * 256 MiB over WireGuard's 1420-byte MTU, where 1,372 passes and 1,400 does not; 128 MiB over the IPv6
     * minimum of 1280 (Tailscale's MTU), where only the 1,232-byte start size fits; 256 MiB over a 9000-byte
     * jumbo MTU, where the 8,952-byte probe comes back.
     */
    @ParameterizedTest(name = "MTU {0}")
    @CsvSource({"1500, 1024, 1472", "1420, 256, 1372", "1280, 128, 1232", "9000, 256, 8952"})
    @Timeout(240)
    void shouldPromoteToDirectAndDeliverByteExact(final int mtu, final long mebibytes, final int datagram)
        throws Exception {
        final long length = mebibytes << 20;
        try (Lab lab = Lab.start("direct")) {
            setMtu(lab, mtu);
            final DigestSink received = new DigestSink();
            try (CliProcess listener = listen(lab, received)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                try (CliProcess sender = pipe(lab, token)) {
                    final long startNs = System.nanoTime();
                    final CompletableFuture<DigestSink> sent = CompletableFuture.supplyAsync(() -> feed(sender,
                        length));
                    assertThat(sender.waitFor(180_000)).as(sender.stderr()).isZero();
                    final double seconds = (System.nanoTime() - startNs) / 1e9;
                    assertThat(listener.waitFor(30_000)).as(listener.stderr()).isZero();
                    System.out.printf("direct: %d MiB in %.2f s = %.0f Mbit/s%n", length >> 20, seconds,
                        length * 8 / seconds / 1e6);
                    assertThat(received.bytes()).isEqualTo(length);
                    assertThat(received.hex()).isEqualTo(sent.get(10, TimeUnit.SECONDS).hex());
                    assertInOrder(sender.stderr(), "connected-relay", "connected-direct", "stream-complete");
                    assertInOrder(listener.stderr(), "connected-relay", "connected-direct", "stream-complete");
                    assertThat(sender.stderr()).contains(" datagram=" + datagram);
                    assertThat(listener.stderr()).contains(" datagram=" + datagram);
                }
            }
        }
    }

    @Test
    void shouldFallBackToTheRelayWhenUdpIsDroppedMidTransfer() throws Exception {
        final long length = 192L << 20;
        final long gateAt = 64L << 20;
        try (Lab lab = Lab.start("fallback")) {
            final DigestSink received = new DigestSink();
            try (CliProcess listener = listen(lab, received)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                try (CliProcess sender = pipe(lab, token)) {
                    final CountDownLatch gate = new CountDownLatch(1);
                    final CompletableFuture<DigestSink> sent = feedGated(sender, length, 21, gateAt, gate);
                    sender.awaitStderr("^(connected-direct)$", 30_000);
                    received.awaitBytes(16L << 20, Duration.ofSeconds(60));
                    dropUdp(lab);
                    gate.countDown();
                    awaitByteExact(sender, listener, received, sent, length, 90_000);
                    assertInOrder(sender.stderr(), "connected-relay", "connected-direct", "connected-relay",
                        "stream-complete");
                    assertInOrder(listener.stderr(), "connected-relay", "connected-direct", "connected-relay",
                        "stream-complete");
                }
            }
        }
    }

    @Test
    void shouldReturnToDirectWhenUdpComesBack() throws Exception {
        final long length = 128L << 20;
        final long gateAt = 48L << 20;
        try (Lab lab = Lab.start("recover")) {
            final DigestSink received = new DigestSink();
            try (CliProcess listener = listen(lab, received)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                try (CliProcess sender = pipe(lab, token)) {
                    final CountDownLatch gate = new CountDownLatch(1);
                    final CompletableFuture<DigestSink> sent = feedGated(sender, length, 23, gateAt, gate);
                    sender.awaitStderr("^(connected-direct)$", 30_000);
                    received.awaitBytes(16L << 20, Duration.ofSeconds(60));
                    dropUdp(lab);
                    awaitLine(sender, "connected-relay", 2);
                    awaitLine(listener, "connected-relay", 2);
                    // UDP works again: the probes that kept knocking get answers and the path is promoted again.
                    lab.netns().execChecked(lab.b(), "nft", "delete", "table", "inet", "t");
                    awaitLine(sender, "connected-direct", 2);
                    gate.countDown();
                    awaitByteExact(sender, listener, received, sent, length, 90_000);
                    assertInOrder(sender.stderr(), "connected-relay", "connected-direct", "connected-relay",
                        "connected-direct", "stream-complete");
                    assertInOrder(listener.stderr(), "connected-relay", "connected-direct", "connected-relay",
                        "connected-direct", "stream-complete");
                }
            }
        }
    }

    @Test
    void shouldMeasureAgainWhenThePathMtuShrinks() throws Exception {
        final long length = 128L << 20;
        final long gateAt = 48L << 20;
        try (Lab lab = Lab.start("shrink")) {
            setMtu(lab, 9000);
            final DigestSink received = new DigestSink();
            try (CliProcess listener = listen(lab, received)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                try (CliProcess sender = pipe(lab, token)) {
                    final CountDownLatch gate = new CountDownLatch(1);
                    final CompletableFuture<DigestSink> sent = feedGated(sender, length, 29, gateAt, gate);
                    sender.awaitStderr("^(connected-direct)$", 30_000);
                    received.awaitBytes(16L << 20, Duration.ofSeconds(60));
                    // A route change: 8,952-byte datagrams no longer fit. The padded heartbeats stop coming back,
                    // the session falls back, and the path is promoted again at the size it now carries.
                    setMtu(lab, 1500);
                    awaitLine(sender, "connected-relay", 2);
                    awaitLine(sender, "connected-direct", 2);
                    gate.countDown();
                    awaitByteExact(sender, listener, received, sent, length, 90_000);
                    assertThat(sender.stderr()).contains(" datagram=1472");
                }
            }
        }
    }

    /** Both ends exit 0 (the sender within {@code senderMs}) and the receiver got exactly what was sent. */
    private static void awaitByteExact(final CliProcess sender, final CliProcess listener, final DigestSink received,
        final CompletableFuture<DigestSink> sent, final long length, final long senderMs) throws Exception {
        assertThat(sender.waitFor(senderMs)).as(sender.stderr()).isZero();
        assertThat(listener.waitFor(30_000)).as(listener.stderr()).isZero();
        assertThat(received.bytes()).isEqualTo(length);
        assertThat(received.hex()).isEqualTo(sent.get(10, TimeUnit.SECONDS).hex());
    }

    private static void setMtu(final Lab lab, final int mtu) throws IOException, InterruptedException {
        lab.netns().execChecked(lab.a(), "ip", "link", "set", "veth-a", "mtu", Integer.toString(mtu));
        lab.netns().execChecked(lab.b(), "ip", "link", "set", "veth-b", "mtu", Integer.toString(mtu));
    }

    /** Drops every UDP datagram in and out of {@code b}: the direct path dies, the relay (TCP) lives. */
    private static void dropUdp(final Lab lab) throws IOException, InterruptedException {
        lab.netns().execChecked(lab.b(), "nft", "add", "table", "inet", "t");
        lab.netns().execChecked(lab.b(), "nft", "add", "chain", "inet", "t", "in",
            "{ type filter hook input priority 0; }");
        lab.netns().execChecked(lab.b(), "nft", "add", "chain", "inet", "t", "out",
            "{ type filter hook output priority 0; }");
        lab.netns().execChecked(lab.b(), "nft", "add", "rule", "inet", "t", "in", "meta", "l4proto", "udp", "drop");
        lab.netns().execChecked(lab.b(), "nft", "add", "rule", "inet", "t", "out", "meta", "l4proto", "udp", "drop");
    }

    /** Waits (up to 30 s) until {@code line} is a whole line of the process's stderr {@code times} times. */
    private static void awaitLine(final CliProcess process, final String line, final int times)
        throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (process.stderr().lines().filter(line::equals).count() < times) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("'" + line + "' not seen " + times + " times in:\n" + process.stderr());
            }
            Thread.sleep(20);
        }
    }

    @Test
    void shouldNeverGoDirectWithForceRelay() throws Exception {
        final long length = 32L << 20;
        try (Lab lab = Lab.start("forced")) {
            final DigestSink received = new DigestSink();
            try (CliProcess listener = listen(lab, received, "--force-relay")) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", TOKEN_MS);
                try (CliProcess sender = pipe(lab, token, "--force-relay")) {
                    final CompletableFuture<DigestSink> sent = CompletableFuture.supplyAsync(() -> feed(sender,
                        length));
                    assertThat(sender.waitFor(90_000)).as(sender.stderr()).isZero();
                    assertThat(listener.waitFor(30_000)).as(listener.stderr()).isZero();
                    assertThat(received.hex()).isEqualTo(sent.get(10, TimeUnit.SECONDS).hex());
                    assertThat(sender.stderr()).contains("connected-relay").doesNotContain("connected-direct");
                    assertThat(listener.stderr()).contains("connected-relay").doesNotContain("connected-direct");
                }
            }
        }
    }

    /** Writes {@code length} bytes into the sender, pausing after {@code gateAt} until {@code gate} opens. */
    private static CompletableFuture<DigestSink> feedGated(final CliProcess sender, final long length, final long seed,
        final long gateAt, final CountDownLatch gate) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return PayloadSource.write(sender.stdin(), length, seed, gateAt, gate);
            } catch (final IOException | InterruptedException e) {
                return null;
            }
        });
    }

    private static DigestSink feed(final CliProcess sender, final long length) {
        try {
            return PayloadSource.write(sender.stdin(), length, 17);
        } catch (final IOException e) {
            return null;
        }
    }
}
