"""Checking a signer's X.509 certificate against the configured trusted CAs.

Trust anchors are the *issuing* CAs of the qualified trust service providers (their certificates and CRLs are
what the operator configures), so a signer's certificate must be issued directly by one of them.

Where the EDRPOU lives: Ukrainian qualified certificates carry the legal entity's EDRPOU in the
subjectDirectoryAttributes extension (2.5.29.9), attribute 1.2.804.2.1.1.1.11.1.4.2.1 — the structure the
providers' own software, jkurwa and Bouncy Castle's Ukrainian profile read — and those following ETSI EN 319 412-1
also in the subject attribute ``organizationIdentifier`` (2.5.4.97) as ``NTRUA-<8 digits>`` (semantics identifier
"NTR" = national trade register, country UA). Either place counts; where both are, they must agree. The signer's
personal tax number (``TINUA-...`` in the subject ``serialNumber``, the DRFO attribute 1.2.804.2.1.1.1.11.1.4.1.1)
is not the consumer's identity and does not count.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from . import dstu4145
from .gost34311 import gost34311

_EDRPOU_IDENTIFIER = re.compile(r"NTRUA-(\d{8})")
_EDRPOU_DIGITS = re.compile(r"\d{8}")
_SUBJECT_DIRECTORY_ATTRIBUTES = x509.ObjectIdentifier("2.5.29.9")
#: the EDRPOU's attribute in subjectDirectoryAttributes
_DIRECTORY_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1"
_PEM_MARKER = b"-----BEGIN"
_PEM_PKCS7_MARKER = b"-----BEGIN PKCS7-----"


class CertificateFailure(StrEnum):
    """Why a certificate is refused; the values are stable codes shown to clients."""

    UNTRUSTED_CHAIN = "untrusted_chain"
    SELF_SIGNED = "self_signed"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    KEY_USAGE = "key_usage"
    REVOKED = "revoked"
    CRL_EXPIRED = "crl_expired"
    # The issuer is trusted but no CRL of it is configured: revocation cannot be ruled out, so we fail closed.
    CRL_UNAVAILABLE = "crl_unavailable"
    EDRPOU_MISMATCH = "edrpou_mismatch"


class CertificateFormatError(ValueError):
    """The bytes are not a PEM or DER X.509 certificate (or CRL)."""


class TrustConfigurationError(ValueError):
    """The configured CA certificates or CRLs are unusable."""


def load_certificate(data: bytes) -> x509.Certificate:
    """One certificate from PEM or DER bytes."""
    certificates = load_certificates(data)
    if len(certificates) != 1:
        raise CertificateFormatError(f"expected one certificate, got {len(certificates)}")
    return certificates[0]


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """All certificates of a PEM bundle or of a PKCS#7 bundle (``CACertificates.p7b``, as the central certifying
    authority publishes the qualified providers' certificates, DER or PEM), or the one certificate of DER bytes."""
    try:
        if data.lstrip().startswith(_PEM_PKCS7_MARKER):
            return _pkcs7_certificates(_pem_body(data))
        if data.lstrip().startswith(_PEM_MARKER):
            return x509.load_pem_x509_certificates(data)
        if _is_pkcs7(data):
            return _pkcs7_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateFormatError(f"not an X.509 certificate: {exc}") from exc


def _is_pkcs7_bundle(data: bytes) -> bool:
    return data.lstrip().startswith(_PEM_PKCS7_MARKER) or _is_pkcs7(data)


