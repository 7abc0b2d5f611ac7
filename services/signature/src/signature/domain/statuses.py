"""Who signs a document and what its signature status is.

A document has two parties: the consumer and the supplier (a settlement manager with their own certificate, or
the supplier's electronic seal). Each signs at most once. Invoices are agreed when both have signed (manual
«Подписываем документы»); either party may instead refuse to sign, with a reason, and that ends the matter for
this document (a corrected one is a new document).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class Party(StrEnum):
    CONSUMER = "consumer"
    SUPPLIER = "supplier"


class DocumentStatus(StrEnum):
    NOT_SIGNED = "not_signed"
    SIGNED_BY_CONSUMER = "signed_by_consumer"
    SIGNED_BY_SUPPLIER = "signed_by_supplier"
    SIGNED_BY_BOTH = "signed_by_both"
    REJECTED = "rejected"


def status_of(signed_by: Collection[Party], *, rejected: bool) -> DocumentStatus:
    """The status of a document signed by these parties (a refusal outweighs any signature)."""
    if rejected:
        return DocumentStatus.REJECTED
    parties = set(signed_by)
    if parties == {Party.CONSUMER, Party.SUPPLIER}:
        return DocumentStatus.SIGNED_BY_BOTH
    if parties == {Party.CONSUMER}:
        return DocumentStatus.SIGNED_BY_CONSUMER
    if parties == {Party.SUPPLIER}:
        return DocumentStatus.SIGNED_BY_SUPPLIER
    return DocumentStatus.NOT_SIGNED


def awaiting_signature_of(party: Party) -> frozenset[DocumentStatus]:
    """The statuses of documents that still wait for this party's signature."""
    other_only = DocumentStatus.SIGNED_BY_SUPPLIER if party is Party.CONSUMER else DocumentStatus.SIGNED_BY_CONSUMER
    return frozenset({DocumentStatus.NOT_SIGNED, other_only})
