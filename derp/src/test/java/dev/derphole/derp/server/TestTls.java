package dev.derphole.derp.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The test TLS material under {@code src/test/resources/tls/} (see its README): a self-signed EC certificate for
 * localhost / 127.0.0.1 / ::1. Shared with other modules' tests through the derp test-jar. Stateless.
 */
public final class TestTls {
    /** Classpath folder of the PEM files. */
    public static final String FOLDER = "/tls/";
    public static final String CERT = "relay-cert.pem";
    public static final String KEY = "relay-key.pem";

    private TestTls() {
    }

    /** Text of a file in the tls resource folder. */
    public static String resource(final String name) {
        try (InputStream in = TestTls.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The relay's key and certificate. */
    public static TlsCredentials credentials() {
        try {
            return TlsCredentials.fromPem(resource(CERT), CERT, resource(KEY), KEY);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The relay certificate. */
    public static X509Certificate certificate() {
        try {
            return (X509Certificate)CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(resource(CERT).getBytes(StandardCharsets.US_ASCII)));
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context that trusts exactly the test relay certificate (normal hostname checks still apply). */
    public static SSLContext clientSslContext() {
        try {
            final KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("test-relay", certificate());
            final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (final GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the test trust store", e);
        }
    }
}
