"""The ASiC-E container with each party's signed manifest, and the ASiC-S one with merged signatures (pure, checked
with openssl)."""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from defusedxml import ElementTree

from devtools.asic import ContainerInvalid, verify_asic_e
from devtools.testca import CertificationAuthority, IssuedCertificate, create_ca, issue_certificate
from signature.domain.cades import assemble, prepare
from signature.domain.containers import (
    ASIC_E_MIME_TYPE,
    ASIC_S_MIME_TYPE,
    ContainerError,
    SignedManifest,
    asic_e,
    asic_manifest,
    asic_s,
    merge_signatures,
)

DOCUMENT = "Акт приймання-передавання електроенергії\n".encode() * 100


def signature_of(signer: IssuedCertificate, ca: CertificationAuthority, document: bytes = DOCUMENT) -> bytes:
    prepared = prepare(hashlib.sha256(document).digest(), signer.certificate, datetime.now(UTC))
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    value = signer.key.sign(prepared.data_to_sign, ec.ECDSA(hashes.SHA256()))
    return assemble(prepared, value, signer.certificate, [ca.certificate])


def openssl_verify(tmp_path: Path, signature: bytes, document: bytes, ca: CertificationAuthority) -> int:
    openssl = shutil.which("openssl")
    assert openssl
    (tmp_path / "s.p7s").write_bytes(signature)
    (tmp_path / "d.bin").write_bytes(document)
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    return subprocess.run(
        [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "s.p7s"),
         "-content", str(tmp_path / "d.bin"), "-CAfile", str(tmp_path / "ca.pem"), "-purpose", "any",
         "-out", str(tmp_path / "out.bin")],
        capture_output=True, check=False, timeout=30,
    ).returncode


def test_merged_signatures_verify_together_and_keep_each_signer(
    tmp_path: Path, ca: CertificationAuthority, signer: IssuedCertificate
) -> None:
    supplier = issue_certificate(ca, common_name="Коваль Ольга", organization="РЕС", edrpou="31793056")
    first, second = signature_of(signer, ca), signature_of(supplier, ca)

    merged = merge_signatures([first, second])

    signed_data = cms.ContentInfo.load(merged)["content"]
    assert len(signed_data["signer_infos"]) == 2
    # the CA certificate both carry is in once
    assert len(signed_data["certificates"]) == 3
    assert len(signed_data["digest_algorithms"]) == 1
    # each signer's bytes unchanged (a SET OF: in DER order, not necessarily the order given)
    assert {item.dump() for item in signed_data["signer_infos"]} == {
        cms.ContentInfo.load(original)["content"]["signer_infos"][0].dump() for original in (first, second)
    }
    assert openssl_verify(tmp_path, merged, DOCUMENT, ca) == 0
    assert openssl_verify(tmp_path, merged, DOCUMENT + b" ", ca) != 0


def test_a_signature_of_another_document_spoils_the_merged_one(
    tmp_path: Path, ca: CertificationAuthority, signer: IssuedCertificate
) -> None:
    merged = merge_signatures([signature_of(signer, ca), signature_of(signer, ca, b"another document")])

    assert openssl_verify(tmp_path, merged, DOCUMENT, ca) != 0


@pytest.mark.parametrize("bad", [[], [b"not a signature"], [b"\x30\x03\x02\x01\x01"]])
def test_only_cms_signatures_merge(bad: list[bytes]) -> None:
    with pytest.raises(ContainerError):
        merge_signatures(bad)


def test_an_attached_signature_does_not_merge(ca: CertificationAuthority, signer: IssuedCertificate) -> None:
    content_info = cms.ContentInfo.load(signature_of(signer, ca))
    content_info["content"]["encap_content_info"] = {"content_type": "data", "content": DOCUMENT}

    with pytest.raises(ContainerError, match="detached"):
        merge_signatures([content_info.dump(force=True)])


def test_the_container_begins_with_its_stored_mimetype() -> None:
    modified = datetime(2026, 11, 23, 14, 30, 12)

    container = asic_s("Рахунок № 0789-5-1.pdf", DOCUMENT, b"\x30\x00", modified=modified)

    assert container[:4] == b"PK\x03\x04"
    assert container[30:38] == b"mimetype" and container[38:69] == ASIC_S_MIME_TYPE.encode()
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        first, document, signature = archive.infolist()
        assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
        assert document.filename == "Рахунок № 0789-5-1.pdf" and archive.read(document) == DOCUMENT
        assert signature.filename == "META-INF/signature.p7s"
        assert document.date_time == (2026, 11, 23, 14, 30, 12)


