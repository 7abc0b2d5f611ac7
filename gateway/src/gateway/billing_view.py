"""«Гроші»: what the invoices, payments and tax invoices pages say about each row, and the payments' period.

Pure logic, no calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from gateway.billing_client import Invoice, PaymentState, Registration, Saldo
from gateway.i18n import N_
from gateway.signing import Party, SignatureStatus, can_sign_invoice

REGISTRATION_LABELS: Final = {
    Registration.NOT_REGISTERED: N_("Not registered yet"),
    Registration.REGISTERED: N_("Registered in the Unified Register of Tax Invoices"),
    Registration.REFUSED: N_("Registration refused"),
}

#: the mandatory fields of the tax invoice form the completeness check names (billing's
#: `billing.domain.tax_invoices.check_completeness`: `buyer.ipn`, `rows.2.unit_code`...), as a person reads them
COMPLETENESS_FIELD_LABELS: Final = {
    "number": N_("Number of the tax invoice"),
    "seller.name": N_("Supplier's name"),
    "seller.tax_number": N_("Supplier's tax number (EDRPOU)"),
    "seller.ipn": N_("Supplier's individual tax number (VAT)"),
    "seller.vat_payer": N_("Supplier's registration as a VAT payer"),
    "seller.compiler_name": N_("Name of the person who compiled the tax invoice"),
    "seller.compiler_tax_number": N_("Tax number of the person who compiled the tax invoice"),
    "seller.tax_office": N_("Code of the supplier's tax office"),
    "buyer.name": N_("Buyer's name"),
    "buyer.tax_number": N_("Buyer's tax number (EDRPOU)"),
    "buyer.ipn": N_("Buyer's individual tax number (VAT)"),
    "rows": N_("Supplied goods"),
    "amount_excl_vat": N_("Amount excluding VAT"),
    "vat": N_("VAT amount"),
    "total": N_("Total with VAT"),
    "corrects.number": N_("Number of the corrected tax invoice"),
    "corrects.issued_on": N_("Date of the corrected tax invoice"),
}
#: a field of one row of the tax invoice's table (`rows.<row>.<field>`)
COMPLETENESS_ROW_LABELS: Final = {
    "description": N_("Description of the goods (row %(row)s)"),
    "product_code": N_("Product code by UKTZED (row %(row)s)"),
    "unit": N_("Unit of measurement (row %(row)s)"),
    "unit_code": N_("Unit of measurement code (row %(row)s)"),
    "quantity": N_("Quantity (row %(row)s)"),
    "price": N_("Price per unit (row %(row)s)"),
    "amount": N_("Amount excluding VAT (row %(row)s)"),
    "vat": N_("VAT amount (row %(row)s)"),
    "reason": N_("Reason of the correction (row %(row)s)"),
}
#: a field the cabinet does not know yet: never its internal name
_UNKNOWN_FIELD = N_("Another mandatory field")
_ROW_FIELD = re.compile(r"rows\.(\d+)\.(\w+)")


@dataclass(frozen=True)
class MissingField:
    """One mandatory field the check names: its label (a message id with `params`) and whose details it is."""

    label: str
    params: dict[str, str]
    #: `buyer`: the consumer's details (the supplier's contract department corrects them); `supplier`: the rest
    whose: str


def missing_fields(missing: list[str]) -> list[MissingField]:
    """The completeness check's field names as labels a person understands, in the check's order."""
    fields = []
    for name in missing:
        whose = "buyer" if name.startswith("buyer.") else "supplier"
        row = _ROW_FIELD.fullmatch(name)
        if row and row.group(2) in COMPLETENESS_ROW_LABELS:
            fields.append(MissingField(COMPLETENESS_ROW_LABELS[row.group(2)], {"row": row.group(1)}, whose))
        else:
            fields.append(MissingField(COMPLETENESS_FIELD_LABELS.get(name, _UNKNOWN_FIELD), {}, whose))
    return fields


def missing_parties(missing: list[str]) -> set[str]:
    """Whose details are missing: `buyer` (the consumer's), `supplier` (the supplier's own or its data)."""
    return {field.whose for field in missing_fields(missing)}


PAYMENT_STATE_LABELS: Final = {
    PaymentState.APPLIED: N_("Applied"),
    PaymentState.PARKED: N_("Awaiting review"),
    PaymentState.RETURNED: N_("Returned"),
}

#: what a billing run's skipped consumer lacked (docs/api-billing.md); other reasons are shown as given
SKIP_REASON_LABELS: Final = {
    "readings_missing": N_("readings are missing"),
    "tariff_missing": N_("no tariff in force"),
    "invoiced": N_("already invoiced"),
    "not_due": N_("the billing day has not come"),
}

#: how the reconciliation act names an operation: by its invoice's number or its payment document's
RECONCILIATION_DOCUMENTS: Final = {
    "invoice": N_("Invoice No. %(number)s"),
    "correcting_invoice": N_("Correcting invoice No. %(number)s"),
    "payment": N_("Payment, document No. %(number)s"),
    "return": N_("Payment returned, document No. %(number)s"),
}

#: the payments page's default: the last three years (manual: «Эти три года»)
DEFAULT_PAYMENT_YEARS: Final = 3


def invoice_status(invoice: Invoice) -> SignatureStatus | None:
    """The invoice's signature status; None while its PDF is being made (nothing to sign yet)."""
    if invoice.document_id is None:
        return None
    return invoice.signature_status or SignatureStatus.NOT_SIGNED


def invoice_can_be_signed(invoice: Invoice, party: Party | None) -> bool:
    """«Підписати» applies once the invoice's PDF exists and this party has not signed (nor anyone refused)."""
    status = invoice_status(invoice)
    return status is not None and can_sign_invoice(status, party)


def last_years(today: date, years: int = DEFAULT_PAYMENT_YEARS) -> tuple[date, date]:
    """From the same day `years` years ago (28 February for 29 February) to today."""
    try:
        start = today.replace(year=today.year - years)
    except ValueError:
        start = today.replace(year=today.year - years, day=28)
    return start, today


def saldo_kind(saldo: Saldo) -> str:
    """`debt`, `overpayment` or `settled`: which sentence the saldo panel shows."""
    if saldo.saldo > 0:
        return "debt"
    if saldo.saldo < 0:
        return "overpayment"
    return "settled"
