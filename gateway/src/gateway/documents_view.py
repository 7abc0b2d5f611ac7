"""«Договори та документи»: which stored documents the list shows, and what it says about each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from gateway.documents_client import Document
from gateway.i18n import N_
from gateway.listing import YearGroup, group_by_year
from gateway.signature_client import SignableDocument
from gateway.signing import Party, SignatureStatus, awaits

DOCUMENT_TYPE_LABELS: Final = {
    "contract": N_("Contract"),
    "supplementary_agreement": N_("Supplementary agreement"),
    "readings_act": N_("Act of readings transfer"),
    "invoice": N_("Invoice"),
    "tax_invoice": N_("Tax invoice"),
    "reconciliation_act": N_("Reconciliation act"),
    "eds_onboarding_package": N_("E-signature documents package"),
}
_OTHER_TYPE: Final = N_("Document")

#: a detached signature is stored as a document of its own, but belongs to the document it signs: it is
#: downloaded from that document's page, not listed beside it
SIGNATURE_FILE_TYPES: Final = frozenset({"application/pkcs7-signature"})


def type_label(document_type: str) -> str:
    """The message id naming a document type; types the cabinet does not know yet are "Document"."""
    return DOCUMENT_TYPE_LABELS.get(document_type, _OTHER_TYPE)


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    #: None when the signature service could not be asked
    status: SignatureStatus | None
    can_sign: bool


def document_rows(
    documents: Iterable[Document], statuses: Mapping[UUID, SignableDocument] | None, party: Party | None
) -> list[YearGroup[DocumentRow]]:
    """The list's rows by year of the documents' own dates. A document the signature service has not heard of yet
    (its event is on the way) is not signed, and not offered for signing until it has."""
    rows = []
    for document in documents:
        if document.content_type in SIGNATURE_FILE_TYPES:
            continue
        signable = statuses.get(document.id) if statuses is not None else None
        status = signable.status if signable else (None if statuses is None else SignatureStatus.NOT_SIGNED)
        rows.append(DocumentRow(document, status, signable is not None and awaits(signable.awaiting, party)))
    return group_by_year(rows, lambda row: row.document.issued_on)
