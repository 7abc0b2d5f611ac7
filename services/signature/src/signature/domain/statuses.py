"""Who signs a document and what its signature status is.

A document has two parties: the consumer and the supplier (a settlement manager with their own certificate, or
the supplier's electronic seal). Which of them must sign it is the document's producer's to say (`signers`):
invoices are agreed when both have signed (manual «Подписываем документы»), the consumer's act of readings
transfer is signed by both as well, a tax invoice by the supplier alone (the seller signs and registers it; the
buyer does not sign it), and readings the supplier entered itself need nobody's signature. Each party signs at
most once; a party that need not sign cannot. Either party asked to sign may instead refuse, with a reason, and
that ends the matter for this document (a corrected one is a new document).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class Party(StrEnum):
    CONSUMER = "consumer"
    SUPPLIER = "supplier"


class DocumentStatus(StrEnum):
    #: nobody is asked to sign it
    NOT_REQUIRED = "not_required"
    NOT_SIGNED = "not_signed"
    SIGNED_BY_CONSUMER = "signed_by_consumer"
    SIGNED_BY_SUPPLIER = "signed_by_supplier"
    SIGNED_BY_BOTH = "signed_by_both"
    REJECTED = "rejected"


BOTH = frozenset({Party.CONSUMER, Party.SUPPLIER})
#: who signs a document of a type whose producer did not say (documents stored before producers said it)
_SIGNERS_OF_TYPE = {
    "tax_invoice": frozenset({Party.SUPPLIER}),
    "tax_invoice_correction": frozenset({Party.SUPPLIER}),
    "eds_onboarding_package": frozenset[Party](),
}


def signers_of(document_type: str, said: Collection[str] | None) -> frozenset[Party]:
    """The parties that must sign: as the producer said, else as the rule for the document's type has it."""
    if said is not None:
        return frozenset(Party(party) for party in said)
    return _SIGNERS_OF_TYPE.get(document_type, BOTH)


def status_of(signed_by: Collection[Party], *, rejected: bool, signers: Collection[Party]) -> DocumentStatus:
    """The status of a document signed by these parties (a refusal outweighs any signature)."""
    if rejected:
        return DocumentStatus.REJECTED
    parties = set(signed_by)
    if not signers and not parties:
        return DocumentStatus.NOT_REQUIRED
    if parties == {Party.CONSUMER, Party.SUPPLIER}:
        return DocumentStatus.SIGNED_BY_BOTH
    if parties == {Party.CONSUMER}:
        return DocumentStatus.SIGNED_BY_CONSUMER
    if parties == {Party.SUPPLIER}:
        return DocumentStatus.SIGNED_BY_SUPPLIER
    return DocumentStatus.NOT_SIGNED


def awaiting_signature_of(party: Party) -> frozenset[DocumentStatus]:
    """The statuses in which a document this party must sign still waits for its signature."""
    other_only = DocumentStatus.SIGNED_BY_SUPPLIER if party is Party.CONSUMER else DocumentStatus.SIGNED_BY_CONSUMER
    return frozenset({DocumentStatus.NOT_SIGNED, other_only})


def still_to_sign(signers: Collection[Party], status: DocumentStatus) -> frozenset[Party]:
    """The parties whose signature the document still waits for (none once refused)."""
    return frozenset(party for party in signers if status in awaiting_signature_of(party))