@pytest.mark.parametrize(
    ("name", "inside"),
    [("mimetype", "document"), ("META-INF.pdf", "document.pdf"), ("", "document"), ("a\\b.pdf", "document.pdf")],
)
def test_a_document_name_that_could_pass_for_the_containers_own_is_replaced(name: str, inside: str) -> None:
    container = asic_s(name, DOCUMENT, b"\x30\x00", modified=datetime(2026, 1, 1))

    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        assert archive.namelist() == ["mimetype", inside, "META-INF/signature.p7s"]


def signed_manifest(
    party: str, signer: IssuedCertificate, ca: CertificationAuthority, document_name: str = "Рахунок № 1.pdf"
) -> SignedManifest:
    manifest = asic_manifest(party, document_name, hashlib.sha256(DOCUMENT).digest())
    return SignedManifest(party, manifest, signature_of(signer, ca, manifest))


def test_the_manifest_names_the_signature_file_and_the_document_with_its_digest() -> None:
    manifest = asic_manifest("consumer", "Рахунок № 0789-5-1.pdf", hashlib.sha256(DOCUMENT).digest())

    root = ElementTree.fromstring(manifest)
    namespaces = {"asic": "http://uri.etsi.org/02918/v1.2.1#", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert root.tag == "{http://uri.etsi.org/02918/v1.2.1#}ASiCManifest"
    reference = root.find("asic:SigReference", namespaces)
    assert reference is not None and reference.get("URI") == "META-INF/signature-consumer.p7s"
    [data_object] = root.findall("asic:DataObjectReference", namespaces)
    assert unquote(str(data_object.get("URI"))) == "Рахунок № 0789-5-1.pdf"
    assert data_object.get("URI") == "%D0%A0%D0%B0%D1%85%D1%83%D0%BD%D0%BE%D0%BA%20%E2%84%96%200789-5-1.pdf"
    assert data_object.get("MimeType") == "application/pdf"
    digest = data_object.findtext("ds:DigestValue", namespaces=namespaces)
    assert digest is not None and base64.b64decode(digest) == hashlib.sha256(DOCUMENT).digest()
    # the same inputs, the same bytes: what the party signed can be rebuilt and compared
    assert manifest == asic_manifest("consumer", "Рахунок № 0789-5-1.pdf", hashlib.sha256(DOCUMENT).digest())


def test_a_name_with_markup_stays_inside_its_attribute() -> None:
    manifest = asic_manifest("consumer", 'a"<b>&.pdf', hashlib.sha256(DOCUMENT).digest())

    [data_object] = ElementTree.fromstring(manifest).iter("{http://uri.etsi.org/02918/v1.2.1#}DataObjectReference")
    assert unquote(str(data_object.get("URI"))) == 'a"<b>&.pdf'


def test_the_asic_e_container_verifies_offline_and_a_changed_document_does_not(
    tmp_path: Path, ca: CertificationAuthority, signer: IssuedCertificate
) -> None:
    supplier = issue_certificate(ca, common_name="Коваль Ольга", organization="РЕС", edrpou="31793056")
    signed = [signed_manifest("consumer", signer, ca), signed_manifest("supplier", supplier, ca)]
    (tmp_path / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))

    container = asic_e("Рахунок № 1.pdf", DOCUMENT, signed, modified=datetime(2026, 11, 23, 14, 30))

    assert container[30:38] == b"mimetype" and container[38:69] == ASIC_E_MIME_TYPE.encode()
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        assert archive.namelist() == [
            "mimetype", "Рахунок № 1.pdf",
            "META-INF/ASiCManifest-consumer.xml", "META-INF/signature-consumer.p7s",
            "META-INF/ASiCManifest-supplier.xml", "META-INF/signature-supplier.p7s",
        ]
    verified = verify_asic_e(container, tmp_path / "ca.pem")
    assert [item.signature for item in verified] == ["META-INF/signature-consumer.p7s",
                                                     "META-INF/signature-supplier.p7s"]
    assert all(item.data_objects == ("Рахунок № 1.pdf",) for item in verified)

    changed = asic_e("Рахунок № 1.pdf", DOCUMENT + b" ", signed, modified=datetime(2026, 11, 23, 14, 30))
    with pytest.raises(ContainerInvalid, match="differs from what was signed"):
        verify_asic_e(changed, tmp_path / "ca.pem")
    # a manifest signed by nobody the CA knows
    stranger = create_ca("Сторонній ЦСК")
    impostor = issue_certificate(stranger, common_name="Хтось", organization="РЕС", edrpou="31793056")
    forged = [signed[0], signed_manifest("supplier", impostor, stranger)]
    with pytest.raises(ContainerInvalid, match=r"signature-supplier\.p7s over"):
        verify_asic_e(asic_e("Рахунок № 1.pdf", DOCUMENT, forged, modified=datetime(2026, 1, 1)), tmp_path / "ca.pem")


def test_a_container_needs_a_signature() -> None:
    with pytest.raises(ContainerError):
        asic_e("a.pdf", DOCUMENT, [], modified=datetime(2026, 1, 1))
