"""The test CA's DSTU 4145 half: a CA whose own key is DSTU 4145 (curve M257, S-box ДКЕ №1) issuing signers'
certificates and CRLs as Ukrainian qualified providers (КНЕДП) do, and the signers' keys in the files consumers
really hold — IIT ``Key-6.dat``, PKCS#12 ``.pfx`` and PBES2 ``.pk8`` (GOST 28147-89 under the password).

Certificates and CRLs are built with asn1crypto (``cryptography`` cannot sign with DSTU keys) and signed with the
signature service's own DSTU code: GOST 34.311 of the to-be-signed bytes, DSTU 4145 over it, the value wrapped in
an OCTET STRING as certificates carry it. Bouncy Castle checks them in the interop tests.

:func:`trust_bundle` writes what the central certifying authority (ЦЗО) publishes, a ``CACertificates.p7b``
of the CA certificates, here of the test CAs.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import cms, core
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from signature.domain import dstu4145, key_containers
from signature.domain.gost34311 import gost34311

#: how far back certificates are dated (clocks a few minutes apart must still accept a fresh one)
_CLOCK_SKEW = timedelta(minutes=5)
_UTC_TIME_YEARS = range(1950, 2050)


@dataclass(frozen=True, slots=True)
class DstuCertificationAuthority:
    key: dstu4145.PrivateKey
    certificate: x509.Certificate
    crl: x509.CertificateRevocationList


@dataclass(frozen=True, slots=True)
class DstuIssuedCertificate:
    key: dstu4145.PrivateKey
    #: the key-agreement key a ``Key-6.dat`` holds beside the signing key
    agreement_key: dstu4145.PrivateKey
    certificate: x509.Certificate

    def key_file(self, kind: str, password: bytes) -> bytes:
        """The keys as ``kind`` holds them: ``key6`` (IIT Key-6.dat), ``pfx`` (PKCS#12), ``pk8`` (PBES2) or ``jks``
        (a Java KeyStore, as PrivatBank hands its keys out)."""
        if kind == "jks":
            return key_containers.java_key_store(key_containers.private_key_info(self.key),
                                                 self.certificate.public_bytes(Encoding.DER), password)
        if kind == "key6":
            return key_containers.iit_key6(self.key, self.agreement_key, password)
        if kind == "pfx":
            return key_containers.pkcs12(self.key, self.certificate.public_bytes(Encoding.DER), password)
        if kind == "pk8":
            return key_containers.pbes2(key_containers.private_key_info(self.key), password)
        raise ValueError(f"unknown key file kind: {kind}")


KEY_FILE_NAMES = {"key6": "Key-6.dat", "pfx": "key.pfx", "pk8": "key.pk8", "jks": "key.jks"}


def create_dstu_ca(
    common_name: str = "Cabinet Test CA (DSTU 4145)",
    *,
    valid_days: int = 3650,
    crl_valid_days: int = 7,
    now: datetime | None = None,
) -> DstuCertificationAuthority:
    """A self-signed DSTU 4145 CA with an empty CRL valid for ``crl_valid_days``."""
    now = now or datetime.now(UTC)
    key = dstu4145.PrivateKey.generate(dstu4145.Domain.named())
    name = _name(
        x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cabinet test trust services"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    )
    public = key.public_key()
    certificate = _sign_certificate(
        key, issuer=name, subject=name, public_key=public, not_before=now - _CLOCK_SKEW,
        not_after=now + timedelta(days=valid_days),
        extensions=[
            _extension("basic_constraints", {"ca": True, "path_len_constraint": 0}, critical=True),
            _extension("key_usage", {"key_cert_sign", "crl_sign"}, critical=True),
            _extension("key_identifier", _key_identifier(public)),
        ],
    )  # fmt: skip
    crl = _sign_crl(key, certificate, [], number=1, this_update=now, next_update=now + timedelta(days=crl_valid_days))
    return DstuCertificationAuthority(key, certificate, crl)


def issue_dstu_certificate(
    ca: DstuCertificationAuthority,
    *,
    common_name: str,
    organization: str,
    edrpou: str,
    title: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    wrong_key_usage: bool = False,
    now: datetime | None = None,
) -> DstuIssuedCertificate:
    """A signer's certificate with a fresh DSTU 4145 key; valid from ``not_before`` (a few minutes ago) to
    ``not_after`` (a year on) — dates in the past or future make certificates the service must refuse."""
    now = now or datetime.now(UTC)
    not_before = not_before or now - _CLOCK_SKEW
    not_after = not_after or now + timedelta(days=365)
    domain = dstu4145.Domain.named()
    key, agreement_key = dstu4145.PrivateKey.generate(domain), dstu4145.PrivateKey.generate(domain)
    # the EDRPOU where Ukrainian providers' certificates carry it: in subjectDirectoryAttributes, not the subject
    subject = _name(
        x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        *([x509.NameAttribute(NameOID.TITLE, title)] if title else []),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    )
    usage = {"key_agreement"} if wrong_key_usage else {"digital_signature", "non_repudiation"}
    public = key.public_key()
    certificate = _sign_certificate(
        ca.key, issuer=_name_of(ca.certificate), subject=subject, public_key=public, not_before=not_before,
        not_after=not_after,
        extensions=[
            _extension("basic_constraints", {"ca": False}, critical=True),
            _extension("key_usage", usage, critical=True),
            _extension("key_identifier", _key_identifier(public)),
            _extension("authority_key_identifier", {"key_identifier": _key_identifier(ca.key.public_key())}),
            _extension("subject_directory_attributes", asn1_x509.SubjectDirectoryAttributes([
                {"type": DIRECTORY_EDRPOU, "values": _Printables([core.PrintableString(edrpou)])},
            ])),
        ],
    )  # fmt: skip
    return DstuIssuedCertificate(key, agreement_key, certificate)


#: subjectDirectoryAttributes' attribute of the legal entity's EDRPOU in Ukrainian qualified certificates
DIRECTORY_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1"


class _Printables(core.SetOf):
    _child_spec = core.PrintableString


def revoke_dstu(
    ca: DstuCertificationAuthority, certificate: x509.Certificate, *, crl_valid_days: int = 7,
    now: datetime | None = None,
) -> DstuCertificationAuthority:
    """The CA with a new CRL that also lists ``certificate``."""
    now = now or datetime.now(UTC)
    revoked = [(entry.serial_number, entry.revocation_date_utc) for entry in ca.crl]
    crl = _sign_crl(
        ca.key, ca.certificate, [*revoked, (certificate.serial_number, now)], number=_crl_number(ca.crl) + 1,
        this_update=now, next_update=now + timedelta(days=crl_valid_days),
    )  # fmt: skip
    return replace(ca, crl=crl)


def reissue_dstu_crl(
    ca: DstuCertificationAuthority, *, this_update: datetime, next_update: datetime
) -> DstuCertificationAuthority:
    """The CA with a new CRL of the same entries."""
    revoked = [(entry.serial_number, entry.revocation_date_utc) for entry in ca.crl]
    crl = _sign_crl(
        ca.key, ca.certificate, revoked, number=_crl_number(ca.crl) + 1, this_update=this_update,
        next_update=next_update,
    )  # fmt: skip
    return replace(ca, crl=crl)


def trust_bundle(certificates: list[x509.Certificate]) -> bytes:
    """A ``CACertificates.p7b`` as the central certifying authority publishes it: a certificates-only CMS
    SignedData (DER)."""
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "certificates": [asn1_x509.Certificate.load(item.public_bytes(Encoding.DER)) for item in certificates],
            "signer_infos": [],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def ca_key_file(ca: DstuCertificationAuthority) -> bytes:
    """The CA's key, unencrypted (it is a test CA), in the key structure Ukrainian tools read."""
    return key_containers.private_key_info(ca.key)


def load_dstu_ca(key_file: bytes, certificate_der: bytes, crl_der: bytes) -> DstuCertificationAuthority:
    return DstuCertificationAuthority(
        key_containers.private_key_info_keys(key_file).keys[0],
        x509.load_der_x509_certificate(certificate_der),
        x509.load_der_x509_crl(crl_der),
    )


def _sign_certificate(
    issuer_key: dstu4145.PrivateKey,
    *,
    issuer: asn1_x509.Name,
    subject: asn1_x509.Name,
    public_key: dstu4145.PublicKey,
    not_before: datetime,
    not_after: datetime,
    extensions: list[dict[str, object]],
) -> x509.Certificate:
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(159) | 1 << 158,
            "signature": {"algorithm": dstu4145.DSTU4145_LE},
            "issuer": issuer,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": subject,
            "subject_public_key_info": _subject_public_key_info(public_key),
            "extensions": extensions,
        }
    )
    certificate = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": dstu4145.DSTU4145_LE},
            "signature_value": _signature(issuer_key, tbs.dump()),
        }
    )
    return x509.load_der_x509_certificate(certificate.dump())


