package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.FrameType;
import dev.derphole.derp.proto.NodeKey;

@Timeout(60)
class DerpClientTlsTest {
    private static final NodeKey PEER = NodeKey.of(Curve25519KeyPair.generate().publicKey());

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private ScriptedDerpServer relay(final SSLContext tls, final BlockingQueue<ScriptedDerpServer.Frame> frames,
        final List<String> sni) throws IOException {
        final ScriptedDerpServer s = new ScriptedDerpServer(conn -> {
            conn.accept();
            final ExtendedSSLSession session = (ExtendedSSLSession)((SSLSocket)conn.socket).getSession();
            for (final SNIServerName n : session.getRequestedServerNames()) {
                sni.add(new String(n.getEncoded(), StandardCharsets.US_ASCII));
            }
            conn.sendPacket(PEER, "over tls".getBytes(StandardCharsets.UTF_8));
            conn.serve(frames);
        }, tls);
        toClose.add(s);
        return s;
    }

    private DerpClient client(final DerpTarget target) throws Exception {
        final DerpClient c = new DerpClient(DerpClientConfig.builder(target)
            .sslContext(TestCertificates.clientContext())
            .connectTimeout(Duration.ofSeconds(2))
            .handshakeTimeout(Duration.ofSeconds(5))
            .reconnect(ReconnectPolicy.DISABLED)
            .build());
        toClose.add(c);
        return c;
    }

    private static void assertRelayWorks(final DerpClient client, final BlockingQueue<ScriptedDerpServer.Frame> frames)
        throws Exception {
        final DerpEvent.Packet p = (DerpEvent.Packet)client.receive(Duration.ofSeconds(5));
        assertThat(new String(p.data(), StandardCharsets.UTF_8)).isEqualTo("over tls");
        client.send(PEER, new byte[] {1, 2, 3}, 0, 3);
        final ScriptedDerpServer.Frame f = frames.poll(5, TimeUnit.SECONDS);
        assertThat(f.type()).isEqualTo(FrameType.SEND_PACKET);
        assertThat(f.payload()).hasSize(35);
    }

    @Test
    void shouldConnectOverTlsWithSniHostnameCheckAndHttp11OnlyAlpn() throws Exception {
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final List<String> sni = new CopyOnWriteArrayList<>();
        final List<List<String>> alpnOffers = new CopyOnWriteArrayList<>();
        final ScriptedDerpServer server = relay(TestCertificates.serverContext("server.p12", false), frames, sni);
        server.tlsSetup(ssl -> ssl.setHandshakeApplicationProtocolSelector((socket, offered) -> {
            alpnOffers.add(List.copyOf(offered));
            return offered.contains("http/1.1") ? "http/1.1" : "";
        }));
        final DerpClient client = client(server.tlsTarget());
        client.connect();
        assertRelayWorks(client, frames);
        assertThat(sni).containsExactly("localhost");
        assertThat(alpnOffers).containsExactly(List.of("http/1.1"));
    }

    @Test
    void shouldTolerateTheMetaCertDerperAppendsToItsChain() throws Exception {
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final ScriptedDerpServer server =
            relay(TestCertificates.serverContext("server.p12", true), frames, new CopyOnWriteArrayList<>());
        final DerpClient client = client(server.tlsTarget());
        client.connect();
        assertRelayWorks(client, frames);
    }

    @Test
    void shouldRejectACertificateForAnotherHostname() throws Exception {
        final ScriptedDerpServer server = relay(
            TestCertificates.serverContext("wronghost.p12", true), new LinkedBlockingQueue<>(),
            new CopyOnWriteArrayList<>());
        final DerpClient client = client(server.tlsTarget());
        assertThatThrownBy(client::connect)
            .isInstanceOf(SSLHandshakeException.class)
            .hasMessageStartingWith("cannot connect to DERP relay localhost:" + server.port()
                + ": TLS handshake failed (server name localhost): ")
            .hasMessageContaining("localhost");
    }

    @Test
    void shouldRejectAnUntrustedCertificateWithTheDefaultWebPkiTrust() throws Exception {
        final ScriptedDerpServer server = relay(
            TestCertificates.serverContext("server.p12", false), new LinkedBlockingQueue<>(),
            new CopyOnWriteArrayList<>());
        final DerpClient client = new DerpClient(DerpClientConfig.builder(server.tlsTarget())
            .reconnect(ReconnectPolicy.DISABLED).build());
        toClose.add(client);
        assertThatThrownBy(client::connect)
            .isInstanceOf(SSLHandshakeException.class)
            .hasMessageContaining("TLS handshake failed (server name localhost)")
            .hasMessageContaining("PKIX");
    }

    @Test
    void shouldVerifyTheServerNameNotTheDialledAddress() throws Exception {
        // Dial 127.0.0.1 but expect the certificate of "wrong.example": the name decides, not the address.
        final BlockingQueue<ScriptedDerpServer.Frame> frames = new LinkedBlockingQueue<>();
        final ScriptedDerpServer server =
            relay(TestCertificates.serverContext("wronghost.p12", true), frames, new CopyOnWriteArrayList<>());
        final DerpTarget target = new DerpTarget(true, "relay.test", server.port(), "wrong.example",
            List.of(InetAddress.getLoopbackAddress()));
        final DerpClient client = client(target);
        client.connect();
        assertRelayWorks(client, frames);
    }
}
