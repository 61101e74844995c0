package dev.derphole.derp.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedKeyManager;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * A TLS private key and its certificate chain (leaf first), loadable from PEM files as the relay CLI's
 * {@code --tls-cert F --tls-key F} take them. Keys may be PKCS#8 ({@code PRIVATE KEY}: RSA, EC, Ed25519),
 * SEC1 ({@code EC PRIVATE KEY}) or PKCS#1 ({@code RSA PRIVATE KEY}); encrypted keys are refused. Immutable.
 */
public final class TlsCredentials {
    private static final String ALIAS = "derp";
    private static final char[] STORE_PASSWORD = "derp".toCharArray();
    private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    private static final ASN1ObjectIdentifier RSASSA_PSS = new ASN1ObjectIdentifier("1.2.840.113549.1.1.10");

    private final PrivateKey privateKey;
    private final X509Certificate[] chain;

    private TlsCredentials(final PrivateKey privateKey, final X509Certificate[] chain) {
        this.privateKey = privateKey;
        this.chain = chain;
    }

    /** Key and chain as they are; the chain must not be empty. */
    public static TlsCredentials of(final PrivateKey privateKey, final X509Certificate... chain) {
        Objects.requireNonNull(privateKey, "privateKey");
        if (chain.length == 0) {
            throw new IllegalArgumentException("certificate chain is empty");
        }
        return new TlsCredentials(privateKey, chain.clone());
    }

    /**
     * Loads a PEM certificate chain file (leaf first) and a PEM private key file.
     *
     * @throws IOException when a file cannot be read or holds no usable certificate or key; the message names the file
     */
    public static TlsCredentials loadPem(final Path certChainFile, final Path privateKeyFile) throws IOException {
        return fromPem(readText(certChainFile), certChainFile.toString(), readText(privateKeyFile),
            privateKeyFile.toString());
    }

    /** Like {@link #loadPem} for PEM text held in memory; the names only appear in error messages. */
    public static TlsCredentials fromPem(
        final String certChainPem, final String certName, final String privateKeyPem, final String keyName)
        throws IOException {
        final X509Certificate[] chain = parseChain(certChainPem, certName);
        return new TlsCredentials(parseKey(privateKeyPem, keyName), chain);
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The chain, leaf first (a copy). */
    public X509Certificate[] chain() {
        return chain.clone();
    }

    /** A server TLS context serving exactly this chain. */
    public SSLContext toSslContext() throws GeneralSecurityException {
        return toSslContext(null);
    }

    /** A server TLS context whose chain ends with {@code extra} (derper's meta cert), when not null. */
    SSLContext toSslContext(final X509Certificate extra) throws GeneralSecurityException {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (final IOException e) {
            throw new GeneralSecurityException("cannot create an in-memory key store", e);
        }
        store.setKeyEntry(ALIAS, privateKey, STORE_PASSWORD, chain);
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(store, STORE_PASSWORD);
        KeyManager[] managers = kmf.getKeyManagers();
        if (extra != null) {
            managers = Arrays.copyOf(managers, managers.length);
            for (int i = 0; i < managers.length; i++) {
                if (managers[i] instanceof X509ExtendedKeyManager km) {
                    managers[i] = new AppendingKeyManager(km, extra);
                }
            }
        }
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers, null, null);
        return context;
    }

    private static String readText(final Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (final IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private record PemBlock(String label, byte[] der) {
    }

    private static List<PemBlock> pemBlocks(final String text, final String name) throws IOException {
        final List<PemBlock> blocks = new ArrayList<>();
        int from = 0;
        while (true) {
            final int begin = text.indexOf("-----BEGIN ", from);
            if (begin < 0) {
                return blocks;
            }
            final int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) {
                throw new IOException(name + ": unterminated PEM header");
            }
            final String label = text.substring(begin + 11, labelEnd);
            final String endMarker = "-----END " + label + "-----";
            final int end = text.indexOf(endMarker, labelEnd + 5);
            if (end < 0) {
                throw new IOException(name + ": missing " + endMarker);
            }
            final String body = text.substring(labelEnd + 5, end);
            if (body.indexOf(':') >= 0) {
                throw new IOException(name + ": PEM block " + label
                    + " has headers (encrypted keys are not supported)");
            }
            try {
                blocks.add(new PemBlock(label, Base64.getMimeDecoder().decode(body)));
            } catch (final IllegalArgumentException e) {
                throw new IOException(name + ": PEM block " + label + " is not base64", e);
            }
            from = end + endMarker.length();
        }
    }

    private static X509Certificate[] parseChain(final String pem, final String name) throws IOException {
        final List<X509Certificate> certs = new ArrayList<>();
        try {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (final PemBlock block : pemBlocks(pem, name)) {
                if (block.label().equals("CERTIFICATE")) {
                    certs.add((X509Certificate)factory.generateCertificate(new ByteArrayInputStream(block.der())));
                }
            }
        } catch (final GeneralSecurityException e) {
            throw new IOException(name + ": bad certificate: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IOException(name + ": no CERTIFICATE block found");
        }
        return certs.toArray(new X509Certificate[0]);
    }

    private static PrivateKey parseKey(final String pem, final String name) throws IOException {
        for (final PemBlock block : pemBlocks(pem, name)) {
            try {
                switch (block.label()) {
                    case "PRIVATE KEY":
                        return pkcs8(PrivateKeyInfo.getInstance(block.der()));
                    case "EC PRIVATE KEY": {
                        final ECPrivateKey sec1 = ECPrivateKey.getInstance(block.der());
                        if (sec1.getParametersObject() == null) {
                            throw new IOException(name + ": EC PRIVATE KEY without curve parameters");
                        }
                        return pkcs8(new PrivateKeyInfo(
                            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, sec1.getParametersObject()),
                            sec1));
                    }
                    case "RSA PRIVATE KEY":
                        return pkcs8(new PrivateKeyInfo(
                            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                            RSAPrivateKey.getInstance(block.der())));
                    case "ENCRYPTED PRIVATE KEY":
                        throw new IOException(name + ": encrypted private keys are not supported; decrypt it first");
                    default:
                        break;
                }
            } catch (final GeneralSecurityException | IllegalArgumentException | IllegalStateException e) {
                throw new IOException(name + ": bad " + block.label() + ": " + e.getMessage(), e);
            }
        }
        throw new IOException(name + ": no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found");
    }

    private static PrivateKey pkcs8(final PrivateKeyInfo info) throws IOException, GeneralSecurityException {
        final ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        final String algorithm;
        if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            algorithm = "RSA";
        } else if (oid.equals(RSASSA_PSS)) {
            algorithm = "RSASSA-PSS";
        } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            algorithm = "EC";
        } else if (oid.equals(ED25519)) {
            algorithm = "Ed25519";
        } else {
            throw new GeneralSecurityException("unsupported key algorithm " + oid);
        }
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    }

    @Override
    public String toString() {
        return "TlsCredentials[" + chain[0].getSubjectX500Principal() + ", chain=" + chain.length + "]";
    }
}
