// Checks the cabinet's DSTU 4145 / GOST 34.311 work with Bouncy Castle (Debian's libbcprov-java, libbcpkix-java):
// an implementation written by others. devtools.bouncy_castle compiles and runs it for the tests.
//
//   hash <file>                                GOST 34.311 (S-box ДКЕ №1) of the file, hex
//   verify-cert <cert.der> <issuer.der>        the issuer's DSTU 4145 signature on a certificate
//   verify-crl <crl.der> <issuer.der>          ... on a CRL
//   verify-cms <cms.der> <document> <ca.der>   a detached CAdES-BES signature as Ukrainian verifiers check it
//   sign <curve-oid> <d-hex> <file>            Bouncy Castle's DSTU 4145 signature of the file (hex, as its
//                                              Signature API gives it: r‖s little-endian in an OCTET STRING)
//   jks-key <store.jks> <password>             the JDK opens a Java KeyStore and its first key entry with the
//                                              password: the key's PKCS#8 bytes (hex)
//
// Prints OK (or the value) on success; otherwise the reason on stderr and exit code 1.
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.ua.DSTU4145Params;
import org.bouncycastle.asn1.ua.UAObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.crypto.digests.GOST3411Digest;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.util.encoders.Hex;

public class DstuCheck {
    private static final ASN1ObjectIdentifier GOST34311 = new ASN1ObjectIdentifier("1.2.804.2.1.1.1.1.2.1");

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        try {
            switch (args[0]) {
                case "hash":
                    System.out.println(Hex.toHexString(gost34311(read(args[1]))));
                    break;
                case "verify-cert":
                    certificate(args[1]).verify(certificate(args[2]).getPublicKey(), "BC");
                    System.out.println("OK");
                    break;
                case "verify-crl":
                    X509CRL crl = (X509CRL) factory().generateCRL(new ByteArrayInputStream(read(args[1])));
                    crl.verify(certificate(args[2]).getPublicKey(), "BC");
                    System.out.println("OK");
                    break;
                case "verify-cms":
                    verifyCms(read(args[1]), read(args[2]), certificate(args[3]));
                    System.out.println("OK");
                    break;
                case "jks-key":
                    System.out.println(Hex.toHexString(jksKey(read(args[1]), args[2].toCharArray())));
                    break;
                case "sign":
                    System.out.println(Hex.toHexString(sign(args[1], new BigInteger(args[2], 16), read(args[3]))));
                    break;
                default:
                    throw new IllegalArgumentException("unknown command " + args[0]);
            }
        } catch (Exception problem) {
            System.err.println(problem);
            System.exit(1);
        }
    }

    private static byte[] jksKey(byte[] store, char[] password) throws Exception {
        java.security.KeyStore keys = java.security.KeyStore.getInstance("JKS");
        keys.load(new ByteArrayInputStream(store), password);
        // the JDK's key protector recovers the key's bytes, checking them against the password's digest
        return keys.getKey(keys.aliases().nextElement(), password).getEncoded();
    }

    private static void verifyCms(byte[] cms, byte[] document, X509Certificate ca) throws Exception {
        CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(document), cms);
        SignerInformation signer = signed.getSignerInfos().getSigners().iterator().next();
        if (!signer.getDigestAlgOID().equals(GOST34311.getId())) {
            throw new IllegalStateException("digest algorithm " + signer.getDigestAlgOID());
        }
        X509CertificateHolder holder = (X509CertificateHolder) signed.getCertificates()
            .getMatches(signer.getSID()).iterator().next();
        X509Certificate certificate = (X509Certificate) factory()
            .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
        AttributeTable attributes = signer.getSignedAttributes();

        byte[] messageDigest = ASN1OctetString.getInstance(value(attributes, CMSAttributes.messageDigest)).getOctets();
        if (!Arrays.equals(messageDigest, gost34311(document))) {
            throw new IllegalStateException("message digest differs from GOST 34.311 of the document");
        }
        ESSCertIDv2 certId = SigningCertificateV2.getInstance(
            value(attributes, PKCSObjectIdentifiers.id_aa_signingCertificateV2)).getCerts()[0];
        if (!certId.getHashAlgorithm().getAlgorithm().equals(GOST34311)
                || !Arrays.equals(certId.getCertHash(), gost34311(certificate.getEncoded()))) {
            throw new IllegalStateException("signing-certificate-v2 does not name the signer's certificate");
        }
        if (value(attributes, CMSAttributes.signingTime) == null) {
            throw new IllegalStateException("no signing time");
        }

        Signature dstu = Signature.getInstance("GOST3411WITHDSTU4145LE", "BC");
        dstu.initVerify(certificate.getPublicKey());
        dstu.update(signer.getEncodedSignedAttributes());
        // Ukrainian CMS carries r‖s as the SignerInfo's signature; Bouncy Castle's Signature wants it in an
        // OCTET STRING, as certificates carry it
        if (!dstu.verify(new DEROctetString(signer.getSignature()).getEncoded())) {
            throw new IllegalStateException("the DSTU 4145 signature does not verify");
        }
        certificate.verify(ca.getPublicKey(), "BC");
        certificate.checkValidity();
    }

    private static byte[] sign(String curveOid, BigInteger d, byte[] data) throws Exception {
        PrivateKeyInfo info = new PrivateKeyInfo(
            new AlgorithmIdentifier(UAObjectIdentifiers.dstu4145le,
                new DSTU4145Params(new ASN1ObjectIdentifier(curveOid))),
            new ASN1Integer(d));
        PrivateKey key = KeyFactory.getInstance("DSTU4145", "BC")
            .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        Signature dstu = Signature.getInstance("GOST3411WITHDSTU4145LE", "BC");
        dstu.initSign(key);
        dstu.update(data);
        return dstu.sign();
    }

    private static ASN1Encodable value(AttributeTable attributes, ASN1ObjectIdentifier type) {
        Attribute attribute = attributes.get(type);
        return attribute == null ? null : attribute.getAttrValues().getObjectAt(0);
    }

    private static byte[] gost34311(byte[] data) {
        // the packed ДКЕ of DSTU 4145 parameters, two nibbles a byte, expanded as Bouncy Castle's DSTU code does
        byte[] dke = DSTU4145Params.getDefaultDKE();
        byte[] sbox = new byte[2 * dke.length];
        for (int i = 0; i < dke.length; i++) {
            sbox[2 * i] = (byte) ((dke[i] >> 4) & 0xF);
            sbox[2 * i + 1] = (byte) (dke[i] & 0xF);
        }
        GOST3411Digest digest = new GOST3411Digest(sbox);
        digest.update(data, 0, data.length);
        byte[] out = new byte[digest.getDigestSize()];
        digest.doFinal(out, 0);
        return out;
    }

    private static CertificateFactory factory() throws Exception {
        return CertificateFactory.getInstance("X.509", "BC");
    }

    private static X509Certificate certificate(String path) throws Exception {
        return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(read(path)));
    }

    private static byte[] read(String path) throws Exception {
        return Files.readAllBytes(Paths.get(path));
    }
}
