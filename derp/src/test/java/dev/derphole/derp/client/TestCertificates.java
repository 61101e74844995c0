package dev.derphole.derp.client;

import dev.derphole.derp.server.AppendingKeyManager;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The committed test keystores under {@code client-tls/} (see its README) as TLS contexts: a server presenting
 * {@code localhost} or {@code wrong.example}, optionally with derper's meta cert appended to its chain, and a
 * client trusting the test root CA.
 */
final class TestCertificates {
    static final char[] PASSWORD = "changeit".toCharArray();

    private TestCertificates() {
    }

    static KeyStore load(final String name) throws IOException, GeneralSecurityException {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = TestCertificates.class.getResourceAsStream("/client-tls/" + name)) {
            if (in == null) {
                throw new IOException("missing test keystore client-tls/" + name);
            }
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    /** Client context trusting the test root CA, built the way production code builds its default one. */
    static SSLContext clientContext() throws IOException, GeneralSecurityException {
        return DerpTls.contextTrusting(load("truststore.p12"));
    }

    /** The chain of key {@code derp} in {@code keystore}: leaf, intermediate, root. */
    static X509Certificate[] chain(final String keystore) throws IOException, GeneralSecurityException {
        final java.security.cert.Certificate[] c = load(keystore).getCertificateChain("derp");
        return Arrays.copyOf(c, c.length, X509Certificate[].class);
    }

    static X509Certificate metaCert() throws IOException, GeneralSecurityException {
        return (X509Certificate)load("meta.p12").getCertificate("meta");
    }

    /** Server context for {@code keystore}; with {@code appendMetaCert} its chain ends with the meta cert. */
    static SSLContext serverContext(final String keystore, final boolean appendMetaCert)
        throws IOException, GeneralSecurityException {
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keystore), PASSWORD);
        X509ExtendedKeyManager km = null;
        for (final KeyManager m : kmf.getKeyManagers()) {
            if (m instanceof X509ExtendedKeyManager x) {
                km = x;
            }
        }
        if (km == null) {
            throw new GeneralSecurityException("no X509ExtendedKeyManager");
        }
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {appendMetaCert ? new AppendingKeyManager(km, metaCert()) : km}, null, null);
        return context;
    }

}
