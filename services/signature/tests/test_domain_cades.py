import hashlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

from devtools.testca import CertificationAuthority, IssuedCertificate, create_ca, revoke
from signature.domain.cades import (
    PreparedSignature,
    SignatureError,
    SignatureFailure,
    assemble,
    ecdsa_raw_to_der,
    prepare,
    verify,
)
from signature.domain.certificates import CertificateFailure, TrustStore

DOCUMENT = "Рахунок № 0789/11 від 23.11.2026 на суму 1 238,88 грн\n".encode() * 50


def sign_like_webcrypto(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256 / SHA-256 as ``crypto.subtle.sign`` returns it: raw r||s, 32 bytes each."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign_document(signer: IssuedCertificate, ca: CertificationAuthority, document: bytes = DOCUMENT) -> bytes:
    prepared = prepare(hashlib.sha256(document).digest(), signer.certificate, datetime.now(UTC))
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    return assemble(
        prepared, sign_like_webcrypto(signer.key, prepared.data_to_sign), signer.certificate, [ca.certificate]
    )


def openssl_verify(
    tmp_path: Path, signature: bytes, document: bytes, ca: CertificationAuthority
) -> subprocess.CompletedProcess[str]:
    openssl = shutil.which("openssl")
    assert openssl, "openssl must be installed"
    (tmp_path / "signature.p7s").write_bytes(signature)
    (tmp_path / "document.bin").write_bytes(document)
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    command = [
        openssl, "cms", "-verify", "-binary", "-inform", "DER",
        "-in", str(tmp_path / "signature.p7s"),
        "-content", str(tmp_path / "document.bin"),
        "-CAfile", str(tmp_path / "ca.pem"),
        "-purpose", "any",
        "-out", str(tmp_path / "verified.bin"),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)


def test_browser_style_signature_verifies_with_openssl_and_with_us(
    tmp_path: Path,
    signer: IssuedCertificate,
    ca: CertificationAuthority,
    trust: TrustStore,
    consumer_edrpou: str,
) -> None:
    signing_time = datetime.now(UTC)
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, signing_time)
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    raw_signature = sign_like_webcrypto(signer.key, prepared.data_to_sign)

    signature = assemble(prepared, raw_signature, signer.certificate, [ca.certificate])

    result = openssl_verify(tmp_path, signature, DOCUMENT, ca)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    verified = verify(
        signature,
        document_sha256=hashlib.sha256(DOCUMENT).digest(),
        trust=trust,
        at=datetime.now(UTC),
        expected_edrpou=consumer_edrpou,
    )
    assert verified.certificate_check.ok, verified.certificate_check.failures
    assert verified.certificate == signer.certificate
    assert verified.signer.edrpou == consumer_edrpou
    assert verified.signing_time == signing_time.replace(microsecond=0)


def test_document_changed_by_one_byte_fails_openssl_and_us(
    tmp_path: Path, signer: IssuedCertificate, ca: CertificationAuthority, trust: TrustStore
) -> None:
    signature = sign_document(signer, ca)
    changed = bytearray(DOCUMENT)
    changed[100] ^= 0x01

    result = openssl_verify(tmp_path, signature, bytes(changed), ca)
    assert result.returncode != 0
    assert "content verify error" in result.stderr
    with pytest.raises(SignatureError) as refused:
        verify(signature, document_sha256=hashlib.sha256(changed).digest(), trust=trust, at=datetime.now(UTC))
    assert refused.value.reason is SignatureFailure.MESSAGE_DIGEST_MISMATCH


def test_der_encoded_ecdsa_value_is_accepted_too(
    tmp_path: Path, signer: IssuedCertificate, ca: CertificationAuthority
) -> None:
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, datetime.now(UTC))
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    der_signature = signer.key.sign(prepared.data_to_sign, ec.ECDSA(hashes.SHA256()))

    signature = assemble(prepared, der_signature, signer.certificate)

    # Without the CA certificate inside, openssl finds it through -CAfile.
    result = openssl_verify(tmp_path, signature, DOCUMENT, ca)
    assert result.returncode == 0, result.stderr


