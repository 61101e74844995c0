package dev.derphole.derp.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;

import dev.derphole.derp.proto.DerpProtocol;
import dev.derphole.derp.proto.NodeKey;

/**
 * derper's "meta certificate" (tailscale {@code derpserver.go initMetacert}): a throwaway self-signed Ed25519
 * certificate appended after the real chain, whose subject CN is {@code derpkey<64 hex of the server key>} and
 * whose serial number is the DERP protocol version. A Tailscale client that finds it in a TLS 1.3 handshake
 * ({@code derphttp parseMetaCert}) knows the server key already, sends {@code Derp-Fast-Start: 1} and skips
 * waiting for the 101 response. Validity is now ± 30 days with basic constraints (CA false), as derper makes it.
 */
final class MetaCert {
    /** {@code derpconst.MetaCertCommonNamePrefix}. */
    static final String COMMON_NAME_PREFIX = "derpkey";

    private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    private static final Duration HALF_VALIDITY = Duration.ofDays(30);

    private MetaCert() {
    }

    static X509Certificate create(final NodeKey serverKey, final Instant now) throws GeneralSecurityException {
        final KeyPair signer = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        final AlgorithmIdentifier algorithm = new AlgorithmIdentifier(ED25519);
        final X500Name name = new X500Name(new RDN[] {
            new RDN(BCStyle.CN, new DERPrintableString(COMMON_NAME_PREFIX + serverKey.toHex()))});

        final V3TBSCertificateGenerator tbsGen = new V3TBSCertificateGenerator();
        tbsGen.setSerialNumber(new ASN1Integer(DerpProtocol.PROTOCOL_VERSION));
        tbsGen.setSignature(algorithm);
        tbsGen.setIssuer(name);
        tbsGen.setSubject(name);
        tbsGen.setStartDate(new Time(Date.from(now.minus(HALF_VALIDITY))));
        tbsGen.setEndDate(new Time(Date.from(now.plus(HALF_VALIDITY))));
        tbsGen.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(signer.getPublic().getEncoded()));
        try {
            // macOS wants basic constraints when subject == issuer (derper's comment, Go issue 51759).
            final ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            tbsGen.setExtensions(extensions.generate());
            final TBSCertificate tbs = tbsGen.generateTBSCertificate();

            final Signature signature = Signature.getInstance("Ed25519");
            signature.initSign(signer.getPrivate());
            signature.update(tbs.getEncoded(ASN1Encoding.DER));
            final byte[] der = new DERSequence(new ASN1Encodable[] {
                tbs, algorithm, new DERBitString(signature.sign())}).getEncoded(ASN1Encoding.DER);
            return (X509Certificate)CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        } catch (final IOException e) {
            throw new GeneralSecurityException("cannot encode the DERP meta certificate", e);
        }
    }

    /** The server key a meta cert announces, or null when {@code cert} is not one (mirrors {@code parseMetaCert}). */
    static NodeKey serverKeyOf(final X509Certificate cert) {
        final String dn = cert.getSubjectX500Principal().getName();
        final String prefix = "CN=" + COMMON_NAME_PREFIX;
        if (!dn.startsWith(prefix) || cert.getSerialNumber().bitLength() > 8) {
            return null;
        }
        try {
            return NodeKey.parse(dn.substring(prefix.length()));
        } catch (final IllegalArgumentException e) {
            return null;
        }
    }
}
