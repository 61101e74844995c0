package dev.derphole.cli;

import static dev.derphole.cli.StatusLines.assertInOrder;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;

/**
 * NAT traversal across the network-namespace lab of {@code perf-scripts/lab/lab.sh} (issue 5): a public segment
 * with our relay (DERP + STUN on 203.0.113.10, a second STUN port for the listener's map), hosts {@code a} and
 * {@code b} each behind its own nftables NAT router, b's router optionally running miniupnpd. The listener runs
 * on {@code a}, the sender on {@code b}; each learns its public address from the relay's STUN server on its
 * data socket (the listener also whether its NAT's mapping varies by destination), b asks its router for a port
 * mapping, both probe at once, and the NATs decide: endpoint-independent mappings and port mappings punch through
 * (direct), endpoint-dependent ones or blocked UDP leave the session on the relay. Every transfer is byte-exact
 * either way; a mapping is deleted when the session ends; a mapping that appears only while the session runs on
 * the relay moves it to the direct path. The lab lives in namespaces only and is always torn down.
 */
@Tag("topology")
@Timeout(120)
class NatLabIT {
    private static final Path LAB = Path.of("..", "perf-scripts", "lab", "lab.sh").toAbsolutePath().normalize();
    private static final String PREFIX = "dhit" + ProcessHandle.current().pid() % 10_000;
    private static final String RELAY = "203.0.113.10:8080";
    /** A second relay process, only for its STUN server on another port. */
    private static final String RELAY2 = "203.0.113.10:8081";
    private static final String STUN2 = "203.0.113.10:3479";
    private static final long LENGTH = 32L << 20;
    private static final String DERPHOLE = "dev.derphole.cli.DerpholeMain";
    /** portmap-late: bytes sent before the sender waits for the direct path (they cross on the relay). */
    private static final long LATE_GATE_AT = 8L << 20;
    /** How long a path must stay direct to count as steady: the prober's 2 s heartbeat timeout and some slack. */
    private static final long STEADY_MS = 3_000;
    /** The direct path's events on stderr (PathTrace), so a failure's message says what the probers saw. */
    private static final Map<String, String> TRACE = Map.of("DERPHOLE_TRACE_PATH", "1");

    @ParameterizedTest(name = "{0} -> {1}, {4} lane(s)")
    @CsvSource(delimiter = ';', value = {
        // No router offers a mapping: "probing" until the first attempt's 1.5 s (SSDP has no "no") are over.
        "easy-easy           ; direct ; independent ; candidates=2 .* portmap=(none|probing) ; 1",
        "symmetric-symmetric ; relay  ; varies      ; candidates=2 .* portmap=(none|probing) ; 1",
        "udp-blocked         ; relay  ; unknown     ; candidates=2 .* portmap=(none|probing) ; 1",
        // Extra lanes through NATs: each lane socket's STUN address is offered, the listener punches towards it.
        "easy-easy           ; direct ; independent ; candidates=2 .* lanes=3/3 .*         ; 3",
        // b's router maps b's port (miniupnpd): its mapped address gets through although its NAT is symmetric.
        // The STUN answer is the mapped address too when the mapping came first (then 2 candidates, else 3).
        // miniupnpd speaks PCP and UPnP: PCP usually answers first, UPnP when the machine is busy.
        "portmap-symmetric ; direct ; independent ; candidates=[23] .* portmap=[a-z]+ external=203\\.0\\.113\\.2: ; 1"})
    void shouldEndOnTheExpectedPathAndDeliverByteExact(final String scenario, final String expected,
        final String listenerNat, final String senderStats, final int lanes, @TempDir final Path dir)
        throws Exception {
        lab("up", scenario);
        try (CliProcess relay = startRelay(dir); CliProcess stun2 = startSecondStun()) {
            final DigestSink received = new DigestSink();
            try (CliProcess listener = startListener(relay, stun2, dir, received)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", 20_000);
                try (CliProcess sender = CliProcess.derpholeStreaming(inside("b"), TRACE, null, "-v", "pipe",
                    "--parallel", String.valueOf(lanes), token)) {
                    final CompletableFuture<DigestSink> sent = CompletableFuture.supplyAsync(() -> {
                        try {
                            return PayloadSource.write(sender.stdin(), LENGTH, 31);
                        } catch (final IOException e) {
                            return null;
                        }
                    });
                    assertThat(sender.waitFor(60_000)).as(sender.stderr()).isZero();
                    assertThat(listener.waitFor(30_000)).as(listener.stderr()).isZero();
                    assertThat(received.bytes()).isEqualTo(LENGTH);
                    assertThat(received.hex()).isEqualTo(sent.get(10, TimeUnit.SECONDS).hex());
                    assertThat(listener.stderr()).containsPattern("direct-stats .* nat=" + listenerNat + " ");
                    // The sender's candidates: its LAN address, what the relay's STUN server saw, and the router's
                    // mapping where there is one.
                    assertThat(sender.stderr()).containsPattern("direct-stats .*" + senderStats);
                    if (expected.equals("direct")) {
                        assertThat(sender.stderr()).contains("connected-direct");
                        assertThat(listener.stderr()).contains("connected-direct");
                    } else {
                        assertThat(sender.stderr()).contains("connected-relay").doesNotContain("connected-direct");
                        assertThat(listener.stderr()).contains("connected-relay").doesNotContain("connected-direct");
                    }
                    if (scenario.startsWith("portmap")) {
                        // The sender deleted its mapping on the way out: the router forwards nothing any more.
                        assertThat(labOutput("exec", "rb", "nft", "list", "chain", "inet", "miniupnpd",
                            "prerouting_miniupnpd")).contains("prerouting_miniupnpd").doesNotContain("dnat");
                    }
                    if (listenerNat.equals("varies")) {
                        // The address the STUN server saw is useless to the peer: only the LAN address is offered.
                        assertThat(listener.stderr()).containsPattern("direct-stats .*candidates=1 ");
                    }
                }
            }
        } finally {
            lab("down");
        }
    }

