"""Electronic signatures as the pages show them: statuses, who may sign, certificates and their files.

Pure logic, no calls: the signature service decides; these rules only choose what a page offers, so a page
never shows «Підписати» where the service would refuse.
"""

from __future__ import annotations

import base64
import re
import textwrap
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Final

from gateway.i18n import N_
from gateway.sessions import Visitor
from shared.auth import STAFF_ROLES, Role


class SignatureStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    NOT_SIGNED = "not_signed"
    SIGNED_BY_CONSUMER = "signed_by_consumer"
    SIGNED_BY_SUPPLIER = "signed_by_supplier"
    SIGNED_BY_BOTH = "signed_by_both"
    REJECTED = "rejected"


class Party(StrEnum):
    CONSUMER = "consumer"
    SUPPLIER = "supplier"


#: the status as the document lists show it (manual: the «Электронная подпись» column)
STATUS_LABELS: Final = {
    SignatureStatus.NOT_REQUIRED: N_("No signature needed"),
    SignatureStatus.NOT_SIGNED: N_("Not signed"),
    SignatureStatus.SIGNED_BY_CONSUMER: N_("Signed by the consumer"),
    SignatureStatus.SIGNED_BY_SUPPLIER: N_("Signed by the supplier"),
    SignatureStatus.SIGNED_BY_BOTH: N_("Signed by both parties"),
    SignatureStatus.REJECTED: N_("Signing refused"),
}

#: what each status means and what to do next (the help page «Опис статусів документа»)
STATUS_EXPLANATIONS: Final = {
    SignatureStatus.NOT_REQUIRED: N_(
        "Nobody signs this document: it is a record, such as the readings of a meter the supplier reads and enters "
        "itself. It is accepted as it is; you need to do nothing."
    ),
    SignatureStatus.NOT_SIGNED: N_(
        "Nobody has signed the document yet. Press “Sign” to sign it with your electronic signature."
    ),
    SignatureStatus.SIGNED_BY_CONSUMER: N_(
        "Your company has signed the document and the supplier has received it. It is waiting for the "
        "supplier's signature; you need to do nothing more."
    ),
    SignatureStatus.SIGNED_BY_SUPPLIER: N_(
        "The supplier has signed the document. It is waiting for your signature: press “Sign”."
    ),
    SignatureStatus.SIGNED_BY_BOTH: N_(
        "Both parties have signed the document. For an invoice this means that the calculation is agreed. "
        "The document and its signatures can be downloaded and checked without the cabinet."
    ),
    SignatureStatus.REJECTED: N_(
        "One of the parties refused to sign the document and gave a reason, shown on the document's page. "
        "The document can no longer be signed; if it needs correcting, the supplier issues a new one."
    ),
}

PARTY_LABELS: Final = {Party.CONSUMER: N_("Consumer"), Party.SUPPLIER: N_("Supplier")}

_SIGNED_BY: Final[dict[SignatureStatus, frozenset[Party]]] = {
    SignatureStatus.NOT_REQUIRED: frozenset(),
    SignatureStatus.NOT_SIGNED: frozenset(),
    SignatureStatus.SIGNED_BY_CONSUMER: frozenset({Party.CONSUMER}),
    SignatureStatus.SIGNED_BY_SUPPLIER: frozenset({Party.SUPPLIER}),
    SignatureStatus.SIGNED_BY_BOTH: frozenset({Party.CONSUMER, Party.SUPPLIER}),
    SignatureStatus.REJECTED: frozenset(),
}


def party_of(visitor: Visitor) -> Party | None:
    """Which side of a document a user signs for: staff for the supplier; consumers for their company when its
    agreement provides for electronic signatures (others sign on paper: nothing is theirs to sign here)."""
    role, user = visitor.principal.role, visitor.user
    if role in STAFF_ROLES:
        return Party.SUPPLIER
    if role == Role.CONSUMER and user is not None and user.consumer is not None and user.consumer.e_signature:
        return Party.CONSUMER
    return None


def can_sign_invoice(status: SignatureStatus, party: Party | None) -> bool:
    """Whether this party may still sign (or refuse to sign) an invoice, which both parties sign: each signs once;
    a refusal ends it. (Other documents say whom they still wait for: `awaits`.)"""
    if party is None or status in (SignatureStatus.REJECTED, SignatureStatus.NOT_REQUIRED):
        return False
    return party not in _SIGNED_BY[status]


def awaits(awaiting: Collection[Party], party: Party | None) -> bool:
    """Whether a document waits for this party's signature, as the signature service says it does."""
    return party is not None and party in awaiting


class CertificateState(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    #: its owner removed it from the cabinet (not the CA's revocation: a revoked certificate is refused when it is
    #: registered and at every signing, and never listed as usable)
    REMOVED = "removed"


CERTIFICATE_STATE_LABELS: Final = {
    CertificateState.VALID: N_("Valid"),
    CertificateState.NOT_YET_VALID: N_("Not valid yet"),
    CertificateState.EXPIRED: N_("Expired"),
    CertificateState.REMOVED: N_("Removed from the cabinet"),
}


def certificate_state(
    *, not_before: datetime, not_after: datetime, removed_at: datetime | None, now: datetime
) -> CertificateState:
    if removed_at is not None and removed_at <= now:
        return CertificateState.REMOVED
    if now < not_before:
        return CertificateState.NOT_YET_VALID
    if now > not_after:
        return CertificateState.EXPIRED
    return CertificateState.VALID


_DN_PART = re.compile(r"((?:[^,\\]|\\.)+)")


def authority_name(distinguished_name: str) -> str:
    """A certification authority as people name it: the common name (else the organisation) of the issuer's
    distinguished name as the service gives it (RFC 4514, `CN=Кваліфікований ЦСК,O=...,C=UA`)."""
    parts = dict(
        part.split("=", 1) for part in _DN_PART.findall(distinguished_name) if "=" in part
    )
    name = parts.get("CN") or parts.get("O")
    return re.sub(r"\\(.)", r"\1", name.strip()) if name else distinguished_name


#: a certificate is a few kilobytes; anything much larger is some other file
MAX_CERTIFICATE_BYTES: Final = 64 * 1024
_PEM_BEGIN: Final = b"-----BEGIN"


class CertificateInputError(ValueError):
    """What was uploaded or pasted cannot be sent as a certificate; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def certificate_pem_of(uploaded: bytes, pasted: str) -> str:
    """The PEM text the service takes, from an uploaded `.pem`/`.cer` file (PEM or DER) or pasted PEM.

    Whether it is a certificate at all is the service's to judge (code `unreadable`); here only what cannot
    even be sent is refused: nothing given (`missing`), or a file far too large (`too_large`).
    """
    # a DER file is taken byte for byte: its last byte may well be one that .strip() would take for a space
    content = uploaded if uploaded.strip() else pasted.strip().encode()
    if not content:
        raise CertificateInputError("missing")
    if len(content) > MAX_CERTIFICATE_BYTES:
        raise CertificateInputError("too_large")
    if content.lstrip().startswith(_PEM_BEGIN) or _PEM_BEGIN in content[:1024]:
        # PEM is ASCII; stray bytes are left for the service to refuse as unreadable
        return content.strip().decode("ascii", errors="replace")
    # a binary `.cer` is the DER form: the same bytes in base64 between the PEM lines
    body = "\n".join(textwrap.wrap(base64.b64encode(content).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
