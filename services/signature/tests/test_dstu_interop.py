"""DSTU 4145 / GOST 34.311 against Bouncy Castle (Debian's libbcprov-java and libbcpkix-java), both ways: what
the cabinet makes (hashes, the test CA's certificates and CRLs, CAdES signatures) verifies there, and what Bouncy
Castle signs with a DSTU key verifies here — and is refused with its reason when it must be."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from devtools.bouncy_castle import BouncyCastle
from devtools.testca_dstu import (
    DstuCertificationAuthority,
    DstuIssuedCertificate,
    create_dstu_ca,
    issue_dstu_certificate,
    revoke_dstu,
)
from signature.domain import cades, dstu4145, key_containers
from signature.domain.cades import SignatureError, SignatureFailure
from signature.domain.certificates import CertificateFailure, TrustStore
from signature.domain.gost34311 import gost34311

DOCUMENT = "Акт приймання-передачі електричної енергії № 0789/11\n".encode() * 40


@pytest.fixture(scope="module")
def bouncy_castle(tmp_path_factory: pytest.TempPathFactory) -> BouncyCastle:
    return BouncyCastle(tmp_path_factory.mktemp("bouncy-castle"))


@pytest.fixture(scope="module")
def ca() -> DstuCertificationAuthority:
    return create_dstu_ca()


@pytest.fixture(scope="module")
def signer(ca: DstuCertificationAuthority) -> DstuIssuedCertificate:
    return issue_dstu_certificate(
        ca, common_name="Петренко Аліса Іванівна", organization="Кооператив", edrpou="12345678"
    )


def der(item: DstuCertificationAuthority | DstuIssuedCertificate) -> bytes:
    return item.certificate.public_bytes(Encoding.DER)


def signed(signer: DstuIssuedCertificate, ca: DstuCertificationAuthority, document: bytes = DOCUMENT) -> bytes:
    prepared = cades.prepare(cades.document_digest(signer.certificate, document), signer.certificate, datetime.now(UTC))
    value = signer.key.sign(gost34311(prepared.data_to_sign))
    return cades.assemble(prepared, value, signer.certificate, [ca.certificate])


def test_gost_hash_is_bouncy_castles(bouncy_castle: BouncyCastle) -> None:
    for data in (b"", b"abc", bytes(range(256)) * 3, DOCUMENT):
        assert bouncy_castle.ok("hash", data) == gost34311(data).hex()


def test_test_ca_certificates_and_crls_verify_with_bouncy_castle(
    bouncy_castle: BouncyCastle, ca: DstuCertificationAuthority, signer: DstuIssuedCertificate
) -> None:
    assert bouncy_castle.ok("verify-cert", der(ca), der(ca)) == "OK"
    assert bouncy_castle.ok("verify-cert", der(signer), der(ca)) == "OK"
    revoked = revoke_dstu(ca, signer.certificate)
    assert bouncy_castle.ok("verify-crl", revoked.crl.public_bytes(Encoding.DER), der(ca)) == "OK"
    # and a certificate of another CA does not
    other = create_dstu_ca("Another CA")
    assert bouncy_castle.run("verify-cert", der(signer), der(other)).returncode == 1


def test_cabinet_signature_verifies_with_bouncy_castle(
    bouncy_castle: BouncyCastle, ca: DstuCertificationAuthority, signer: DstuIssuedCertificate
) -> None:
    signature = signed(signer, ca)
    assert bouncy_castle.ok("verify-cms", signature, DOCUMENT, der(ca)) == "OK"
    refused = bouncy_castle.run("verify-cms", signature, DOCUMENT + b" ", der(ca))
    assert refused.returncode == 1 and "message digest" in refused.stderr


def bouncy_castle_value(bouncy_castle: BouncyCastle, key: dstu4145.PrivateKey, data: bytes) -> bytes:
    assert key.domain.named_oid is not None
    return bytes.fromhex(bouncy_castle.ok("sign", key.domain.named_oid, format(key.d, "x"), data))


def test_bouncy_castle_signature_verifies_in_the_service(
    bouncy_castle: BouncyCastle, ca: DstuCertificationAuthority, signer: DstuIssuedCertificate
) -> None:
    digest = cades.document_digest(signer.certificate, DOCUMENT)
    prepared = cades.prepare(digest, signer.certificate, datetime.now(UTC))
    value = bouncy_castle_value(bouncy_castle, signer.key, prepared.data_to_sign)
    assert value[:2] == b"\x04\x40"  # Bouncy Castle's form: r‖s in an OCTET STRING
    signature = cades.assemble(prepared, value, signer.certificate, [ca.certificate])
    trust = TrustStore([ca.certificate], [ca.crl])
    verified = cades.verify(
        signature, document_gost34311=digest, trust=trust, at=datetime.now(UTC), expected_edrpou="12345678"
    )
    assert verified.certificate_check.ok
    assert verified.signer.common_name == "Петренко Аліса Іванівна"
    # what the service assembled is what Ukrainian verifiers take, Bouncy Castle among them
    assert bouncy_castle.ok("verify-cms", signature, DOCUMENT, der(ca)) == "OK"

    # tampered content
    with pytest.raises(SignatureError) as tampered:
        cades.verify(
            signature, document_gost34311=gost34311(DOCUMENT + b"!"), trust=trust, at=datetime.now(UTC)
        )
    assert tampered.value.reason is SignatureFailure.MESSAGE_DIGEST_MISMATCH
    # a SHA-256 digest does not stand in for the GOST one
    with pytest.raises(SignatureError) as wrong_hash:
        cades.verify(signature, document_sha256=hashlib.sha256(DOCUMENT).digest(), trust=trust, at=datetime.now(UTC))
    assert wrong_hash.value.reason is SignatureFailure.UNSUPPORTED_ALGORITHM


def test_bouncy_castle_signature_by_a_wrong_key_is_refused(
    bouncy_castle: BouncyCastle, ca: DstuCertificationAuthority, signer: DstuIssuedCertificate
) -> None:
    prepared = cades.prepare(
        cades.document_digest(signer.certificate, DOCUMENT), signer.certificate, datetime.now(UTC)
    )
    # the key-agreement key of the same Key-6.dat: a real mistake, the wrong one of the file's two keys
    value = bouncy_castle_value(bouncy_castle, signer.agreement_key, prepared.data_to_sign)
    with pytest.raises(SignatureError) as refused:
        cades.assemble(prepared, value, signer.certificate, [ca.certificate])
    assert refused.value.reason is SignatureFailure.SIGNATURE_INVALID


def test_certificate_problems_are_reported_with_their_reasons(
    bouncy_castle: BouncyCastle, ca: DstuCertificationAuthority
) -> None:
    now = datetime.now(UTC)
    expired = issue_dstu_certificate(
        ca, common_name="Прострочений", organization="Кооператив", edrpou="12345678",
        not_before=now - timedelta(days=400), not_after=now - timedelta(days=35),
    )  # fmt: skip
    revoked = issue_dstu_certificate(ca, common_name="Відкликаний", organization="Кооператив", edrpou="12345678")
    stranger = issue_dstu_certificate(ca, common_name="Чужий", organization="Інша фірма", edrpou="87654321")
    with_revocation = revoke_dstu(ca, revoked.certificate)
    trust = TrustStore([ca.certificate], [with_revocation.crl])
    cases = {
        CertificateFailure.EXPIRED: expired,
        CertificateFailure.REVOKED: revoked,
        CertificateFailure.EDRPOU_MISMATCH: stranger,
    }
    for reason, issued in cases.items():
        prepared = cades.prepare(cades.document_digest(issued.certificate, DOCUMENT), issued.certificate, now)
        value = bouncy_castle_value(bouncy_castle, issued.key, prepared.data_to_sign)
        signature = cades.assemble(prepared, value, issued.certificate, [ca.certificate])
        verified = cades.verify(
            signature, document_gost34311=prepared.document_digest, trust=trust, at=now, expected_edrpou="12345678"
        )
        assert verified.certificate_check.failures == (reason,), reason
    # a certificate of a CA that is not trusted
    foreign = create_dstu_ca("Не довірений ЦСК")
    outsider = issue_dstu_certificate(foreign, common_name="Сторонній", organization="Кооператив", edrpou="12345678")
    signature = signed(outsider, foreign)
    verified = cades.verify(signature, document_gost34311=gost34311(DOCUMENT), trust=trust, at=now)
    assert CertificateFailure.UNTRUSTED_CHAIN in verified.certificate_check.failures


def test_a_jks_key_store_is_the_jdks_own(bouncy_castle: BouncyCastle, signer: DstuIssuedCertificate) -> None:
    """The test CA's .jks is a Java KeyStore the JDK itself opens with the password, recovering exactly the key the
    service reads from it; another password opens it for neither."""
    store = signer.key_file("jks", "пароль ключа 2026".encode())
    recovered = bouncy_castle.ok("jks-key", store, "пароль ключа 2026")
    assert bytes.fromhex(recovered) == key_containers.private_key_info(signer.key)
    assert key_containers.read_key_file(store, "пароль ключа 2026".encode()).keys == (signer.key,)
    assert "password was incorrect" in bouncy_castle.run("jks-key", store, "не той").stderr
    with pytest.raises(key_containers.UnreadableKeyFile):
        key_containers.read_key_file(store, "не той".encode())
