package dev.derphole.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

import dev.derphole.derp.map.DerpMap;
import dev.derphole.derp.map.DerpNode;
import dev.derphole.derp.map.DerpRegion;
import dev.derphole.derp.server.DerpServer;
import dev.derphole.derp.server.DerpServerConfig;
import dev.derphole.derp.server.TlsCredentials;
import dev.derphole.derp.stun.StunServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code derphole relay}: an embedded DERP relay (Tailscale-compatible) and STUN responder. Prints the
 * {@code --derp-url} clients should use and optionally writes a one-region DERP map; runs until SIGINT or
 * SIGTERM and then exits 0.
 */
@Command(mixinStandardHelpOptions = true, name = "relay", description = {
    "Run a DERP relay (Tailscale's protocol) and a STUN responder for derphole, derptun and Tailscale clients.",
    "Prints the --derp-url clients should use; runs until Ctrl-C / SIGTERM (exit 0)."})
final class RelayCommand implements Callable<Integer> {
    private static final int DEFAULT_STUN_PORT = DerpNode.DEFAULT_STUN_PORT;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
        description = "Address for DERP over HTTP(S), e.g. 127.0.0.1:3340 or 0.0.0.0:443.")
    String listen;

    @Option(names = "--stun", paramLabel = "HOST:PORT",
        description = "UDP address of the STUN responder (default: the --listen host, port 3478).")
    String stun;

    @Option(names = "--no-stun", description = "Do not run a STUN responder.")
    boolean noStun;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain; serves HTTPS.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key (PKCS#8, EC or RSA).")
    Path tlsKey;

    @Option(names = "--region-id", paramLabel = "N", defaultValue = "900",
        description = "Region id in the written DERP map (default: ${DEFAULT-VALUE}).")
    int regionId;

    @Option(names = "--region-code", paramLabel = "CODE", defaultValue = "derphole",
        description = "Region code in the written DERP map (default: ${DEFAULT-VALUE}).")
    String regionCode;

    @Option(names = "--hostname", paramLabel = "NAME",
        description = "Host name clients dial (and the TLS certificate names); default: the --listen host.")
    String hostname;

    @Option(names = "--map-out", paramLabel = "FILE", description = "Write a one-region DERP map (Tailscale JSON).")
    Path mapOut;

    @Option(names = "--rate-limit", paramLabel = "BYTES_PER_SEC",
        description = "Per-client receive rate limit, advertised to clients (default: none).")
    long rateLimit;

    @Option(names = "--rate-burst", paramLabel = "BYTES", description = "Burst for --rate-limit (default: 2 s worth).")
    long rateBurst;

    @Option(names = "--queue-depth", paramLabel = "PACKETS",
        description = "Packets queued per receiving client before the oldest is dropped (default: "
            + DerpServerConfig.DEFAULT_QUEUE_DEPTH + ", as derper).")
    int queueDepth = DerpServerConfig.DEFAULT_QUEUE_DEPTH;

    @Option(names = "--test-plaintext-marker", hidden = true, paramLabel = "TEXT",
        description = "Tests only: report any forwarded packet that contains TEXT.")
    String testMarker;

    @Option(names = "--test-drop-percent", hidden = true, paramLabel = "P",
        description = "Tests only: drop P percent of forwarded packets (deterministically).")
    double testDropPercent;

    private final Terminal terminal;

    RelayCommand(final Terminal terminal, final GlobalOptions global) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws Exception {
        final InetSocketAddress derpAddress = HostPort.parse("--listen", listen);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw UserFacingException.usage("--tls-cert and --tls-key go together");
        }
        if (noStun && stun != null) {
            throw UserFacingException.usage("--stun and --no-stun cannot be used together");
        }
        if (rateLimit < 0 || rateBurst < 0) {
            throw UserFacingException.usage("--rate-limit and --rate-burst must not be negative");
        }
        if (regionId < 1) {
            throw UserFacingException.usage("--region-id must be a positive number");
        }
        if (queueDepth < 1 || queueDepth > DerpServerConfig.MAX_QUEUE_DEPTH) {
            throw UserFacingException.usage("--queue-depth must be 1.." + DerpServerConfig.MAX_QUEUE_DEPTH);
        }
        final InetSocketAddress stunAddress = noStun ? null
            : stun != null ? HostPort.parse("--stun", stun)
            : new InetSocketAddress(derpAddress.getAddress(), DEFAULT_STUN_PORT);

        if (testDropPercent < 0 || testDropPercent > 100) {
            throw UserFacingException.usage("--test-drop-percent must be 0..100");
        }
        final DerpServerConfig.Builder config = DerpServerConfig.builder().listen(derpAddress).queueDepth(queueDepth);
        final RelayTestHooks hooks = new RelayTestHooks(testMarker, testDropPercent, terminal);
        if (hooks.active()) {
            config.packetObserver(hooks);
        }
        if (tlsCert != null) {
            config.tls(loadTls());
        }
        if (rateLimit > 0) {
            config.rateLimit(rateLimit, rateBurst > 0 ? rateBurst
                : Math.max(2 * rateLimit, DerpServerConfig.MIN_RATE_LIMIT_BURST_BYTES));
        }

        final ShutdownSignal signal = ShutdownSignal.install(ExitCode.OK);
        try (DerpServer server = new DerpServer(config.build());
            StunServer stunServer = stunAddress == null ? null : new StunServer(stunAddress)) {
            start(server, stunServer);
            final String host = hostname != null ? hostname : advertisedHost(server.localAddress());
            final int stunPort = stunServer == null ? DerpNode.STUN_DISABLED : stunServer.localAddress().getPort();
            final String url = relayUrl(tlsCert != null, host, server.localAddress().getPort(), stunPort);
            if (mapOut != null) {
                writeMap(host, server.localAddress().getPort(), stunPort, tlsCert == null);
            }
            terminal.always("derp-url " + url);
            terminal.info("relay: DERP on " + server.derpUrl() + (stunServer == null ? ", no STUN"
                : ", STUN on udp " + HostPort.format(stunServer.localAddress().getAddress().getHostAddress(),
                stunPort)) + (mapOut == null ? "" : ", map in " + mapOut));
            terminal.status("server key " + server.serverKey());
            terminal.info("relay: running; Ctrl-C to stop");
            signal.await();
            if (hooks.active()) {
                terminal.always(hooks.summary());
            }
            terminal.info("relay: stopping");
        } finally {
            signal.done();
        }
        return ExitCode.OK;
    }

    private TlsCredentials loadTls() {
        try {
            return TlsCredentials.loadPem(tlsCert, tlsKey);
        } catch (final IOException e) {
            throw new UserFacingException(ExitCode.RUNTIME, "cannot load TLS certificate/key: " + e.getMessage(),
                "--tls-cert wants a PEM certificate chain, --tls-key a PEM private key", e);
        }
    }

    private static void start(final DerpServer server, final StunServer stunServer) throws IOException {
        try {
            server.start();
        } catch (final BindException e) {
            throw new UserFacingException(ExitCode.RUNTIME, "cannot listen for DERP: " + e.getMessage(),
                "is another relay running? pick a free port with --listen", e);
        }
        if (stunServer != null) {
            try {
                stunServer.start();
            } catch (final BindException e) {
                throw new UserFacingException(ExitCode.RUNTIME, "cannot listen for STUN: " + e.getMessage(),
                    "pick a free UDP port with --stun HOST:PORT, or --no-stun", e);
            }
        }
    }

    private static String advertisedHost(final InetSocketAddress bound) {
        final InetAddress address = bound.getAddress();
        return address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress().getHostAddress()
            : address.getHostAddress();
    }

    static String relayUrl(final boolean tls, final String host, final int port, final int stunPort) {
        final String base = (tls ? "https://" : "http://") + HostPort.format(host, port);
        if (stunPort == DerpNode.STUN_DISABLED) {
            return base + "?stun=-1";
        }
        return stunPort == DerpNode.DEFAULT_STUN_PORT ? base : base + "?stun=" + stunPort;
    }

    private void writeMap(final String host, final int port, final int stunPort, final boolean plainHttp)
        throws IOException {
        final boolean literalV4 = host.matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        final boolean literalV6 = host.indexOf(':') >= 0;
        final DerpMap map;
        try {
            final DerpNode node = new DerpNode(regionId + "a", regionId, host, "",
                literalV4 ? host : literalV6 ? "none" : "", literalV6 ? host : literalV4 ? "none" : "",
                stunPort, false, port, false, "", false, plainHttp);
            map = DerpMap.of(List.of(DerpRegion.of(regionId, regionCode, "derphole relay " + regionCode,
                List.of(node))));
        } catch (final IllegalArgumentException e) {
            throw UserFacingException.usage("cannot build a DERP map from these flags: " + e.getMessage());
        }
        final Path absolute = mapOut.toAbsolutePath();
        final Path temp = Files.createTempFile(absolute.getParent(), ".derp-map", ".tmp");
        Files.writeString(temp, map.toPrettyJson() + "\n", StandardCharsets.UTF_8);
        Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