    /**
     * portmap-late: b's router starts miniupnpd 20 s after the lab is up. The session starts meanwhile on the relay
     * (b's NAT is symmetric and b has no mapping), b's port mapper keeps asking on its quick schedule, the mapping
     * it gets goes to the listener as a candidate update, and the running session moves to the direct path:
     * relay first, then direct, on both sides, byte-exact, the mapping deleted on exit. The sender writes the first
     * {@link #LATE_GATE_AT} bytes at once (they cross on the relay) and the rest only once both ends have been direct
     * for {@link #STEADY_MS}, and both must still be direct when the stream completes.
     */
    @Test
    @Timeout(90)
    void shouldMoveARelaySessionDirectWhenAPortMappingAppearsLater(@TempDir final Path dir) throws Exception {
        lab("up", "portmap-late");
        final long upNs = System.nanoTime();
        try (CliProcess relay = startRelay(dir); CliProcess stun2 = startSecondStun()) {
            final DigestSink received = new DigestSink();
            try (CliProcess listener = startListener(relay, stun2, dir, received)) {
                final String token = listener.awaitStderr("^([A-Za-z0-9_-]{40,})$", 20_000);
                try (CliProcess sender = CliProcess.derpholeStreaming(inside("b"), TRACE, null, "-v", "pipe",
                    token)) {
                    final CountDownLatch gate = new CountDownLatch(1);
                    final CompletableFuture<DigestSink> sent = CompletableFuture.supplyAsync(() -> {
                        try {
                            return PayloadSource.write(sender.stdin(), LENGTH, 37, LATE_GATE_AT, gate);
                        } catch (final IOException | InterruptedException e) {
                            return null;
                        }
                    });
                    try {
                        sender.awaitStderr("^(connected-relay)$", 20_000);
                        received.awaitBytes(LATE_GATE_AT, Duration.ofSeconds(20));
                        // The relay carried the first bytes before the router had any mapping service.
                        assertThat(labOutput("status"))
                            .as("the mapping service was up %d ms after the lab: too late for this test",
                                (System.nanoTime() - upNs) / 1_000_000)
                            .doesNotContain("miniupnpd in rb");
                        sender.awaitStderr("^(connected-direct)$", 45_000);
                        // Direct, and still direct a heartbeat timeout later, on both sides. When the sender first
                        // validated an address a conntrack clash made (the lab's watcher deletes it), it falls back
                        // and recovers onto the listener's own address: ~3.5 s usually. Twice in full suite runs not
                        // within 15-30 s (sessions 11, 12; maybe a second clash address that answered first and died,
                        // which shut out the others until PathProber counted answers per address): the wait is 30 s
                        // within the test's 90, and a failure prints both sides' path-trace lines.
                        awaitSteadyDirect(sender, listener, 30_000);
                        awaitSteadyDirect(listener, sender, 10_000);
                    } finally {
                        gate.countDown();
                    }
                    assertThat(sender.waitFor(30_000)).as(sender.stderr()).isZero();
                    assertThat(listener.waitFor(30_000)).as(listener.stderr()).isZero();
                    assertThat(received.bytes()).isEqualTo(LENGTH);
                    assertThat(received.hex()).isEqualTo(sent.get(10, TimeUnit.SECONDS).hex());
                    assertInOrder(sender.stderr(), "connected-relay", "connected-direct", "stream-complete");
                    assertInOrder(listener.stderr(), "connected-relay", "connected-direct", "stream-complete");
                    // The bytes after the gate crossed the direct path: no side went back to the relay.
                    assertThat(pathLines(sender.stderr()).getLast()).isEqualTo("connected-direct");
                    assertThat(pathLines(listener.stderr()).getLast()).isEqualTo("connected-direct");
                    assertThat(sender.stderr())
                        .containsPattern("direct-stats .*portmap=[a-z]+ external=203\\.0\\.113\\.2:");
                    // The sender deleted its mapping on the way out: the router forwards nothing any more.
                    assertThat(labOutput("exec", "rb", "nft", "list", "chain", "inet", "miniupnpd",
                        "prerouting_miniupnpd")).contains("prerouting_miniupnpd").doesNotContain("dnat");
                }
            }
        } finally {
            lab("down");
        }
    }
    /**
     * Waits until {@code process}'s latest path line is connected-direct and has stayed so for {@link #STEADY_MS}; a
     * failure shows both sides' stderr.
     */
    private static void awaitSteadyDirect(final CliProcess process, final CliProcess peer, final long timeoutMs)
        throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int seen = -1;
        long since = 0;
        while (System.nanoTime() < deadline) {
            final List<String> lines = pathLines(process.stderr());
            if (lines.size() != seen || !lines.getLast().equals("connected-direct")) {
                seen = lines.size();
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= TimeUnit.MILLISECONDS.toNanos(STEADY_MS)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not steadily direct within " + timeoutMs + " ms:\n" + process.stderr()
            + "\n-- its peer:\n" + peer.stderr());
    }

