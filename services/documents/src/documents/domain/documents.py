"""Rules for a stored document's metadata and bytes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import quote

#: the largest document accepted (a scanned contract fits; a billing run's PDFs are far smaller)
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
TITLE_MAX_LENGTH = 300
FILE_NAME_MAX_LENGTH = 200
SOURCE_EVENT_MAX_LENGTH = 200

# Types are codes the producing context chooses (`invoice`, `act_of_readings`, `eds_onboarding_package`...)
_DOCUMENT_TYPE = re.compile(r"[a-z][a-z0-9_]{1,63}")
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

#: what may be stored, and the bytes each such file begins with (None: no fixed signature)
CONTENT_SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    # detached CMS signatures are DER: a SEQUENCE
    "application/pkcs7-signature": (b"\x30",),
    "application/xml": None,
    "text/csv": None,
    "text/plain": None,
}


@dataclass(frozen=True)
class Metadata:
    """What describes a document besides its bytes, as given by whoever stores it."""

    document_type: str
    period: str | None
    title: str
    file_name: str
    content_type: str
    source_event: str | None = None
    #: the document's own date (an invoice's formation date); None: the day it is stored
    issued_on: date | None = None
    #: the parties that must sign it (`consumer`, `supplier`); None: the signature service decides by its type
    signers: tuple[str, ...] | None = None


#: who may be named as a document's signer
SIGNING_PARTIES = frozenset({"consumer", "supplier"})


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def object_key(sha256: str) -> str:
    """Where the bytes live in the bucket: named by their hash, so identical bytes are one object and an object
    never changes."""
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"sha256/{sha256}"


def clean_title(raw: str) -> str | None:
    title = " ".join(raw.split())
    return title if 0 < len(title) <= TITLE_MAX_LENGTH else None


def clean_file_name(raw: str) -> str | None:
    """A file name as it will be offered on download: no folders, no control characters."""
    name = unicodedata.normalize("NFC", raw.strip())
    if not name or len(name) > FILE_NAME_MAX_LENGTH or name in (".", ".."):
        return None
    if any(char in '/\\"' or unicodedata.category(char).startswith("C") for char in name):
        return None
    return name


def file_name_from_title(title: str, extension: str) -> str:
    """A file name for a title (`Рахунок № 12/2024` → `Рахунок № 12-2024.pdf`)."""
    stem = "".join("-" if char in '/\\"' or unicodedata.category(char).startswith("C") else char for char in title)
    return f"{stem.strip()[: FILE_NAME_MAX_LENGTH - len(extension) - 1]}.{extension}"


def is_document_type(raw: str) -> bool:
    return _DOCUMENT_TYPE.fullmatch(raw) is not None


def is_period(raw: str) -> bool:
    """A billing period is a month: `YYYY-MM`."""
    return _PERIOD.fullmatch(raw) is not None


def content_matches_type(content: bytes, content_type: str) -> bool:
    signatures = CONTENT_SIGNATURES[content_type]
    return signatures is None or content.startswith(signatures)


def clean_metadata(metadata: Metadata) -> tuple[Metadata, dict[str, str]]:
    """The metadata with title and file name normalized, and reason codes by field for what cannot be stored."""
    problems: dict[str, str] = {}
    if not is_document_type(metadata.document_type):
        problems["type"] = "document_type_invalid"
    if metadata.period is not None and not is_period(metadata.period):
        problems["period"] = "period_invalid"
    title = clean_title(metadata.title)
    if title is None:
        problems["title"] = "title_invalid"
    file_name = clean_file_name(metadata.file_name)
    if file_name is None:
        problems["file_name"] = "file_name_invalid"
    if metadata.content_type not in CONTENT_SIGNATURES:
        problems["content_type"] = "content_type_not_allowed"
    if metadata.source_event is not None and not 0 < len(metadata.source_event) <= SOURCE_EVENT_MAX_LENGTH:
        problems["source_event"] = "source_event_invalid"
    if metadata.signers is not None and (
        not SIGNING_PARTIES.issuperset(metadata.signers) or len(set(metadata.signers)) != len(metadata.signers)
    ):
        problems["signers"] = "signers_invalid"
    return replace(metadata, title=title or metadata.title, file_name=file_name or metadata.file_name), problems


def content_problems(content: bytes, content_type: str) -> dict[str, str]:
    if not content:
        return {"content": "content_empty"}
    if len(content) > MAX_DOCUMENT_BYTES:
        return {"content": "content_too_large"}
    if content_type in CONTENT_SIGNATURES and not content_matches_type(content, content_type):
        return {"content": "content_does_not_match_type"}
    return {}


def content_disposition(file_name: str, *, fallback_stem: str = "document") -> str:
    """`attachment` with the name both as plain ASCII (old clients) and UTF-8 (RFC 6266 `filename*`).

    Cyrillic names have no ASCII form worth showing: old clients get `<fallback_stem>.<extension>` instead.
    The name is one `clean_file_name` accepted: no quotes, backslashes or control characters to escape.
    """
    if file_name.isascii():
        ascii_name = file_name
    else:
        _, dot, extension = file_name.rpartition(".")
        ascii_name = fallback_stem + (f".{extension}" if dot and extension.isascii() else "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"