def _sign_crl(
    key: dstu4145.PrivateKey,
    certificate: x509.Certificate,
    revoked: list[tuple[int, datetime]],
    *,
    number: int,
    this_update: datetime,
    next_update: datetime,
) -> x509.CertificateRevocationList:
    tbs = asn1_crl.TbsCertList(
        {
            "version": "v2",
            "signature": {"algorithm": dstu4145.DSTU4145_LE},
            "issuer": _name_of(certificate),
            "this_update": _time(this_update),
            "next_update": _time(next_update),
            "revoked_certificates": [
                {"user_certificate": serial, "revocation_date": _time(date)} for serial, date in revoked
            ] or None,
            "crl_extensions": [
                {"extn_id": "crl_number", "critical": False, "extn_value": number},
                {
                    "extn_id": "authority_key_identifier", "critical": False,
                    "extn_value": {"key_identifier": _key_identifier(key.public_key())},
                },
            ],
        }
    )  # fmt: skip
    crl = asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": {"algorithm": dstu4145.DSTU4145_LE},
            "signature": _signature(key, tbs.dump()),
        }
    )
    return x509.load_der_x509_crl(crl.dump())


def _subject_public_key_info(public_key: dstu4145.PublicKey) -> asn1_x509.PublicKeyInfo:
    # put together by hand and loaded: asn1crypto builds only the key types it knows
    algorithm = core.ObjectIdentifier(dstu4145.DSTU4145_LE).dump() + public_key.domain.parameters().dump()
    der = _sequence(_sequence(algorithm) + core.BitString.load(b"\x03" + _length(1 + len(public_key.encoded()))
                                                                + b"\x00" + public_key.encoded()).dump())
    return asn1_x509.PublicKeyInfo.load(der)


