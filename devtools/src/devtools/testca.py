"""A test certification authority for development and tests; its certificates mean nothing outside them.

It issues what the signature service expects of a Ukrainian qualified certificate: ECDSA P-256 keys, the
legal entity's EDRPOU in the subject ``organizationIdentifier`` as ``NTRUA-<EDRPOU>``, key usage
digitalSignature + nonRepudiation, and a CRL with a nextUpdate.

Private keys of signers are written as encrypted PKCS#8 PEM (``ENCRYPTED PRIVATE KEY``) with the password
given. ``cryptography``'s ``BestAvailableEncryption`` produces PBES2 with PBKDF2-HMAC-SHA256 (2048 iterations,
16-byte salt) and AES-256-CBC – every part of which WebCrypto offers, so the browser can decrypt the file
itself (PBKDF2 → AES-CBC decrypt → ``importKey("pkcs8")``). The CA's own key is written unencrypted: it is
a test CA.

Command line (``python -m devtools.testca --help``)::

    init   --dir DIR [--name CN] [--days N] [--crl-days N]
    issue  --dir DIR --out PREFIX --name CN --org NAME --edrpou 12345678 [--title T] [--days N]
           [--validity current|expired|not-yet-valid] [--wrong-key-usage] [--password P]
    revoke --dir DIR CERT.pem [--crl-days N]
    crl    --dir DIR [--crl-days N]

``DIR`` holds ``ca.pem``, ``ca-key.pem`` and ``crl.pem``; ``issue`` writes ``PREFIX.pem`` (certificate) and
``PREFIX.key.pem`` (encrypted key).

For a local run, :func:`ensure_local_trust` keeps such a CA, the supplier's seal and demo signers in
``<var>/trust`` and returns the signature service's environment.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from devtools.testca_dstu import DEMO_HISTORY, LocalDstuSigner, ensure_local_dstu_trust

SignerKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CA_CERTIFICATE_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CRL_FILE = "crl.pem"
# Certificates are back-dated a little so that clocks a few minutes apart still accept a fresh one.
_CLOCK_SKEW = timedelta(minutes=5)


class Validity(StrEnum):
    CURRENT = "current"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"


@dataclass(frozen=True, slots=True)
class CertificationAuthority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    crl: x509.CertificateRevocationList


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    key: SignerKey
    certificate: x509.Certificate


def create_ca(
    common_name: str = "Cabinet Test CA",
    *,
    valid_days: int = 3650,
    crl_valid_days: int = 7,
    now: datetime | None = None,
    valid_from: datetime | None = None,
) -> CertificationAuthority:
    """A self-signed CA with an empty CRL valid for ``crl_valid_days``; valid from ``valid_from`` (default: now)."""
    now = now or datetime.now(UTC)
    valid_from = valid_from or now
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cabinet test trust services"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from - _CLOCK_SKEW)
        .not_valid_after(valid_from + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    crl = _sign_crl(
        key, certificate, [], number=1, this_update=now, next_update=now + timedelta(days=crl_valid_days)
    )
    return CertificationAuthority(key, certificate, crl)


def issue_certificate(
    ca: CertificationAuthority,
    *,
    common_name: str,
    organization: str,
    edrpou: str,
    title: str | None = None,
    valid_days: int = 365,
    validity: Validity = Validity.CURRENT,
    wrong_key_usage: bool = False,
    self_signed: bool = False,
    key: SignerKey | None = None,
    now: datetime | None = None,
) -> IssuedCertificate:
    """A signer's certificate (a consumer's or supplier's employee, or a seal when the name is the company's).

    ``validity`` other than CURRENT, ``wrong_key_usage`` and ``self_signed`` (signed by its own key, as a
    home-made certificate would be) make certificates the service must refuse.
    """
    now = now or datetime.now(UTC)
    key = key or ec.generate_private_key(ec.SECP256R1())
    not_before = {
        Validity.CURRENT: now - _CLOCK_SKEW,
        Validity.EXPIRED: now - timedelta(days=valid_days + 1),
        Validity.NOT_YET_VALID: now + timedelta(days=1),
    }[validity]
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRUA-{edrpou}"),
        *([x509.NameAttribute(NameOID.TITLE, title)] if title else []),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    # A key-agreement-only key is a plausible real mistake: a certificate that exists but may not sign.
    key_usage = (
        _key_usage(key_agreement=True)
        if wrong_key_usage
        else _key_usage(digital_signature=True, content_commitment=True)
    )
    subject = x509.Name(attributes)
    issuer_name, issuer_key = (subject, key) if self_signed else (ca.certificate.subject, ca.key)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return IssuedCertificate(key, certificate)


def revoke(
    ca: CertificationAuthority,
    certificate: x509.Certificate,
    *,
    crl_valid_days: int = 7,
    now: datetime | None = None,
) -> CertificationAuthority:
    """The CA with a new CRL that also lists ``certificate``."""
    now = now or datetime.now(UTC)
    entry = (
        x509.RevokedCertificateBuilder().serial_number(certificate.serial_number).revocation_date(now).build()
    )
    return replace(
        ca,
        crl=_sign_crl(
            ca.key,
            ca.certificate,
            [*ca.crl, entry],
            number=_crl_number(ca.crl) + 1,
            this_update=now,
            next_update=now + timedelta(days=crl_valid_days),
        ),
    )


def reissue_crl(
    ca: CertificationAuthority, *, this_update: datetime, next_update: datetime
) -> CertificationAuthority:
    """The CA with a new CRL of the same entries (to refresh it, or to make a stale one for tests)."""
    crl = _sign_crl(
        ca.key,
        ca.certificate,
        list(ca.crl),
        number=_crl_number(ca.crl) + 1,
        this_update=this_update,
        next_update=next_update,
    )
    return replace(ca, crl=crl)


def encrypted_private_key_pem(key: SignerKey, password: bytes) -> bytes:
    """Encrypted PKCS#8 PEM: PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC (see the module docstring)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def save_ca(ca: CertificationAuthority, directory: Path, *, announce: bool = True) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    key_pem = ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(directory / CA_KEY_FILE, key_pem, private=True, announce=announce)
    _write(directory / CA_CERTIFICATE_FILE, certificate_pem(ca.certificate), announce=announce)
    _write(directory / CRL_FILE, ca.crl.public_bytes(serialization.Encoding.PEM), announce=announce)


