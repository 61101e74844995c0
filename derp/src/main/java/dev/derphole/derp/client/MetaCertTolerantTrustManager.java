package dev.derphole.derp.client;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Locale;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Validates a DERP relay's certificate chain with the wrapped (normally the JDK's PKIX) trust manager, after
 * cutting the chain down to the prefix that forms an issuer path from the leaf. derper appends a self-signed
 * "meta cert" (subject CN {@code derpkey<64 hex>}, serial = protocol version) to its TLS chain so that clients
 * can learn the server key early (tailscale {@code derphttp_client.go parseMetaCert}); Go's verifier treats it
 * as an unused intermediate, and we make sure it never reaches PKIX either. Hostname verification is left to
 * the delegate (endpoint identification {@code HTTPS}, set on the socket).
 * <p>
 * Thread-safe if the delegate is (the JDK's is).
 */
public final class MetaCertTolerantTrustManager extends X509ExtendedTrustManager {
    /** CN prefix of derper's meta cert (tailscale {@code derpconst.MetaCertCommonNamePrefix}). */
    public static final String META_CERT_CN_PREFIX = "derpkey";

    private final X509ExtendedTrustManager delegate;

    public MetaCertTolerantTrustManager(final X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    /**
     * The leaf and every following certificate that issued its predecessor, stopping at the first one that did
     * not (or that is a meta cert). Returns {@code chain} itself when nothing is cut.
     */
    public static X509Certificate[] pathPrefix(final X509Certificate[] chain) {
        if (chain == null || chain.length <= 1) {
            return chain;
        }
        int length = 1;
        while (length < chain.length) {
            final X509Certificate next = chain[length];
            if (isMetaCert(next)
                || !next.getSubjectX500Principal().equals(chain[length - 1].getIssuerX500Principal())) {
                break;
            }
            length++;
        }
        return length == chain.length ? chain : Arrays.copyOf(chain, length);
    }

    /** True when the certificate's subject CN starts with {@code derpkey}. */
    public static boolean isMetaCert(final X509Certificate cert) {
        final String cn = commonName(cert);
        return cn != null && cn.toLowerCase(Locale.ROOT).startsWith(META_CERT_CN_PREFIX);
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
        throws CertificateException {
        delegate.checkServerTrusted(pathPrefix(chain), authType, socket);
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
        throws CertificateException {
        delegate.checkServerTrusted(pathPrefix(chain), authType, engine);
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType) throws CertificateException {
        delegate.checkServerTrusted(pathPrefix(chain), authType);
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType, final Socket socket)
        throws CertificateException {
        delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType, final SSLEngine engine)
        throws CertificateException {
        delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType) throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }

    private static String commonName(final X509Certificate cert) {
        try {
            final LdapName name = new LdapName(cert.getSubjectX500Principal().getName());
            for (final Rdn rdn : name.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
            return null;
        } catch (final InvalidNameException e) {
            return null;
        }
    }
}