def _is_pkcs7(data: bytes) -> bool:
    try:
        return bool(cms.ContentInfo.load(data)["content_type"].native == "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


def _pkcs7_certificates(data: bytes) -> list[x509.Certificate]:
    signed_data = cms.ContentInfo.load(data)["content"]
    return [
        x509.load_der_x509_certificate(choice.chosen.dump())
        for choice in signed_data["certificates"] or ()
        if choice.name == "certificate"
    ]


def _pem_body(data: bytes) -> bytes:
    lines = data.decode("ascii").strip().splitlines()
    return base64.b64decode("".join(line for line in lines if not line.startswith("-----")), validate=True)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL from PEM or DER bytes."""
    try:
        if data.lstrip().startswith(_PEM_MARKER):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise CertificateFormatError(f"not an X.509 CRL: {exc}") from exc


def edrpou_of(certificate: x509.Certificate) -> str | None:
    """The EDRPOU the certificate carries (organizationIdentifier, subjectDirectoryAttributes), if it names
    exactly one."""
    found = {
        match.group(1)
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
        if isinstance(attribute.value, str) and (match := _EDRPOU_IDENTIFIER.fullmatch(attribute.value))
    } | _directory_edrpous(certificate)
    return found.pop() if len(found) == 1 else None


def _directory_edrpous(certificate: x509.Certificate) -> set[str]:
    try:
        extension = certificate.extensions.get_extension_for_oid(_SUBJECT_DIRECTORY_ATTRIBUTES)
    except x509.ExtensionNotFound:
        return set()
    if not isinstance(extension.value, x509.UnrecognizedExtension):
        return set()
    try:
        attributes = asn1_x509.SubjectDirectoryAttributes.load(extension.value.value)
        values = [
            value.native for attribute in attributes if attribute["type"].dotted == _DIRECTORY_EDRPOU
            for value in _SetOfStrings.load(attribute["values"].dump())
        ]
    except (ValueError, TypeError):
        return set()  # a malformed extension names no EDRPOU
    return {value.strip() for value in values if isinstance(value, str) and _EDRPOU_DIGITS.fullmatch(value.strip())}


class _SetOfStrings(core.SetOf):
    """An attribute's values: the EDRPOU is a PrintableString (or a UTF8String in some providers' certificates)."""

    _child_spec = core.Any


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What the cabinet shows and stores about a certificate."""

    subject: str
    common_name: str | None
    edrpou: str | None
    serial_number: int
    issuer: str
    not_before: datetime
    not_after: datetime
    sha256_fingerprint: str

    @classmethod
    def of(cls, certificate: x509.Certificate) -> CertificateInfo:
        common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        common_name = common_names[0].value if common_names else None
        return cls(
            subject=certificate.subject.rfc4514_string(),
            common_name=common_name if isinstance(common_name, str) else None,
            edrpou=edrpou_of(certificate),
            serial_number=certificate.serial_number,
            issuer=certificate.issuer.rfc4514_string(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            sha256_fingerprint=certificate_sha256(certificate).hex(),
        )


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """The outcome of checking one certificate: every failed check, not only the first."""

    info: CertificateInfo
    failures: tuple[CertificateFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class TrustedAuthority:
    certificate: x509.Certificate
    crl: x509.CertificateRevocationList | None


class TrustStore:
    """The trusted issuing CAs with their CRLs; CRL signatures are verified once, when the store is built."""

    def __init__(
        self,
        ca_certificates: Sequence[x509.Certificate],
        crls: Sequence[x509.CertificateRevocationList] = (),
    ) -> None:
        for ca in ca_certificates:
            if not _is_ca(ca):
                raise TrustConfigurationError(f"not a CA certificate: {ca.subject.rfc4514_string()}")
        latest_crl: dict[int, x509.CertificateRevocationList] = {}
        for crl in crls:
            index = _index_of_crl_issuer(ca_certificates, crl)
            current = latest_crl.get(index)
            if current is None or crl.last_update_utc > current.last_update_utc:
                latest_crl[index] = crl
        self._by_subject: dict[x509.Name, list[TrustedAuthority]] = {}
        for index, ca in enumerate(ca_certificates):
            authority = TrustedAuthority(ca, latest_crl.get(index))
            self._by_subject.setdefault(ca.subject, []).append(authority)

    @classmethod
    def load(cls, ca_certificates: Iterable[bytes], crls: Iterable[bytes] = ()) -> TrustStore:
        """Build from PEM/DER bytes (a PEM item may hold several certificates) and PKCS#7 bundles, of which only
        the CA certificates count: the central certifying authority's ``CACertificates.p7b`` also carries the
        providers' OCSP, TSP and CMP server certificates."""
        return cls(
            [
                certificate
                for data in ca_certificates
                for certificate in load_certificates(data)
                if _is_ca(certificate) or not _is_pkcs7_bundle(data)
            ],
            [load_crl(data) for data in crls],
        )

    def authorities(self) -> list[TrustedAuthority]:
        """Every trusted CA with its newest CRL (if any)."""
        return [authority for authorities in self._by_subject.values() for authority in authorities]

    def issuer_of(self, certificate: x509.Certificate) -> TrustedAuthority | None:
        """The trusted CA whose key really signed ``certificate``, if any."""
        for authority in self._by_subject.get(certificate.issuer, ()):
            if _is_signed_by(certificate, authority.certificate):
                return authority
        return None


def check_certificate(
    certificate: x509.Certificate,
    trust: TrustStore,
    *,
    at: datetime,
    expected_edrpou: str | None,
) -> CertificateCheck:
    """Check ``certificate`` for signing at ``at``; ``expected_edrpou=None`` skips the ownership check."""
    if at.tzinfo is None:
        raise ValueError("'at' must be timezone-aware")
    failures: list[CertificateFailure] = []

    authority = trust.issuer_of(certificate)
    if authority is None:
        failures.append(CertificateFailure.UNTRUSTED_CHAIN)
    if certificate.issuer == certificate.subject and _is_signed_by(certificate, certificate):
        failures.append(CertificateFailure.SELF_SIGNED)

    if at < certificate.not_valid_before_utc:
        failures.append(CertificateFailure.NOT_YET_VALID)
    if at > certificate.not_valid_after_utc:
        failures.append(CertificateFailure.EXPIRED)
    if not _allows_signing(certificate):
        failures.append(CertificateFailure.KEY_USAGE)

    # Revocation can only be judged for a certificate of a trusted issuer.
    if authority is not None:
        failures.extend(_revocation_failures(certificate, authority.crl, at))

    if expected_edrpou is not None and edrpou_of(certificate) != expected_edrpou:
        failures.append(CertificateFailure.EDRPOU_MISMATCH)

    return CertificateCheck(CertificateInfo.of(certificate), tuple(failures))


def certificate_sha256(certificate: x509.Certificate) -> bytes:
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest()


def _revocation_failures(
    certificate: x509.Certificate, crl: x509.CertificateRevocationList | None, at: datetime
) -> list[CertificateFailure]:
    if crl is None:
        return [CertificateFailure.CRL_UNAVAILABLE]
    failures = []
    # Any listed serial counts, whatever its revocation date: a CAdES-BES signing time is only claimed by the
    # signer, so a stolen key must not be able to sign "before" its revocation.
    if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
        failures.append(CertificateFailure.REVOKED)
    next_update = crl.next_update_utc
    if next_update is None or at > next_update:
        failures.append(CertificateFailure.CRL_EXPIRED)
    return failures


def _allows_signing(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return usage.digital_signature or usage.content_commitment


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def dstu_public_key(certificate: x509.Certificate) -> dstu4145.PublicKey | None:
    """The certificate's DSTU 4145 key; None for another kind of key (``certificate.public_key()`` has those).

    Raises :class:`dstu4145.DstuError` for a DSTU key that cannot be used."""
    if certificate.public_key_algorithm_oid.dotted_string not in dstu4145.SIGNATURE_ALGORITHMS:
        return None
    return _dstu_public_key(certificate.tbs_certificate_bytes)


@lru_cache(maxsize=4096)
def _dstu_public_key(tbs_certificate: bytes) -> dstu4145.PublicKey:
    # decompressing the point and checking its order costs more than the rest of a verification: once a certificate
    info = asn1_x509.TbsCertificate.load(tbs_certificate)["subject_public_key_info"].dump()
    return dstu4145.PublicKey.from_subject_public_key_info_der(info)


def _is_signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if _issuer_is_dstu(issuer):
        return _dstu_signed(
            certificate.tbs_certificate_bytes, certificate.signature, certificate.signature_algorithm_oid, issuer
        )
    return _ecdsa_or_rsa_signed(certificate, issuer)


def _ecdsa_or_rsa_signed(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _issuer_is_dstu(issuer: x509.Certificate) -> bool:
    return issuer.public_key_algorithm_oid.dotted_string in dstu4145.SIGNATURE_ALGORITHMS


def _dstu_signed(
    to_be_signed: bytes, signature: bytes, algorithm: x509.ObjectIdentifier, issuer: x509.Certificate
) -> bool:
    if algorithm.dotted_string not in dstu4145.SIGNATURE_ALGORITHMS:
        return False
    return _dstu_signature_valid(to_be_signed, signature, issuer.public_bytes(Encoding.DER))


@lru_cache(maxsize=4096)
def _dstu_signature_valid(to_be_signed: bytes, signature: bytes, issuer_der: bytes) -> bool:
    # A CA's signature on a given certificate or CRL is checked once: the same bytes under the same key cannot
    # verify differently later, and hashing a certificate with GOST 34.311 in Python costs milliseconds.
    # Trust, validity and revocation are still judged on every check.
    try:
        key = dstu_public_key(x509.load_der_x509_certificate(issuer_der))
    except dstu4145.DstuError:
        return False
    assert key is not None  # _issuer_is_dstu
    return key.verify(gost34311(to_be_signed, sbox=key.domain.sbox), signature)


def _crl_signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    if _issuer_is_dstu(ca):
        return _dstu_signed(crl.tbs_certlist_bytes, crl.signature, crl.signature_algorithm_oid, ca)
    try:
        return crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False


def _index_of_crl_issuer(
    ca_certificates: Sequence[x509.Certificate], crl: x509.CertificateRevocationList
) -> int:
    for index, ca in enumerate(ca_certificates):
        if ca.subject == crl.issuer and _crl_signed_by(crl, ca):
            return index
    raise TrustConfigurationError(f"CRL of {crl.issuer.rfc4514_string()} is not signed by a trusted CA")
