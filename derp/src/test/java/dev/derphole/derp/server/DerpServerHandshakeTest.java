package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.SplittableRandom;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.Handshake;
import dev.derphole.derp.proto.NodeKey;

@Timeout(60)
class DerpServerHandshakeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void shouldCompleteHandshakeOverPlainHttp() throws Exception {
        final Curve25519KeyPair serverKeys = Curve25519KeyPair.generate();
        try (DerpServer server = TestRelays.startPlain(b -> b.serverKeyPair(serverKeys));
             RawDerpTestClient client = RawDerpTestClient.connect(server)) {
            final NodeKey expected = NodeKey.of(serverKeys.publicKey());
            assertThat(server.serverKey()).isEqualTo(expected);
            assertThat(client.serverKey()).isEqualTo(expected);
            assertThat(client.upgradeHeaders()).containsEntry("upgrade", "DERP").containsEntry("connection", "Upgrade")
                .containsEntry("derp-version", "2").containsEntry("derp-public-key", expected.toHex());
            assertThat(client.serverInfoJson()).isEqualTo("{\"version\":2}");
            awaitCounter(() -> server.counters().currentClients(), 1);
            assertThat(server.connectedKeys()).isEqualTo(1);
            assertThat(server.derpUrl()).isEqualTo("http://127.0.0.1:" + server.localAddress().getPort() + "/derp");
        }
    }

    @Test
    void shouldCompleteHandshakeOverTlsAndAppendTheMetaCert() throws Exception {
        try (DerpServer server = TestRelays.startTls();
             RawDerpTestClient client = RawDerpTestClient.connect(server)) {
            assertThat(client.serverInfoJson()).isEqualTo("{\"version\":2}");
            final SSLSocket tls = (SSLSocket)client.socket();
            assertThat(tls.getSession().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(tls.getApplicationProtocol()).isEmpty();
            final Certificate[] chain = tls.getSession().getPeerCertificates();
            assertThat(chain).hasSize(2);
            assertThat(chain[0]).isEqualTo(TestTls.certificate());
            final X509Certificate meta = (X509Certificate)chain[1];
            assertThat(meta.getSubjectX500Principal().getName()).isEqualTo("CN=derpkey" + server.serverKey().toHex());
            assertThat(MetaCert.serverKeyOf(meta)).isEqualTo(server.serverKey());
            assertThat(server.derpUrl()).startsWith("https://127.0.0.1:");
        }
    }

    @Test
    void shouldServeTlsWithoutMetaCertWhenDisabled() throws Exception {
        try (DerpServer server = TestRelays.startTls(b -> b.metaCert(false));
             RawDerpTestClient client = RawDerpTestClient.connect(server)) {
            assertThat(((SSLSocket)client.socket()).getSession().getPeerCertificates()).hasSize(1);
        }
    }

    @Test
    void shouldSkipThe101ResponseOnFastStart() throws Exception {
        try (DerpServer server = TestRelays.startTls();
             RawDerpTestClient client = RawDerpTestClient.upgrade(server, Curve25519KeyPair.generate(), true)) {
            // The first bytes after the request were the ServerKey frame, not "HTTP/1.1 101".
            assertThat(client.upgradeHeaders()).isEmpty();
            assertThat(client.serverKey()).isEqualTo(server.serverKey());
            client.sendClientInfo(RawDerpTestClient.CLIENT_INFO_JSON);
            assertThat(client.readServerInfo()).isEqualTo("{\"version\":2}");
        }
    }

    @Test
    void shouldAcceptAFastStartClientThatSendsClientInfoWithoutWaiting() throws Exception {
        // Tailscale's fast start writes the request and ClientInfo back to back, without reading anything first.
        try (DerpServer server = TestRelays.startPlain();
             Socket s = RawDerpTestClient.open(server)) {
            final Curve25519KeyPair keys = Curve25519KeyPair.generate();
            final byte[] request = ("GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: derp\r\nConnection: Upgrade\r\n"
                + "Derp-Fast-Start: 1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            final byte[] info = Handshake.clientInfoPayload(keys, server.serverKey(),
                RawDerpTestClient.CLIENT_INFO_JSON.getBytes(StandardCharsets.UTF_8));
            final byte[] all = new byte[request.length + 5 + info.length];
            System.arraycopy(request, 0, all, 0, request.length);
            all[request.length] = FrameType.CLIENT_INFO;
            all[request.length + 4] = (byte)info.length;
            all[request.length + 3] = (byte)(info.length >>> 8);
            System.arraycopy(info, 0, all, request.length + 5, info.length);
            s.getOutputStream().write(all);
            s.setSoTimeout((int)WAIT.toMillis());
            final byte[] head = s.getInputStream().readNBytes(5);
            assertThat(head[0]).isEqualTo((byte)FrameType.SERVER_KEY);
            awaitCounter(() -> server.counters().currentClients(), 1);
        }
    }

    @Test
    void shouldCloseOnlyTheConnectionWhoseClientInfoIsGarbage() throws Exception {
        try (DerpServer server = TestRelays.startPlain();
             RawDerpTestClient a = RawDerpTestClient.connect(server);
             RawDerpTestClient b = RawDerpTestClient.connect(server)) {
            final SplittableRandom random = new SplittableRandom(42);
            final byte[] garbage = new byte[200];
            random.nextBytes(garbage);
            expectRejected(server, c -> c.sendFrame(FrameType.CLIENT_INFO, garbage));

            // Sealed to another server's key: the box cannot open.
            expectRejected(server, c -> c.sendFrame(FrameType.CLIENT_INFO, Handshake.clientInfoPayload(c.keyPair(),
                NodeKey.of(Curve25519KeyPair.generate().publicKey()), "{}".getBytes(StandardCharsets.UTF_8))));

            // Opens, but is not JSON.
            expectRejected(server, c -> c.sendClientInfo("{\"version\":2,"));

            // Too short to hold key, nonce and box; wrong first frame type; longer than derper's 256 KiB.
            expectRejected(server, c -> c.sendFrame(FrameType.CLIENT_INFO,
                new byte[Handshake.MIN_CLIENT_INFO_LENGTH - 1]));
            expectRejected(server, c -> c.sendFrame(FrameType.SEND_PACKET, new byte[100]));
            expectRejected(server, c -> c.sendRawHeader(FrameType.CLIENT_INFO, (256 << 10) + 1, new byte[0]));

            assertThat(server.counters().handshakeFailures(HandshakeFailure.BOX)).isEqualTo(2);
            assertThat(server.counters().handshakeFailures(HandshakeFailure.BAD_JSON)).isEqualTo(1);
            assertThat(server.counters().handshakeFailures(HandshakeFailure.BAD_FRAME)).isEqualTo(3);

            // The good clients are unaffected.
            a.sendPacket(b.key(), "still here".getBytes(StandardCharsets.UTF_8));
            final RawDerpTestClient.Frame f = b.expect(FrameType.RECV_PACKET, WAIT);
            assertThat(f.key()).isEqualTo(a.key());
            assertThat(f.dataText()).isEqualTo("still here");
            assertThat(server.counters().currentClients()).isEqualTo(2);
        }
    }

    @Test
    void shouldDropAClientThatNeverSendsClientInfoAtTheDeadline() throws Exception {
        try (DerpServer server = TestRelays.startPlain(b -> b.handshakeTimeout(Duration.ofMillis(300)));
             RawDerpTestClient c = RawDerpTestClient.upgrade(server, Curve25519KeyPair.generate(), false)) {
            final long startNs = System.nanoTime();
            assertThat(c.awaitClosed(WAIT)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - startNs)).isLessThan(Duration.ofSeconds(5));
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.TIMEOUT), 1);
        }
    }

    @Test
    void shouldDropAConnectionThatSendsNothingAtTheDeadline() throws Exception {
        try (DerpServer server = TestRelays.startPlain(b -> b.handshakeTimeout(Duration.ofMillis(300)));
             Socket s = new Socket()) {
            s.connect(server.localAddress());
            assertThat(RawDerpTestClient.awaitClosed(s, WAIT)).isTrue();
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.TIMEOUT), 1);
        }
    }

    @Test
    void shouldDropASilentConnectionToTheTlsPortAtTheDeadline() throws Exception {
        try (DerpServer server = TestRelays.startTls(b -> b.handshakeTimeout(Duration.ofMillis(300)));
             Socket s = new Socket()) {
            s.connect(server.localAddress());
            assertThat(RawDerpTestClient.awaitClosed(s, WAIT)).isTrue();
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.TIMEOUT), 1);
        }
    }

    @Test
    void shouldDropAClientTricklingItsRequestHeadAtTheDeadline() throws Exception {
        try (DerpServer server = TestRelays.startPlain(b -> b.handshakeTimeout(Duration.ofMillis(300)));
             Socket s = new Socket()) {
            s.connect(server.localAddress());
            final long endNs = System.nanoTime() + WAIT.toNanos();
            boolean closed = false;
            while (!closed && System.nanoTime() < endNs) {
                try {
                    s.getOutputStream().write('X');
                    s.getOutputStream().flush();
                    Thread.sleep(50);
                } catch (final IOException e) {
                    closed = true;
                }
                if (server.counters().handshakeFailures(HandshakeFailure.TIMEOUT) == 1) {
                    closed = true;
                }
            }
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.TIMEOUT), 1);
        }
    }

    @Test
    void shouldAnswerMalformedHttpWith400AndCountIt() throws Exception {
        try (DerpServer server = TestRelays.startPlain()) {
            final RawDerpTestClient.HttpResponse r = RawDerpTestClient.http(server, "GARBAGE\r\n\r\n");
            assertThat(r.status()).isEqualTo(400);
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.BAD_HTTP), 1);

            final RawDerpTestClient.HttpResponse big = RawDerpTestClient.http(server,
                "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(17 << 10) + "\r\n\r\n");
            assertThat(big.status()).isEqualTo(400);
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.BAD_HTTP), 2);
        }
    }

    @Test
    void shouldCountTlsFailures() throws Exception {
        try (DerpServer server = TestRelays.startTls();
             Socket s = new Socket()) {
            s.connect(server.localAddress());
            s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawDerpTestClient.awaitClosed(s, WAIT)).isTrue();
            awaitCounter(() -> server.counters().handshakeFailures(HandshakeFailure.TLS), 1);
        }
    }

    @Test
    void shouldReportTheBoundAddress() throws Exception {
        try (DerpServer server = TestRelays.startPlain()) {
            final InetSocketAddress a = server.localAddress();
            assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(a.getPort()).isPositive();
        }
    }

    interface ClientStep {
        void run(RawDerpTestClient c) throws IOException;
    }

    private static void expectRejected(final DerpServer server, final ClientStep step) throws IOException {
        try (RawDerpTestClient c = RawDerpTestClient.upgrade(server, Curve25519KeyPair.generate(), false)) {
            step.run(c);
            assertThat(c.awaitClosed(WAIT)).as("server closes the connection").isTrue();
        }
    }

    interface LongSupplier {
        long get();
    }

    /** Waits (bounded) for a counter that other threads update to reach {@code expected}. */
    static void awaitCounter(final LongSupplier counter, final long expected) throws InterruptedException {
        final long endNs = System.nanoTime() + WAIT.toNanos();
        while (counter.get() != expected && System.nanoTime() < endNs) {
            Thread.sleep(5);
        }
        assertThat(counter.get()).isEqualTo(expected);
    }
}
