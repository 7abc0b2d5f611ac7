"""What goes out as an attachment is exactly what the documents service vouches for."""

from __future__ import annotations

import hashlib
from uuid import uuid4

import pytest

from notify.attachments import AttachmentUnavailable, verified

ARCHIVE = b"PK\x03\x04 documents.zip"
SHA256 = hashlib.sha256(ARCHIVE).hexdigest()


def test_bytes_matching_the_etag_are_taken() -> None:
    assert verified(ARCHIVE, f'"{SHA256}"', uuid4()) == ARCHIVE
    assert verified(ARCHIVE, f'"{SHA256.upper()}"', uuid4()) == ARCHIVE


@pytest.mark.parametrize("etag", [
    None, "", '""', f'"{hashlib.sha256(b"other bytes").hexdigest()}"',
    # a weak ETag promises only equivalent content, not these bytes
    f'W/"{SHA256}"',
])
def test_bytes_the_etag_does_not_vouch_for_are_refused(etag: str | None) -> None:
    with pytest.raises(AttachmentUnavailable):
        verified(ARCHIVE, etag, uuid4())


def test_damaged_bytes_are_refused() -> None:
    with pytest.raises(AttachmentUnavailable, match="SHA-256"):
        verified(ARCHIVE[:-1], f'"{SHA256}"', uuid4())