def _sequence(contents: bytes) -> bytes:
    return b"\x30" + _length(len(contents)) + contents


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    encoded = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _signature(key: dstu4145.PrivateKey, to_be_signed: bytes) -> bytes:
    # certificates and CRLs carry r‖s wrapped in an OCTET STRING inside their BIT STRING
    return core.OctetString(key.sign(gost34311(to_be_signed, sbox=key.domain.sbox))).dump()


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def _extension(name: str, value: object, *, critical: bool = False) -> dict[str, object]:
    return {"extn_id": name, "critical": critical, "extn_value": value}


def _key_identifier(public_key: dstu4145.PublicKey) -> bytes:
    return hashlib.sha1(public_key.encoded(), usedforsecurity=False).digest()


def _name(*attributes: x509.NameAttribute) -> asn1_x509.Name:
    return asn1_x509.Name.load(x509.Name(list(attributes)).public_bytes())


def _name_of(certificate: x509.Certificate) -> asn1_x509.Name:
    return asn1_x509.Name.load(certificate.subject.public_bytes())


def _time(moment: datetime) -> asn1_x509.Time:
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if moment.year in _UTC_TIME_YEARS:
        return asn1_x509.Time({"utc_time": moment})
    return asn1_x509.Time({"general_time": moment})


# --- the local run and the demo ----------------------------------------------------------------------------------

