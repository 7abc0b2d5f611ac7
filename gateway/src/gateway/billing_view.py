"""«Гроші»: what the invoices, payments and tax invoices pages say about each row, and the payments' period.

Pure logic, no calls.
"""

from __future__ import annotations

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

#: the mandatory fields of a tax invoice the completeness check may find empty; a field not named here is shown
#: by its name
COMPLETENESS_FIELD_LABELS: Final = {
    "seller_name": N_("supplier's name"),
    "seller_ipn": N_("supplier's individual tax number"),
    "seller_edrpou": N_("supplier's EDRPOU"),
    "buyer_name": N_("consumer's name"),
    "buyer_ipn": N_("consumer's individual tax number"),
    "buyer_edrpou": N_("consumer's EDRPOU"),
    "buyer_address": N_("consumer's address"),
    "number": N_("tax invoice number"),
    "issued_on": N_("date of issue"),
    "lines": N_("supplied goods"),
}

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

#: the payments page's default: the last three years (manual: «Эти три года»)
DEFAULT_PAYMENT_YEARS: Final = 3


def completeness_label(field: str) -> str | None:
    """The message id naming a mandatory field, or None for one the cabinet does not know (shown as named)."""
    return COMPLETENESS_FIELD_LABELS.get(field)


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
