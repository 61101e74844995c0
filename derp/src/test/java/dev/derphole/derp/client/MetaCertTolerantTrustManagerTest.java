package dev.derphole.derp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The chain-cutting trust manager, on the committed test certificates (client-tls/README.md). */
@Timeout(30)
class MetaCertTolerantTrustManagerTest {
    private final X509Certificate[] chain = TestCertificates.chain("server.p12");
    private final X509Certificate leaf = chain[0];
    private final X509Certificate intermediate = chain[1];
    private final X509Certificate root = chain[2];
    private final X509Certificate meta = TestCertificates.metaCert();

    MetaCertTolerantTrustManagerTest() throws Exception {
    }

    @Test
    void shouldCutTheTrailingMetaCert() {
        assertThat(MetaCertTolerantTrustManager.pathPrefix(new X509Certificate[] {leaf, intermediate, root, meta}))
            .containsExactly(leaf, intermediate, root);
        assertThat(MetaCertTolerantTrustManager.pathPrefix(new X509Certificate[] {leaf, intermediate, meta}))
            .containsExactly(leaf, intermediate);
        assertThat(MetaCertTolerantTrustManager.pathPrefix(new X509Certificate[] {leaf, meta}))
            .containsExactly(leaf);
    }

    @Test
    void shouldKeepAnOrderedChainAsItIs() {
        final X509Certificate[] ordered = {leaf, intermediate, root};
        assertThat(MetaCertTolerantTrustManager.pathPrefix(ordered)).isSameAs(ordered);
        final X509Certificate[] single = {leaf};
        assertThat(MetaCertTolerantTrustManager.pathPrefix(single)).isSameAs(single);
    }

    @Test
    void shouldStopAtTheFirstCertificateThatDidNotIssueItsPredecessor() {
        // The root did not issue the leaf (the intermediate did): everything from it on is cut.
        assertThat(MetaCertTolerantTrustManager.pathPrefix(new X509Certificate[] {leaf, root, intermediate}))
            .containsExactly(leaf);
        // A meta cert in the middle ends the path even if more certificates follow.
        assertThat(MetaCertTolerantTrustManager.pathPrefix(new X509Certificate[] {leaf, meta, intermediate, root}))
            .containsExactly(leaf);
    }

    @Test
    void shouldRecogniseTheMetaCertByItsCommonName() {
        assertThat(MetaCertTolerantTrustManager.isMetaCert(meta)).isTrue();
        assertThat(MetaCertTolerantTrustManager.isMetaCert(leaf)).isFalse();
        assertThat(MetaCertTolerantTrustManager.isMetaCert(root)).isFalse();
    }

    @Test
    void shouldHandTheDelegateOnlyTheCutChainOnEveryServerPath() throws Exception {
        final List<X509Certificate[]> seen = new ArrayList<>();
        final X509ExtendedTrustManager recording = new Recording(seen);
        final MetaCertTolerantTrustManager tm = new MetaCertTolerantTrustManager(recording);
        final X509Certificate[] sent = {leaf, intermediate, root, meta};
        tm.checkServerTrusted(sent, "ECDHE_ECDSA");
        tm.checkServerTrusted(sent, "ECDHE_ECDSA", (Socket)null);
        tm.checkServerTrusted(sent, "ECDHE_ECDSA", (SSLEngine)null);
        assertThat(seen).hasSize(3).allSatisfy(c -> assertThat(c).containsExactly(leaf, intermediate, root));
        // Client chains are not ours to edit.
        tm.checkClientTrusted(sent, "ECDHE_ECDSA");
        assertThat(seen.get(3)).hasSize(4);
    }

    @Test
    void shouldValidateWithTheJdkPkixTrustManager() throws Exception {
        final X509ExtendedTrustManager tm = DerpTls.trustManager(TestCertificates.load("truststore.p12"));
        tm.checkServerTrusted(new X509Certificate[] {leaf, intermediate, root, meta}, "ECDHE_ECDSA");
        tm.checkServerTrusted(new X509Certificate[] {leaf, intermediate, meta}, "ECDHE_ECDSA");
        // Cutting never makes an incomplete chain valid: without the intermediate there is no path.
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {leaf, meta}, "ECDHE_ECDSA"))
            .isInstanceOf(CertificateException.class);
        // And a chain to a root nobody trusts still fails.
        final X509ExtendedTrustManager webPki = DerpTls.trustManager(null);
        assertThatThrownBy(() -> webPki.checkServerTrusted(new X509Certificate[] {leaf, intermediate, root, meta},
            "ECDHE_ECDSA")).isInstanceOf(CertificateException.class);
    }

    /** Records the chains it is asked to check; accepts them all. */
    private static final class Recording extends X509ExtendedTrustManager {
        private final List<X509Certificate[]> seen;

        Recording(final List<X509Certificate[]> seen) {
            this.seen = seen;
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] c, final String a, final Socket s) {
            seen.add(c);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] c, final String a, final Socket s) {
            seen.add(c);
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] c, final String a, final SSLEngine e) {
            seen.add(c);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] c, final String a, final SSLEngine e) {
            seen.add(c);
        }

        @Override
        public void checkClientTrusted(final X509Certificate[] c, final String a) {
            seen.add(c);
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] c, final String a) {
            seen.add(c);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
