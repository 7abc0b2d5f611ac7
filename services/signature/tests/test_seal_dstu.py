"""The supplier's seal may be a Ukrainian qualified DSTU 4145 key, kept in any of the files a provider issues
(IIT Key-6.dat, PKCS#12, PBES2): it loads from the settings and its signatures verify as the supplier's, by the
service and by Bouncy Castle."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from devtools.bouncy_castle import BouncyCastle
from devtools.testca_dstu import KEY_FILE_NAMES, DstuCertificationAuthority, create_dstu_ca, issue_dstu_certificate
from signature.domain import cades
from signature.domain.certificates import TrustStore
from signature.seal import Seal, SealConfigurationError
from signature.settings import SignatureSettings

INVOICE = "Рахунок № 0789-2026-12 від 07.12.2026".encode()
PASSWORD = b"pechatka-postachalnyka-2026"
SUPPLIER_EDRPOU = "31793056"


@pytest.fixture(scope="module")
def ca() -> DstuCertificationAuthority:
    return create_dstu_ca()


def seal_settings(directory: Path, ca: DstuCertificationAuthority, kind: str) -> SignatureSettings:
    """The seal's three files as an operator puts them in place: the key file, its password, the certificate."""
    issued = issue_dstu_certificate(ca, common_name="Печатка ТОВ «Енергопостач»", organization="ТОВ «Енергопостач»",
                                    edrpou=SUPPLIER_EDRPOU)
    key_file, password_file, certificate_file = (
        directory / KEY_FILE_NAMES[kind], directory / "password", directory / "seal.cer"
    )
    key_file.write_bytes(issued.key_file(kind, PASSWORD))
    password_file.write_bytes(PASSWORD + b"\n")
    certificate_file.write_bytes(issued.certificate.public_bytes(Encoding.DER))
    (directory / "ca.cer").write_bytes(ca.certificate.public_bytes(Encoding.DER))
    (directory / "ca.crl").write_bytes(ca.crl.public_bytes(Encoding.DER))
    return SignatureSettings(service_token_secret="x" * 32, trust_ca_files=[directory / "ca.cer"],
                             trust_crl_files=[directory / "ca.crl"], seal_key_file=key_file,
                             seal_key_password_file=password_file, seal_cert_file=certificate_file)


@pytest.mark.parametrize("kind", sorted(KEY_FILE_NAMES))
def test_a_dstu_seal_signs_as_the_supplier(ca: DstuCertificationAuthority, kind: str, tmp_path: Path) -> None:
    seal = Seal.load(seal_settings(tmp_path, ca, kind))
    assert seal is not None and cades.is_dstu(seal.certificate)

    digest = cades.document_digest(seal.certificate, INVOICE)
    prepared = cades.prepare(digest, seal.certificate, datetime.now(UTC))
    signature = cades.assemble(prepared, seal.sign(prepared.data_to_sign), seal.certificate)

    verified = cades.verify(signature, document_gost34311=digest, trust=TrustStore([ca.certificate], [ca.crl]),
                            at=datetime.now(UTC), expected_edrpou=SUPPLIER_EDRPOU)
    assert verified.certificate_check.ok, verified.certificate_check
    assert verified.signer.common_name == "Печатка ТОВ «Енергопостач»"


def test_bouncy_castle_verifies_the_dstu_seal(ca: DstuCertificationAuthority, tmp_path: Path) -> None:
    seal = Seal.load(seal_settings(tmp_path, ca, "key6"))
    assert seal is not None
    prepared = cades.prepare(cades.document_digest(seal.certificate, INVOICE), seal.certificate, datetime.now(UTC))
    signature = cades.assemble(prepared, seal.sign(prepared.data_to_sign), seal.certificate, [ca.certificate])

    bouncy_castle = BouncyCastle(tmp_path / "bouncy-castle")
    assert bouncy_castle.ok("verify-cms", signature, INVOICE, ca.certificate.public_bytes(Encoding.DER)) == "OK"


def test_a_dstu_seal_with_a_wrong_password_or_another_certificate_is_refused_at_start(
    ca: DstuCertificationAuthority, tmp_path: Path
) -> None:
    settings = seal_settings(tmp_path, ca, "key6")
    assert settings.seal_key_password_file is not None and settings.seal_cert_file is not None
    settings.seal_key_password_file.write_bytes(b"ne-toi-parol\n")
    with pytest.raises(SealConfigurationError, match="the seal key"):
        Seal.load(settings)

    settings.seal_key_password_file.write_bytes(PASSWORD)
    other = issue_dstu_certificate(ca, common_name="Інша печатка", organization="ТОВ «Інше»", edrpou="12345678")
    settings.seal_cert_file.write_bytes(other.certificate.public_bytes(Encoding.DER))
    with pytest.raises(SealConfigurationError, match="certificate's"):
        Seal.load(settings)
