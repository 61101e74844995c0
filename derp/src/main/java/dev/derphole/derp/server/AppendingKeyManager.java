package dev.derphole.derp.server;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Serves the delegate's certificate chain with one more certificate at the end — how derper appends its
 * "meta cert" (CN {@code derpkey<hex>}) so Tailscale clients can skip the HTTP upgrade. Everything else is
 * delegated. Thread-safe if the delegate is.
 */
public final class AppendingKeyManager extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager delegate;
    private final X509Certificate extra;

    public AppendingKeyManager(final X509ExtendedKeyManager delegate, final X509Certificate extra) {
        this.delegate = delegate;
        this.extra = extra;
    }

    @Override
    public X509Certificate[] getCertificateChain(final String alias) {
        final X509Certificate[] chain = delegate.getCertificateChain(alias);
        if (chain == null) {
            return null;
        }
        final X509Certificate[] out = Arrays.copyOf(chain, chain.length + 1);
        out[chain.length] = extra;
        return out;
    }

    @Override
    public String[] getClientAliases(final String keyType, final Principal[] issuers) {
        return delegate.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(final String[] keyType, final Principal[] issuers, final Socket socket) {
        return delegate.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(final String keyType, final Principal[] issuers) {
        return delegate.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(final String keyType, final Principal[] issuers, final Socket socket) {
        return delegate.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(final String keyType, final Principal[] issuers, final SSLEngine engine) {
        return delegate.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public String chooseEngineClientAlias(final String[] keyType, final Principal[] issuers, final SSLEngine engine) {
        return delegate.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public PrivateKey getPrivateKey(final String alias) {
        return delegate.getPrivateKey(alias);
    }
}
