package dev.derphole.derp.client;

import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS contexts for DERP: the JDK's PKIX trust (WebPKI roots from {@code cacerts}, or the given anchors) wrapped
 * in a {@link MetaCertTolerantTrustManager}. Hostname verification and SNI are set per socket by the dialer.
 * Thread-safe.
 */
public final class DerpTls {
    private static volatile SSLContext defaultContext;

    private DerpTls() {
    }

    /**
     * Builds {@link #defaultContext()} on a daemon thread ({@code derphole-tls-prepare}): loading the JDK's trust
     * store takes ~0.1 s, which then overlaps the rest of start-up (token, DNS, TCP connect) instead of delaying the
     * TLS handshake. Harmless to skip; a failure shows again, and is reported, when a connection needs the context.
     *
     * @return the thread (tests join it)
     */
    public static Thread prepareInBackground() {
        return Thread.ofPlatform().daemon().name("derphole-tls-prepare").start(() -> {
            try {
                defaultContext();
            } catch (final IllegalStateException e) {
                // The dial that needs the context fails with the same message.
            }
        });
    }

    /** The JDK's default trust anchors, meta-cert tolerant; created once. */
    public static SSLContext defaultContext() {
        SSLContext context = defaultContext;
        if (context == null) {
            synchronized (DerpTls.class) {
                context = defaultContext;
                if (context == null) {
                    context = contextTrusting(null);
                    defaultContext = context;
                }
            }
        }
        return context;
    }

    /**
     * A client context trusting {@code anchors} (null: the JDK's default trust store), meta-cert tolerant.
     *
     * @throws IllegalStateException when the JDK cannot build a PKIX trust manager from them
     */
    public static SSLContext contextTrusting(final KeyStore anchors) {
        try {
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager(anchors)}, null);
            return context;
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for DERP: " + e.getMessage(), e);
        }
    }

    /** The JDK's PKIX trust manager for {@code anchors} (null: default trust store), meta-cert tolerant. */
    public static X509ExtendedTrustManager trustManager(final KeyStore anchors) throws GeneralSecurityException {
        final TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(anchors);
        for (final TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x509) {
                return new MetaCertTolerantTrustManager(x509);
            }
        }
        throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
    }
}
