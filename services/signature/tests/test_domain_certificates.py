import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from devtools.testca import (
    CertificationAuthority,
    IssuedCertificate,
    Validity,
    create_ca,
    issue_certificate,
    reissue_crl,
    revoke,
)
from signature.domain.certificates import (
    CertificateFailure,
    CertificateFormatError,
    TrustConfigurationError,
    TrustStore,
    check_certificate,
    edrpou_of,
    load_certificate,
)


def test_good_certificate_is_accepted_and_described(
    signer: IssuedCertificate, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    certificate = load_certificate(signer.certificate.public_bytes(Encoding.DER))

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.ok, check.failures
    info = check.info
    assert info.edrpou == consumer_edrpou
    assert info.common_name == "Петренко Аліса Іванівна"
    assert "2.5.4.97=NTRUA-12345678" in info.subject
    assert info.issuer == signer.certificate.issuer.rfc4514_string()
    assert info.serial_number == signer.certificate.serial_number
    assert info.not_before == signer.certificate.not_valid_before_utc
    assert info.not_after == signer.certificate.not_valid_after_utc
    assert (
        info.sha256_fingerprint == hashlib.sha256(signer.certificate.public_bytes(Encoding.DER)).hexdigest()
    )


def test_certificate_loads_from_pem_as_from_der(signer: IssuedCertificate) -> None:
    pem = signer.certificate.public_bytes(Encoding.PEM)
    assert load_certificate(pem) == signer.certificate


@pytest.mark.parametrize(
    "garbage", [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_garbage_is_not_a_certificate(garbage: bytes) -> None:
    with pytest.raises(CertificateFormatError):
        load_certificate(garbage)


def test_certificate_of_another_ca_with_the_same_name_is_untrusted(
    issue_consumer, trust: TrustStore, ca: CertificationAuthority, now: datetime, consumer_edrpou: str
) -> None:
    impostor = create_ca()  # same subject name as ``ca``, different key: only the signature tells them apart
    assert impostor.certificate.subject == ca.certificate.subject
    certificate = issue_consumer(impostor).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.UNTRUSTED_CHAIN,)


def test_self_signed_certificate_is_refused(
    issue_consumer, ca: CertificationAuthority, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    certificate = issue_consumer(ca, self_signed=True).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert set(check.failures) == {CertificateFailure.SELF_SIGNED, CertificateFailure.UNTRUSTED_CHAIN}


def test_trusted_ca_certificate_itself_is_refused_as_a_signer(
    ca: CertificationAuthority, trust: TrustStore, now: datetime
) -> None:
    check = check_certificate(ca.certificate, trust, at=now, expected_edrpou=None)

    # It "chains" to itself, so only the self-signed rule (and its CA key usage) keeps it out.
    assert set(check.failures) == {CertificateFailure.SELF_SIGNED, CertificateFailure.KEY_USAGE}


def test_expired_certificate_is_refused(
    issue_consumer, ca: CertificationAuthority, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    certificate = issue_consumer(ca, validity=Validity.EXPIRED).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.EXPIRED,)


def test_not_yet_valid_certificate_is_refused(
    issue_consumer, ca: CertificationAuthority, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    certificate = issue_consumer(ca, validity=Validity.NOT_YET_VALID).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.NOT_YET_VALID,)


def test_validity_is_judged_at_the_given_moment(
    signer: IssuedCertificate, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    before = signer.certificate.not_valid_before_utc - timedelta(seconds=1)
    after = signer.certificate.not_valid_after_utc + timedelta(seconds=1)

    assert check_certificate(
        signer.certificate, trust, at=before, expected_edrpou=consumer_edrpou
    ).failures == (CertificateFailure.NOT_YET_VALID,)
    # A year on, the CRL has long passed its nextUpdate as well.
    assert set(
        check_certificate(signer.certificate, trust, at=after, expected_edrpou=consumer_edrpou).failures
    ) == {
        CertificateFailure.EXPIRED,
        CertificateFailure.CRL_EXPIRED,
    }


def test_naive_moment_is_rejected(signer: IssuedCertificate, trust: TrustStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_certificate(signer.certificate, trust, at=datetime(2026, 1, 1), expected_edrpou=None)


def test_certificate_without_signing_key_usage_is_refused(
    issue_consumer, ca: CertificationAuthority, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    certificate = issue_consumer(ca, wrong_key_usage=True).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.KEY_USAGE,)


def test_revoked_certificate_is_refused(
    issue_consumer, trust_of, now: datetime, consumer_edrpou: str
) -> None:
    ca = create_ca()
    doomed = issue_consumer(ca).certificate
    sibling = issue_consumer(ca).certificate
    ca = revoke(ca, doomed)
    trust = trust_of(ca)

    assert check_certificate(doomed, trust, at=now, expected_edrpou=consumer_edrpou).failures == (
        CertificateFailure.REVOKED,
    )
    assert check_certificate(sibling, trust, at=now, expected_edrpou=consumer_edrpou).ok


def test_newest_crl_counts_whatever_the_configuration_order(
    issue_consumer, now: datetime, consumer_edrpou: str
) -> None:
    ca = create_ca()
    doomed = issue_consumer(ca).certificate
    revoked_ca = revoke(ca, doomed, now=now + timedelta(seconds=1))
    crls = [ca.crl.public_bytes(Encoding.DER), revoked_ca.crl.public_bytes(Encoding.DER)]
    ca_der = ca.certificate.public_bytes(Encoding.DER)

    for order in (crls, crls[::-1]):
        trust = TrustStore.load([ca_der], order)
        check = check_certificate(doomed, trust, at=now, expected_edrpou=consumer_edrpou)
        assert check.failures == (CertificateFailure.REVOKED,)


def test_stale_crl_is_a_failure_of_its_own(
    issue_consumer, trust_of, now: datetime, consumer_edrpou: str
) -> None:
    ca = create_ca()
    certificate = issue_consumer(ca).certificate
    stale = reissue_crl(ca, this_update=now - timedelta(days=8), next_update=now - timedelta(days=1))

    check = check_certificate(certificate, trust_of(stale), at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.CRL_EXPIRED,)


def test_missing_crl_fails_closed(
    signer: IssuedCertificate, ca: CertificationAuthority, now: datetime, consumer_edrpou: str
) -> None:
    trust = TrustStore.load([ca.certificate.public_bytes(Encoding.PEM)])

    check = check_certificate(signer.certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.CRL_UNAVAILABLE,)


def test_certificate_of_another_company_is_refused(
    ca: CertificationAuthority, trust: TrustStore, now: datetime, consumer_edrpou: str
) -> None:
    certificate = issue_certificate(
        ca, common_name="Сидоренко Іван", organization="ТОВ «Інша»", edrpou="87654321"
    ).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou=consumer_edrpou)

    assert check.failures == (CertificateFailure.EDRPOU_MISMATCH,)
    assert check.info.edrpou == "87654321"


def test_several_failures_are_all_reported(
    issue_consumer, ca: CertificationAuthority, trust: TrustStore, now: datetime
) -> None:
    certificate = issue_consumer(ca, validity=Validity.EXPIRED, wrong_key_usage=True).certificate

    check = check_certificate(certificate, trust, at=now, expected_edrpou="87654321")

    assert set(check.failures) == {
        CertificateFailure.EXPIRED,
        CertificateFailure.KEY_USAGE,
        CertificateFailure.EDRPOU_MISMATCH,
    }


def test_crl_not_signed_by_the_trusted_ca_is_a_configuration_error(ca: CertificationAuthority) -> None:
    impostor = create_ca()  # same issuer name, other key

    with pytest.raises(TrustConfigurationError, match="not signed by a trusted CA"):
        TrustStore.load(
            [ca.certificate.public_bytes(Encoding.PEM)], [impostor.crl.public_bytes(Encoding.PEM)]
        )


def test_end_entity_certificate_cannot_be_a_trust_anchor(signer: IssuedCertificate) -> None:
    with pytest.raises(TrustConfigurationError, match="not a CA"):
        TrustStore.load([signer.certificate.public_bytes(Encoding.PEM)])


def test_pem_bundle_of_several_cas_is_loaded(
    issue_consumer, ca: CertificationAuthority, now: datetime, consumer_edrpou: str
) -> None:
    other = create_ca("Other Test CA")
    bundle = ca.certificate.public_bytes(Encoding.PEM) + other.certificate.public_bytes(Encoding.PEM)
    trust = TrustStore.load(
        [bundle], [ca.crl.public_bytes(Encoding.PEM), other.crl.public_bytes(Encoding.PEM)]
    )

    check = check_certificate(
        issue_consumer(other).certificate, trust, at=now, expected_edrpou=consumer_edrpou
    )

    assert check.ok, check.failures


def _with_directory_attributes(ca: CertificationAuthority, directory_der: bytes | None, *, edrpou: str | None
                               ) -> x509.Certificate:
    """A certificate as a Ukrainian provider's may come: the EDRPOU in subjectDirectoryAttributes (2.5.29.9), in the
    subject's organizationIdentifier, in both or in neither."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, "Петренко Аліса Іванівна")]
    if edrpou:
        subject.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRUA-{edrpou}"))
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(ca.certificate.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=30)))
    if directory_der is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.9"), directory_der), critical=False)
    return builder.sign(ca.key, hashes.SHA256())


def _directory(edrpou: str, drfo: str = "1010101014") -> bytes:
    # SEQUENCE OF {EDRPOU 1.2.804.2.1.1.1.11.1.4.2.1, DRFO 1.2.804.2.1.1.1.11.1.4.1.1}, as providers write them
    return bytes.fromhex(
        "303a301a060c2a8624020101010b01040201310a1308" + edrpou.encode().hex()
        + "301c060c2a8624020101010b01040101310c130a" + drfo.encode().hex())


@pytest.mark.parametrize(("directory", "subject", "edrpou"), [
    (_directory("12345678"), None, "12345678"),  # where Ukrainian providers put it
    (None, "12345678", "12345678"),  # ETSI EN 319 412-1's organizationIdentifier
    (_directory("12345678"), "12345678", "12345678"),  # both, agreeing
    (_directory("12345678"), "87654321", None),  # both, disagreeing: no EDRPOU the cabinet could trust
    (None, None, None),
    (b"\x30\x03\x02\x01", None, None),  # a malformed extension names none
])
def test_the_edrpou_is_read_where_ukrainian_certificates_carry_it(
    ca: CertificationAuthority, directory: bytes | None, subject: str | None, edrpou: str | None,
) -> None:
    assert edrpou_of(_with_directory_attributes(ca, directory, edrpou=subject)) == edrpou
