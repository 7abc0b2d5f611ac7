"""A signed document for offline verification, as an ASiC container (ETSI EN 319 162-1).

ASiC-E with CAdES: each party signs an ``ASiCManifest`` — an XML file naming the document and its SHA-256 —
alongside its signature of the document itself (the ``.p7s`` of the document). The container holds the document,
each party's manifest (``META-INF/ASiCManifest-<party>.xml``) and its CAdES signature of that manifest
(``META-INF/signature-<party>.p7s``): ``openssl cms -verify -content <manifest>`` checks a signature, and the
manifest's digest ties it to the document.

ASiC-S, for signatures made before the parties signed manifests: one detached CMS ``SignedData`` merging every
party's signature of the document — every ``SignerInfo`` and certificate — because an ASiC-S with CAdES carries
exactly one signature file, ``META-INF/signature.p7s``, and ``openssl cms -verify`` then checks all signers at once.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

from asn1crypto import cms

ASIC_S_MIME_TYPE = "application/vnd.etsi.asic-s+zip"
ASIC_E_MIME_TYPE = "application/vnd.etsi.asic-e+zip"
SIGNATURE_ENTRY = "META-INF/signature.p7s"
_MIMETYPE_ENTRY = "mimetype"
_ASIC_NAMESPACE = "http://uri.etsi.org/02918/v1.2.1#"
_XMLDSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
_SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"


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
    return _container(ASIC_S_MIME_TYPE, document_name, document, [(SIGNATURE_ENTRY, signature)], modified)


def manifest_entry(party: str) -> str:
    return f"META-INF/ASiCManifest-{party}.xml"


def signature_entry(party: str) -> str:
    return f"META-INF/signature-{party}.p7s"


def asic_manifest(party: str, document_name: str, document_sha256: bytes) -> bytes:
    """The ``ASiCManifest`` a party signs: its signature file in the container and the document with its SHA-256.

    The party signs these exact bytes, so they are built once, kept, and put into the container unchanged. The
    document's name is a URI reference there: percent-encoded (spaces, Cyrillic), as verifiers such as DSS expect.
    """
    name = _data_object_name(document_name)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    digest = base64.b64encode(document_sha256).decode()
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<asic:ASiCManifest xmlns:asic="{_ASIC_NAMESPACE}" xmlns:ds="{_XMLDSIG_NAMESPACE}">\n'
        f'  <asic:SigReference URI={quoteattr(signature_entry(party))} MimeType="application/pkcs7-signature"/>\n'
        f"  <asic:DataObjectReference URI={quoteattr(quote(name))} MimeType={quoteattr(media_type)}>\n"
        f'    <ds:DigestMethod Algorithm="{_SHA256_URI}"/>\n'
        f"    <ds:DigestValue>{digest}</ds:DigestValue>\n"
        "  </asic:DataObjectReference>\n"
        "</asic:ASiCManifest>\n"
    ).encode()


@dataclass(frozen=True, slots=True)
class SignedManifest:
    party: str
    manifest: bytes
    #: the party's detached CAdES signature of ``manifest``
    signature: bytes


def asic_e(document_name: str, document: bytes, signed: Sequence[SignedManifest], *, modified: datetime) -> bytes:
    """The ASiC-E container: ``mimetype`` first and stored, the document, then each party's manifest and signature."""
    if not signed:
        raise ContainerError("no signatures to put into the container")
    files = []
    for item in signed:
        files += [(manifest_entry(item.party), item.manifest), (signature_entry(item.party), item.signature)]
    return _container(ASIC_E_MIME_TYPE, document_name, document, files, modified)


def _container(
    media_type: str, document_name: str, document: bytes, meta_inf: Sequence[tuple[str, bytes]], modified: datetime,
) -> bytes:
    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, modified.timetuple()[:6])
        info.external_attr = 0o644 << 16  # readable files when unpacked, as `zip` would write them
        return info

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # first and stored, so that the type can be read at a fixed offset
        archive.writestr(entry(_MIMETYPE_ENTRY), media_type, zipfile.ZIP_STORED)
        archive.writestr(entry(_data_object_name(document_name)), document, zipfile.ZIP_DEFLATED)
        for name, content in meta_inf:
            archive.writestr(entry(name), content, zipfile.ZIP_DEFLATED)
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