def test_signature_by_another_key_is_refused_by_assemble(signer: IssuedCertificate) -> None:
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, datetime.now(UTC))
    stranger = ec.generate_private_key(ec.SECP256R1())

    for value in (
        sign_like_webcrypto(stranger, prepared.data_to_sign),
        stranger.sign(prepared.data_to_sign, ec.ECDSA(hashes.SHA256())),
    ):
        with pytest.raises(SignatureError) as refused:
            assemble(prepared, value, signer.certificate)
        assert refused.value.reason is SignatureFailure.SIGNATURE_INVALID


def test_signature_by_another_key_is_refused_by_verify_and_openssl(
    tmp_path: Path, signer: IssuedCertificate, ca: CertificationAuthority, trust: TrustStore
) -> None:
    content_info = cms.ContentInfo.load(sign_document(signer, ca))
    signer_info = content_info["content"]["signer_infos"][0]
    stranger = ec.generate_private_key(ec.SECP256R1())
    signed_bytes = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    signer_info["signature"] = stranger.sign(signed_bytes, ec.ECDSA(hashes.SHA256()))
    forged = content_info.dump(force=True)

    result = openssl_verify(tmp_path, forged, DOCUMENT, ca)
    assert result.returncode != 0
    assert "CMS_SignerInfo_verify:verification failure" in result.stderr
    with pytest.raises(SignatureError) as refused:
        verify(forged, document_sha256=hashlib.sha256(DOCUMENT).digest(), trust=trust, at=datetime.now(UTC))
    assert refused.value.reason is SignatureFailure.SIGNATURE_INVALID


def test_data_prepared_for_another_certificate_is_refused(
    signer: IssuedCertificate, ca: CertificationAuthority, issue_consumer
) -> None:
    other = issue_consumer(ca)
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, datetime.now(UTC))

    with pytest.raises(SignatureError) as refused:
        assemble(prepared, sign_like_webcrypto(other.key, prepared.data_to_sign), other.certificate)
    assert refused.value.reason is SignatureFailure.SIGNING_CERTIFICATE_MISMATCH


def test_certificate_swapped_inside_the_signature_is_refused(
    signer: IssuedCertificate, ca: CertificationAuthority, trust: TrustStore, issue_consumer
) -> None:
    """Another certificate with the signer's key (a re-issue) must not pass for the one that was signed."""
    reissued = issue_consumer(ca, key=signer.key).certificate
    content_info = cms.ContentInfo.load(sign_document(signer, ca))
    signed_data = content_info["content"]
    signed_data["certificates"] = [
        cms.CertificateChoices({"certificate": cms.Certificate.load(reissued.public_bytes(Encoding.DER))})
    ]
    signer_info = signed_data["signer_infos"][0]
    signer_info["sid"] = cms.SignerIdentifier(
        {
            "issuer_and_serial_number": {
                "issuer": signer_info["sid"].chosen["issuer"],
                "serial_number": reissued.serial_number,
            }
        }
    )
    forged = content_info.dump(force=True)

    with pytest.raises(SignatureError) as refused:
        verify(forged, document_sha256=hashlib.sha256(DOCUMENT).digest(), trust=trust, at=datetime.now(UTC))
    assert refused.value.reason is SignatureFailure.SIGNING_CERTIFICATE_MISMATCH


def test_signature_without_the_signer_certificate_is_refused(
    signer: IssuedCertificate, ca: CertificationAuthority, trust: TrustStore
) -> None:
    content_info = cms.ContentInfo.load(sign_document(signer, ca))
    content_info["content"]["certificates"] = [
        cms.CertificateChoices(
            {"certificate": cms.Certificate.load(ca.certificate.public_bytes(Encoding.DER))}
        )
    ]

    with pytest.raises(SignatureError) as refused:
        verify(
            content_info.dump(force=True),
            document_sha256=hashlib.sha256(DOCUMENT).digest(),
            trust=trust,
            at=datetime.now(UTC),
        )
    assert refused.value.reason is SignatureFailure.SIGNER_CERTIFICATE_MISSING