    /** The connected-relay / connected-direct lines of {@code stderr} up to stream-complete, in order. */
    private static List<String> pathLines(final String stderr) {
        return stderr.lines().takeWhile(l -> !l.equals("stream-complete"))
            .filter(l -> l.equals("connected-relay") || l.equals("connected-direct")).toList();
    }

    /** Our relay in pub (DERP + STUN), writing its map into {@code dir}. */
    private static CliProcess startRelay(final Path dir) throws IOException {
        return CliProcess.start(inside("pub"), Map.of(), DERPHOLE, "relay", "--listen", RELAY, "--map-out",
            dir.resolve("relay-map.json").toString());
    }

    /** A second relay process in pub, there for its STUN port only. */
    private static CliProcess startSecondStun() throws IOException {
        return CliProcess.start(inside("pub"), Map.of(), DERPHOLE, "relay", "--listen", RELAY2, "--stun", STUN2);
    }

    /** `derphole -v listen` in host a with {@link #listenerMap}, its payload into {@code received}. */
    private static CliProcess startListener(final CliProcess relay, final CliProcess stun2, final Path dir,
        final DigestSink received) throws Exception {
        return CliProcess.derpholeStreaming(inside("a"), TRACE, received, "-v",
            "--derp-map=" + listenerMap(relay, stun2, dir), "listen");
    }

    /**
     * Once both are up: the listener's map, the relay's plus the second STUN server (another port: the symmetric
     * NAT maps each destination to a new port), so the listener can tell whether its NAT's mapping varies by
     * destination.
     */
    private static Path listenerMap(final CliProcess relay, final CliProcess stun2, final Path dir) throws Exception {
        relay.awaitStderr("^derp-url (\\S+)$", 20_000);
        stun2.awaitStderr("^derp-url (\\S+)$", 20_000);
        final Path map = dir.resolve("map.json");
        Files.writeString(map, withStunServer(Files.readString(dir.resolve("relay-map.json")), STUN2));
        return map;
    }

    /** The relay's one-node map plus a STUN-only node at {@code stun} in the same region. */
    private static String withStunServer(final String json, final String stun) throws Exception {
        final DerpMap map = DerpMap.parse(json);
        final DerpRegion region = map.regions().values().iterator().next();
        final DerpNode home = region.nodes().getFirst();
        final String host = stun.substring(0, stun.indexOf(':'));
        final int port = Integer.parseInt(stun.substring(stun.indexOf(':') + 1));
        final DerpNode stunOnly = new DerpNode(home.name() + "-stun", region.regionId(), host, "", host, "", port,
            true, home.derpPort(), false, "", false, home.plainHttp());
        final List<DerpNode> nodes = new java.util.ArrayList<>(region.nodes());
        nodes.add(stunOnly);
        return DerpMap.of(List.of(new DerpRegion(region.regionId(), region.regionCode(), region.regionName(),
            region.latitude(), region.longitude(), region.avoid(), region.noMeasureNoHome(), nodes))).toJson();
    }

    private static List<String> inside(final String host) {
        return NetnsLab.inside(PREFIX + "-" + host);
    }

    private static void lab(final String... args) throws IOException, InterruptedException {
        labOutput(args);
    }

    /** Runs {@code lab.sh args}, expects exit 0, returns its output (stdout and stderr). */
    private static String labOutput(final String... args) throws IOException, InterruptedException {
        final String[] command = new String[args.length + 1];
        command[0] = LAB.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DHLAB_PREFIX", PREFIX);
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("lab.sh %s", String.join(" ", args)).isTrue();
        assertThat(process.exitValue()).as("lab.sh %s:%n%s", String.join(" ", args), output).isZero();
        assertThat(Files.isExecutable(LAB)).isTrue();
        return output;
    }
}
