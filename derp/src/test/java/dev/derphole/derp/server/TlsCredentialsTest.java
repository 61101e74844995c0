package dev.derphole.derp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.derphole.crypto.nacl.Curve25519KeyPair;
import dev.derphole.derp.proto.NodeKey;

@Timeout(60)
class TlsCredentialsTest {
    @TempDir
    Path dir;

    @Test
    void shouldLoadPkcs8AndSec1EcKeysFromFiles() throws Exception {
        final Path cert = write("cert.pem", TestTls.resource("relay-cert.pem"));
        final TlsCredentials pkcs8 = TlsCredentials.loadPem(cert, write("key.pem", TestTls.resource("relay-key.pem")));
        final TlsCredentials sec1 =
            TlsCredentials.loadPem(cert, write("sec1.pem", TestTls.resource("relay-key-sec1.pem")));
        assertThat(pkcs8.privateKey().getAlgorithm()).isEqualTo("EC");
        assertThat(((ECPrivateKey)sec1.privateKey()).getS()).isEqualTo(((ECPrivateKey)pkcs8.privateKey()).getS());
        assertThat(pkcs8.chain()).hasSize(1);
        assertThat(pkcs8.chain()[0].getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertMatches(pkcs8);
        assertThat(pkcs8.toSslContext()).isInstanceOf(SSLContext.class);
    }

    @Test
    void shouldLoadAPkcs1RsaKey() throws Exception {
        final TlsCredentials rsa = TlsCredentials.fromPem(TestTls.resource("rsa-cert.pem"), "rsa-cert.pem",
            TestTls.resource("rsa-key-pkcs1.pem"), "rsa-key-pkcs1.pem");
        assertThat(rsa.privateKey().getAlgorithm()).isEqualTo("RSA");
        assertMatches(rsa);
    }

    @Test
    void shouldNameTheFileInErrors() throws Exception {
        final Path cert = write("cert.pem", TestTls.resource("relay-cert.pem"));
        final Path empty = write("empty.pem", "nothing here\n");
        assertThatThrownBy(() -> TlsCredentials.loadPem(cert, empty))
            .isInstanceOf(IOException.class).hasMessageContaining("empty.pem").hasMessageContaining("no PRIVATE KEY");
        assertThatThrownBy(() -> TlsCredentials.loadPem(empty, cert))
            .isInstanceOf(IOException.class).hasMessageContaining("empty.pem").hasMessageContaining("no CERTIFICATE");
        assertThatThrownBy(() -> TlsCredentials.loadPem(dir.resolve("missing.pem"), cert))
            .isInstanceOf(IOException.class).hasMessageContaining("missing.pem");
        final Path encrypted = write("enc.pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
            + "-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsCredentials.loadPem(cert, encrypted)).hasMessageContaining("encrypted");
        final Path broken = write("broken.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsCredentials.loadPem(cert, broken))
            .isInstanceOf(IOException.class).hasMessageContaining("broken.pem");
    }

    @Test
    void shouldBuildAMetaCertLikeDerper() throws Exception {
        final NodeKey serverKey = NodeKey.of(Curve25519KeyPair.generate().publicKey());
        final Instant now = Instant.parse("2026-06-01T00:00:00Z");
        final X509Certificate meta = MetaCert.create(serverKey, now);
        assertThat(meta.getSubjectX500Principal().getName()).isEqualTo("CN=derpkey" + serverKey.toHex());
        assertThat(meta.getIssuerX500Principal()).isEqualTo(meta.getSubjectX500Principal());
        assertThat(meta.getSerialNumber().intValue()).isEqualTo(2);
        assertThat(meta.getVersion()).isEqualTo(3);
        assertThat(meta.getSigAlgName()).isEqualTo("Ed25519");
        assertThat(meta.getNotBefore()).isEqualTo(Date.from(Instant.parse("2026-05-02T00:00:00Z")));
        assertThat(meta.getNotAfter()).isEqualTo(Date.from(Instant.parse("2026-07-01T00:00:00Z")));
        assertThat(meta.getBasicConstraints()).isEqualTo(-1);
        assertThat(meta.getCriticalExtensionOIDs()).containsExactly("2.5.29.19");
        meta.verify(meta.getPublicKey());
        assertThat(MetaCert.serverKeyOf(meta)).isEqualTo(serverKey);
        assertThat(MetaCert.serverKeyOf(TestTls.certificate())).isNull();
    }

    private static void assertMatches(final TlsCredentials credentials) throws Exception {
        final String algorithm = credentials.privateKey().getAlgorithm().equals("RSA") ? "SHA256withRSA"
            : "SHA256withECDSA";
        final Signature sign = Signature.getInstance(algorithm);
        sign.initSign(credentials.privateKey());
        sign.update(new byte[] {1, 2, 3});
        final byte[] sig = sign.sign();
        final Signature verify = Signature.getInstance(algorithm);
        verify.initVerify(credentials.chain()[0].getPublicKey());
        verify.update(new byte[] {1, 2, 3});
        assertThat(verify.verify(sig)).as("key matches certificate").isTrue();
    }

    private Path write(final String name, final String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }
}