def load_ca(directory: Path) -> CertificationAuthority:
    key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{directory / CA_KEY_FILE} is not an ECDSA key")
    return CertificationAuthority(
        key,
        x509.load_pem_x509_certificate((directory / CA_CERTIFICATE_FILE).read_bytes()),
        x509.load_pem_x509_crl((directory / CRL_FILE).read_bytes()),
    )


@dataclass(frozen=True, slots=True)
class _LocalSigner:
    file_prefix: str
    common_name: str
    organization: str
    edrpou: str
    title: str | None


#: the demo data of `identity.demo`: the branch ПАТ «ДТЕК ПЕМ-Енерговугілля» (EDRPOU 31793056), whose seal and
#: settlement manager sign for the supplier, and consumer № 0789 (EDRPOU 12345678)
_LOCAL_SIGNERS = (
    _LocalSigner("seal", "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "31793056", None),
    _LocalSigner(
        "consumer", "Петренко Аліса Іванівна", 'Кооператив "Автомобіліст-2"', "12345678", "Голова правління"
    ),
    _LocalSigner(
        "staff", "Коваль Ольга Петрівна", "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "31793056", "Менеджер з розрахунків"
    ),
    # who signed the demo's half year for the consumer, before the newcomer registered
    _LocalSigner(
        "accountant", "Кунін Леонід Маркович", 'Кооператив "Автомобіліст-2"', "12345678", "Головний бухгалтер"
    ),
)
#: the demo consumer and employee also hold Ukrainian qualified keys (DSTU 4145, in Key-6.dat files)
_LOCAL_DSTU_SIGNERS = tuple(
    LocalDstuSigner(signer.file_prefix, signer.common_name, signer.organization, signer.edrpou, signer.title)
    for signer in _LOCAL_SIGNERS
    if signer.file_prefix in ("consumer", "staff")
)
#: a CRL or certificate closer than this to its end is issued anew
_RENEW_BEFORE = timedelta(days=1)


def ensure_local_trust(var_dir: Path | str) -> dict[str, str]:
    """A test CA with its CRL, the supplier's seal and demo signers for a local run, made once in
    ``<var_dir>/trust`` and renewed there when they come near their end.

    Returns the signature service's environment (the ``CABINET_TRUST_*`` and ``CABINET_SEAL_*`` variables) and,
    under lower-case keys, the demo signers' files: ``demo_consumer_*`` and ``demo_accountant_*`` (EDRPOU 12345678;
    the accountant signed the demo's history) and ``demo_staff_*`` (EDRPOU 31793056), each ``..._cert_file``,
    ``..._key_file`` (encrypted PKCS#8 PEM, as a browser or the command-line signer takes it) and
    ``..._key_password_file``; the consumer's and staff's DSTU 4145 certificates and ``Key-6.dat`` files as
    ``demo_consumer_dstu_*`` and ``demo_staff_dstu_*``. Everything is valid from `DEMO_HISTORY` back (the demo's
    history is signed in the past). The DSTU CA is trusted through a ``CACertificates.p7b``, as the central
    certifying authority publishes CAs.
    """
    directory = Path(var_dir) / "trust"
    now = datetime.now(UTC)
    ca_file = directory / CA_CERTIFICATE_FILE
    if not ca_file.exists() or now - _valid_since(ca_file) < DEMO_HISTORY - _RENEW_BEFORE:
        # made anew when it cannot cover the demo's history (its signers, valid since later, are issued anew too)
        save_ca(create_ca("Cabinet Local Test CA", crl_valid_days=30, valid_from=now - DEMO_HISTORY), directory,
                announce=False)
    ca = load_ca(directory)
    if ca.crl.next_update_utc is None or ca.crl.next_update_utc - now < _RENEW_BEFORE:
        ca = reissue_crl(ca, this_update=now, next_update=now + timedelta(days=30))
        _write(directory / CRL_FILE, ca.crl.public_bytes(serialization.Encoding.PEM), announce=False)
    files: dict[str, dict[str, Path]] = {}
    for signer in _LOCAL_SIGNERS:
        paths = {
            "cert_file": directory / f"{signer.file_prefix}.pem",
            "key_file": directory / f"{signer.file_prefix}.key.pem",
            "key_password_file": directory / f"{signer.file_prefix}.password",
        }
        if not _still_valid(paths["cert_file"], now):
            _issue_local_signer(ca, signer, paths, now - DEMO_HISTORY)
        files[signer.file_prefix] = paths
    seal = files["seal"]
    dstu_cas, dstu_crls, dstu_files = ensure_local_dstu_trust(directory, _LOCAL_DSTU_SIGNERS, now)
    return {
        "CABINET_TRUST_CA_FILES": str(directory / CA_CERTIFICATE_FILE),
        "CABINET_TRUST_CRL_FILES": str(directory / CRL_FILE),
        "CABINET_TRUST_BUNDLE_FILES": ",".join(map(str, dstu_cas)),
        "CABINET_TRUST_BUNDLE_CRL_FILES": ",".join(map(str, dstu_crls)),
        "CABINET_SEAL_KEY_FILE": str(seal["key_file"]),
        "CABINET_SEAL_KEY_PASSWORD_FILE": str(seal["key_password_file"]),
        "CABINET_SEAL_CERT_FILE": str(seal["cert_file"]),
        **{
            f"demo_{prefix}_{kind}": str(path)
            for prefix in ("consumer", "staff", "accountant")
            for kind, path in files[prefix].items()
        },
        **{
            f"demo_{prefix}_dstu_{kind}": str(path)
            for prefix, paths in dstu_files.items()
            for kind, path in paths.items()
        },
    }


def _valid_since(certificate_file: Path) -> datetime:
    return x509.load_pem_x509_certificate(certificate_file.read_bytes()).not_valid_before_utc


def _still_valid(certificate_file: Path, now: datetime) -> bool:
    if not certificate_file.exists():
        return False
    certificate = x509.load_pem_x509_certificate(certificate_file.read_bytes())
    return (
        certificate.not_valid_after_utc - now > _RENEW_BEFORE
        and now - certificate.not_valid_before_utc >= DEMO_HISTORY - _RENEW_BEFORE
    )


def _issue_local_signer(
    ca: CertificationAuthority, signer: _LocalSigner, paths: dict[str, Path], valid_from: datetime
) -> None:
    issued = issue_certificate(
        ca, common_name=signer.common_name, organization=signer.organization, edrpou=signer.edrpou,
        title=signer.title, now=valid_from, valid_days=(DEMO_HISTORY * 2).days,
    )
    password = secrets.token_urlsafe(12)
    _write(paths["key_password_file"], password.encode(), private=True, announce=False)
    _write(paths["key_file"], encrypted_private_key_pem(issued.key, password.encode()), private=True, announce=False)
    # the certificate last: a set interrupted half-way is made again next time
    _write(paths["cert_file"], certificate_pem(issued.certificate), announce=False)


def _sign_crl(
    key: ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    entries: list[x509.RevokedCertificate],
    *,
    number: int,
    this_update: datetime,
    next_update: datetime,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(key, hashes.SHA256())


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_agreement: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=key_agreement,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, *, private: bool = False, announce: bool = True) -> None:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
    if announce:
        print(f"wrote {path}")


def _command_init(args: argparse.Namespace) -> None:
    save_ca(create_ca(args.name, valid_days=args.days, crl_valid_days=args.crl_days), args.dir)


def _command_issue(args: argparse.Namespace) -> None:
    ca = load_ca(args.dir)
    issued = issue_certificate(
        ca,
        common_name=args.name,
        organization=args.org,
        edrpou=args.edrpou,
        title=args.title,
        valid_days=args.days,
        validity=args.validity,
        wrong_key_usage=args.wrong_key_usage,
        self_signed=args.self_signed,
    )
    password = args.password if args.password is not None else getpass.getpass("Key password: ")
    if not password:
        raise SystemExit("a key password is required")
    prefix: Path = args.out
    prefix.parent.mkdir(parents=True, exist_ok=True)
    _write(prefix.with_name(prefix.name + ".pem"), certificate_pem(issued.certificate))
    _write(
        prefix.with_name(prefix.name + ".key.pem"),
        encrypted_private_key_pem(issued.key, password.encode()),
        private=True,
    )
    fingerprint = issued.certificate.fingerprint(hashes.SHA256()).hex()
    print(f"serial {issued.certificate.serial_number:x}, SHA-256 {fingerprint}")


def _command_revoke(args: argparse.Namespace) -> None:
    ca = revoke(
        load_ca(args.dir),
        x509.load_pem_x509_certificate(args.certificate.read_bytes()),
        crl_valid_days=args.crl_days,
    )
    _write(args.dir / CRL_FILE, ca.crl.public_bytes(serialization.Encoding.PEM))


def _command_crl(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    ca = reissue_crl(load_ca(args.dir), this_update=now, next_update=now + timedelta(days=args.crl_days))
    _write(args.dir / CRL_FILE, ca.crl.public_bytes(serialization.Encoding.PEM))


def _edrpou(value: str) -> str:
    if len(value) != 8 or not value.isdigit():
        raise argparse.ArgumentTypeError("EDRPOU is 8 digits")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.testca",
        description="Test certification authority for the cabinet (development and tests only).",
    )
    commands = parser.add_subparsers(required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--dir", type=Path, required=True, help="the CA's directory")
        return sub

    init = command("init", "create a CA with an empty CRL")
    init.add_argument("--name", default="Cabinet Test CA", help="the CA's common name")
    init.add_argument("--days", type=int, default=3650)
    init.add_argument("--crl-days", type=int, default=7)
    init.set_defaults(run=_command_init)

    issue = command("issue", "issue a signer's certificate and encrypted key")
    issue.add_argument(
        "--out", type=Path, required=True, help="file prefix for PREFIX.pem and PREFIX.key.pem"
    )
    issue.add_argument("--name", required=True, help="signer's full name (or company name for a seal)")
    issue.add_argument("--org", required=True, help="legal entity name")
    issue.add_argument("--edrpou", type=_edrpou, required=True)
    issue.add_argument("--title", help="position, e.g. 'Settlement manager'")
    issue.add_argument("--days", type=int, default=365)
    issue.add_argument("--validity", type=Validity, choices=list(Validity), default=Validity.CURRENT)
    issue.add_argument("--wrong-key-usage", action="store_true", help="keyAgreement only: may not sign")
    issue.add_argument("--self-signed", action="store_true", help="signed by its own key, not the CA's")
    issue.add_argument("--password", help="key password (asked for when omitted)")
    issue.set_defaults(run=_command_issue)

    revoke_parser = command("revoke", "add a certificate to a new CRL")
    revoke_parser.add_argument("certificate", type=Path, help="PEM certificate to revoke")
    revoke_parser.add_argument("--crl-days", type=int, default=7)
    revoke_parser.set_defaults(run=_command_revoke)

    crl = command("crl", "issue a fresh CRL with the same entries")
    crl.add_argument("--crl-days", type=int, default=7)
    crl.set_defaults(run=_command_crl)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
