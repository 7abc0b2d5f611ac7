"""A signed document for offline verification: an ASiC-S container (ETSI EN 319 162-1) holding the document and
one detached CMS ``SignedData`` with the signatures of every party.

Each party's signature is made and stored on its own (:mod:`.cades`); the container merges them into one
``SignedData`` — every ``SignerInfo`` and certificate — because an ASiC-S with CAdES carries exactly one signature
file, ``META-INF/signature.p7s``, and ``openssl cms -verify`` then checks all signers at once.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from asn1crypto import cms

ASIC_S_MIME_TYPE = "application/vnd.etsi.asic-s+zip"
SIGNATURE_ENTRY = "META-INF/signature.p7s"
_MIMETYPE_ENTRY = "mimetype"


class ContainerError(Exception):
    """The signatures cannot be put into one container (none given, or not detached CMS signatures of data)."""


def merge_signatures(signatures: Sequence[bytes]) -> bytes:
    """One detached CMS ``SignedData`` (DER) with the signers and certificates of all ``signatures``.

    Every signature must be a detached ``SignedData`` over ``data``; the signers' bytes are copied unchanged, so
    each signature value still covers exactly what its signer signed.
    """
    if not signatures:
        raise ContainerError("no signatures to merge")
    digest_algorithms: dict[bytes, cms.DigestAlgorithm] = {}
    certificates: dict[bytes, cms.CertificateChoices] = {}
    signer_infos: list[cms.SignerInfo] = []
    version = "v1"
    for signature in signatures:
        parts = _SignatureParts.read(signature)
        for algorithm in parts.digest_algorithms:
            digest_algorithms.setdefault(algorithm.dump(), algorithm)
        for certificate in parts.certificates:
            certificates.setdefault(certificate.dump(), certificate)
        signer_infos.extend(parts.signer_infos)
        # RFC 5652 §5.1: v3 as soon as any signer is named by its subject key identifier
        if parts.version == "v3":
            version = "v3"
    merged = cms.SignedData(
        {
            "version": version,
            "digest_algorithms": list(digest_algorithms.values()),
            "encap_content_info": {"content_type": "data"},
            "certificates": list(certificates.values()),
            "signer_infos": signer_infos,
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": merged}).dump()


def asic_s(document_name: str, document: bytes, signature: bytes, *, modified: datetime) -> bytes:
    """The ASiC-S container: ``mimetype`` first and stored (so the type can be read at a fixed offset), the
    document under its own name, and ``META-INF/signature.p7s``."""
    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, modified.timetuple()[:6])
        info.external_attr = 0o644 << 16  # readable files when unpacked, as `zip` would write them
        return info

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry(_MIMETYPE_ENTRY), ASIC_S_MIME_TYPE, zipfile.ZIP_STORED)
        archive.writestr(entry(_data_object_name(document_name)), document, zipfile.ZIP_DEFLATED)
        archive.writestr(entry(SIGNATURE_ENTRY), signature, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _SignatureParts:
    version: str
    digest_algorithms: list[cms.DigestAlgorithm]
    certificates: list[cms.CertificateChoices]
    signer_infos: list[cms.SignerInfo]

    @classmethod
    def read(cls, signature: bytes) -> _SignatureParts:
        # asn1crypto parses lazily, so malformed input can fail at any access below
        try:
            content_info = cms.ContentInfo.load(signature, strict=True)
            if content_info["content_type"].native != "signed_data":
                raise ContainerError("not a CMS SignedData")
            signed_data = content_info["content"]
            encapsulated = signed_data["encap_content_info"]
            if encapsulated["content_type"].native != "data" or encapsulated["content"].native is not None:
                raise ContainerError("only detached signatures of data can be merged")
            return cls(
                version=signed_data["version"].native,
                digest_algorithms=list(signed_data["digest_algorithms"]),
                certificates=list(signed_data["certificates"] or ()),
                signer_infos=list(signed_data["signer_infos"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ContainerError(f"not a CMS signature: {exc}") from exc


def _data_object_name(name: str) -> str:
    """The document's name in the container: its own, unless it could be taken for the container's own files."""
    if name and name != _MIMETYPE_ENTRY and not name.upper().startswith("META-INF") and not {"/", "\\"} & set(name):
        return name
    return "document" + PurePosixPath(name.replace("\\", "/")).suffix