DSTU_CA_CERTIFICATE_FILE = "dstu-ca.cer"
DSTU_CA_KEY_FILE = "dstu-ca.key"
DSTU_CRL_FILE = "dstu-ca.crl"
TRUST_BUNDLE_FILE = "CACertificates.p7b"
#: demo signers' certificates start this long ago, so that the demo's back-dated acts and invoices verify
DEMO_HISTORY = timedelta(days=400)
_RENEW_BEFORE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LocalDstuSigner:
    file_prefix: str
    common_name: str
    organization: str
    edrpou: str
    title: str | None


def ensure_local_dstu_trust(
    directory: Path, signers: Sequence[LocalDstuSigner], now: datetime
) -> tuple[list[Path], list[Path], dict[str, dict[str, Path]]]:
    """A DSTU 4145 test CA, its CRL and the trust bundle in ``directory``, and for each signer a certificate and
    a ``Key-6.dat`` with its password, made once and renewed near their end.

    Returns the trusted CA files (the ``CACertificates.p7b``), the CRL files, and each signer's files by prefix
    (``cert_file``, ``key_file``, ``key_password_file``)."""
    ca_files = (directory / DSTU_CA_KEY_FILE, directory / DSTU_CA_CERTIFICATE_FILE, directory / DSTU_CRL_FILE)
    if not ca_files[1].exists():
        created = create_dstu_ca("Cabinet Local Test CA (DSTU 4145)", crl_valid_days=30, now=now - DEMO_HISTORY)
        _write_private(ca_files[0], ca_key_file(created))
        ca_files[2].write_bytes(created.crl.public_bytes(Encoding.DER))
        ca_files[1].write_bytes(created.certificate.public_bytes(Encoding.DER))
    ca = load_dstu_ca(*(path.read_bytes() for path in ca_files))
    if ca.crl.next_update_utc is None or ca.crl.next_update_utc - now < _RENEW_BEFORE:
        ca = reissue_dstu_crl(ca, this_update=now, next_update=now + timedelta(days=30))
        ca_files[2].write_bytes(ca.crl.public_bytes(Encoding.DER))
    (directory / TRUST_BUNDLE_FILE).write_bytes(trust_bundle([ca.certificate]))
    files = {}
    for signer in signers:
        paths = {
            "cert_file": directory / f"{signer.file_prefix}-dstu.cer",
            "key_file": directory / f"{signer.file_prefix}-dstu.Key-6.dat",
            "key_password_file": directory / f"{signer.file_prefix}-dstu.password",
        }
        if not _still_valid(paths["cert_file"], now):
            issued = issue_dstu_certificate(
                ca, common_name=signer.common_name, organization=signer.organization, edrpou=signer.edrpou,
                title=signer.title, not_before=now - DEMO_HISTORY, not_after=now + timedelta(days=365), now=now,
            )  # fmt: skip
            # ASCII passwords: key-file tools disagree on the encoding of others
            password = secrets.token_urlsafe(12)
            _write_private(paths["key_password_file"], password.encode())
            _write_private(paths["key_file"], issued.key_file("key6", password.encode()))
            # the certificate last: a set interrupted half-way is made again next time
            paths["cert_file"].write_bytes(issued.certificate.public_bytes(Encoding.DER))
        files[signer.file_prefix] = paths
    return [directory / TRUST_BUNDLE_FILE], [ca_files[2]], files


def _still_valid(certificate_file: Path, now: datetime) -> bool:
    if not certificate_file.exists():
        return False
    certificate = x509.load_der_x509_certificate(certificate_file.read_bytes())
    return (
        certificate.not_valid_after_utc - now > _RENEW_BEFORE
        and now - certificate.not_valid_before_utc >= DEMO_HISTORY - _RENEW_BEFORE
    )


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)