def test_rsa_pkcs1_signature_is_supported(
    tmp_path: Path, ca: CertificationAuthority, trust: TrustStore, issue_consumer
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issued = issue_consumer(ca, key=key)
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), issued.certificate, datetime.now(UTC))

    signature = assemble(
        prepared, key.sign(prepared.data_to_sign, padding.PKCS1v15(), hashes.SHA256()), issued.certificate
    )

    result = openssl_verify(tmp_path, signature, DOCUMENT, ca)
    assert result.returncode == 0, result.stderr
    verified = verify(
        signature, document_sha256=hashlib.sha256(DOCUMENT).digest(), trust=trust, at=datetime.now(UTC)
    )
    assert verified.certificate_check.ok


def test_certificate_problems_are_reported_with_a_sound_signature(
    issue_consumer, trust_of, consumer_edrpou: str
) -> None:
    ca = create_ca()
    issued = issue_consumer(ca)
    signature = sign_document(issued, ca)
    ca = revoke(ca, issued.certificate)

    verified = verify(
        signature,
        document_sha256=hashlib.sha256(DOCUMENT).digest(),
        trust=trust_of(ca),
        at=datetime.now(UTC),
        expected_edrpou="87654321",
    )

    assert set(verified.certificate_check.failures) == {
        CertificateFailure.REVOKED,
        CertificateFailure.EDRPOU_MISMATCH,
    }


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x01", b"not a signature at all"])
def test_garbage_is_malformed(garbage: bytes, trust: TrustStore) -> None:
    with pytest.raises(SignatureError) as refused:
        verify(garbage, document_sha256=hashlib.sha256(DOCUMENT).digest(), trust=trust, at=datetime.now(UTC))
    assert refused.value.reason is SignatureFailure.MALFORMED


def test_truncated_signature_is_malformed(
    signer: IssuedCertificate, ca: CertificationAuthority, trust: TrustStore
) -> None:
    signature = sign_document(signer, ca)

    with pytest.raises(SignatureError) as refused:
        verify(
            signature[:-10],
            document_sha256=hashlib.sha256(DOCUMENT).digest(),
            trust=trust,
            at=datetime.now(UTC),
        )
    assert refused.value.reason is SignatureFailure.MALFORMED


def test_prepared_signature_is_recovered_from_the_data_to_sign(signer: IssuedCertificate) -> None:
    signing_time = datetime(2026, 11, 23, 21, 5, 7, 123456, tzinfo=UTC) + timedelta(hours=2)
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, signing_time)

    assert PreparedSignature.from_data_to_sign(prepared.data_to_sign) == prepared
    assert prepared.signing_time == datetime(2026, 11, 23, 23, 5, 7, tzinfo=UTC)


def test_signed_attributes_follow_cades_bes(signer: IssuedCertificate) -> None:
    prepared = prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, datetime.now(UTC))

    attributes = {
        item["type"].native: item["values"][0] for item in cms.CMSAttributes.load(prepared.data_to_sign)
    }

    assert prepared.data_to_sign[0] == 0x31  # SET OF, not the [0] IMPLICIT tag of SignerInfo
    assert set(attributes) == {"content_type", "message_digest", "signing_time", "signing_certificate_v2"}
    assert attributes["content_type"].native == "data"
    assert attributes["signing_time"].name == "utc_time"
    cert_id = attributes["signing_certificate_v2"]["certs"][0]
    assert (
        cert_id["cert_hash"].native == hashlib.sha256(signer.certificate.public_bytes(Encoding.DER)).digest()
    )
    assert cert_id["issuer_serial"]["serial_number"].native == signer.certificate.serial_number
    # DER leaves out hashAlgorithm when it is the DEFAULT (SHA-256).
    assert b"\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01" not in cert_id.dump()


def test_prepare_rejects_bad_input(signer: IssuedCertificate) -> None:
    with pytest.raises(ValueError, match="32-byte"):
        prepare(DOCUMENT, signer.certificate, datetime.now(UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        prepare(hashlib.sha256(DOCUMENT).digest(), signer.certificate, datetime(2026, 11, 23))


def test_raw_ecdsa_signature_converts_to_der() -> None:
    raw = (7).to_bytes(32, "big") + (300).to_bytes(32, "big")

    assert ecdsa_raw_to_der(raw, ec.SECP256R1()) == encode_dss_signature(7, 300)
    with pytest.raises(SignatureError) as refused:
        ecdsa_raw_to_der(raw[:-1], ec.SECP256R1())
    assert refused.value.reason is SignatureFailure.MALFORMED
