"""Events published by the documents service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.contracts.base import Event, event
from shared.contracts.signature import SigningParty

#: who must sign a document: the consumer and the supplier (an invoice), one of them (an act the consumer signs,
#: a tax invoice the supplier signs), or nobody (readings the supplier entered itself); None where the producer did
#: not say (messages older than the field): the signature service then goes by the document's type
Signers = tuple[SigningParty, ...] | None


@event
class DocumentStored(Event):
    event_name = "documents.document_stored"
    summary = (
        "A document's bytes were stored (immutable, identified by SHA-256) and its metadata recorded; "
        "`replaces` names the document a re-issue supersedes."
    )

    document_id: UUID
    consumer_id: UUID
    document_type: str
    #: the billing period `YYYY-MM` the document belongs to, if any
    period: str | None
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    replaces: UUID | None
    #: `<message type>/<message id>` of the event the document was made for, if any
    source_event: str | None
    #: the document's own date (an invoice's formation date, an act's date): what lists show and sort by
    issued_on: date | None = None
    signers: Signers = None


@event
class EdsOnboardingPackageReady(Event):
    event_name = "documents.eds_onboarding_package_ready"
    summary = (
        "A consumer filled in the e-signature form; documents.zip is stored and notify e-mails it to the address "
        "given (fetching the bytes from `content_path` of the documents API with a service token)."
    )

    document_id: UUID
    consumer_id: UUID
    email: EmailStr
    company_name: str
    edrpou: str
    signer_name: str
    file_name: str
    #: where the bytes are: `GET` on the documents service with a service token
    content_path: str
    #: where the consumer downloads the package in the cabinet
    download_url: str


# What documents draws: the data of each document type other services ask it to render, made by the requester and
# read by the template with these same classes.


def _exact(value: Decimal) -> str:
    """`12345.6`, `100`: exact, without an exponent or trailing zeros."""
    return f"{value.normalize():f}"


def _kopecks(value: Decimal) -> str:
    return f"{value:.2f}"


#: a billing period as documents print it
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
# numbers travel as decimal strings: exact, and amounts with their kopecks
Number = Annotated[Decimal, Field(allow_inf_nan=False), PlainSerializer(_exact, when_used="json")]
Money = Annotated[Decimal, Field(allow_inf_nan=False, decimal_places=2), PlainSerializer(_kopecks, when_used="json")]
#: a meter's register value or a volume (past a roll-over up to 10**12): exact, four digits after the point at most
RegisterValue = Annotated[Decimal, Field(ge=0, max_digits=17, decimal_places=4), PlainSerializer(_exact,
                                                                                                  when_used="json")]
Ratio = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4), PlainSerializer(_exact, when_used="json")]
Energy = Literal["active", "reactive"]
TaxInvoiceNumber = Annotated[str, StringConstraints(pattern=r"^\d{1,7}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class Party(BaseModel):
    """A legal entity as documents name it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    edrpou: str = Field(pattern=r"^\d{8}$")
    address: str | None = Field(default=None, max_length=300)
    iban: str | None = Field(default=None, max_length=34)
    bank: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=320)


#: the buyer's ІПН on a tax invoice for a buyer who is not a VAT payer (such a tax invoice is not given to the buyer)
NON_PAYER_IPN = "100000000000"


class TaxParty(Party):
    """A party with its VAT payer's number (ІПН), which a tax invoice names beside the ЄДРПОУ code."""

    ipn: str | None = Field(default=None, pattern=r"^\d{10,12}$")


class DocumentData(BaseModel):
    """The data of one document type: what its template draws."""

    model_config = ConfigDict(extra="forbid")

    document_type: ClassVar[str]


class InvoiceLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_serial: str = Field(min_length=1, max_length=32)
    energy: Energy
    zones: int = Field(ge=1, le=3)
    zone: int = Field(ge=1, le=3)
    previous: Number
    current: Number
    rollover: bool = False
    ct_ratio: Number
    vt_ratio: Number
    #: meter difference × CT × VT (on a correcting invoice: the difference to what was invoiced)
    volume: Number
    #: the tariff without VAT, and the zone coefficient that makes the price of the line
    tariff_price: Number
    coefficient: Number
    price: Number
    amount: Money


class InvoiceData(DocumentData):
    """Billing's invoice for electricity (a correcting invoice carries differences)."""

    document_type = "invoice"

    number: str = Field(min_length=1, max_length=60)
    kind: Literal["regular", "correcting"]
    corrects_number: str | None = Field(default=None, max_length=60)
    period: Month
    formed_on: date
    pay_by: date
    account_number: str = Field(min_length=1, max_length=20)
    supplier: Party
    consumer: Party
    lines: list[InvoiceLine] = Field(max_length=500)
    amount_excl_vat: Money
    vat: Money
    total: Money
    vat_rate: Decimal = Field(ge=0, le=1)


class ActLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_serial: str = Field(min_length=1, max_length=32)
    #: what the meter's register counts
    energy: Energy
    zone: int = Field(ge=1, le=3)
    #: the meter's zones (1, 2 or 3), which name the zone
    zones: int = Field(ge=1, le=3)
    previous: RegisterValue
    current: RegisterValue
    rollover: bool
    #: the meter difference, roll-over aware, before the transformer ratios
    volume: RegisterValue
    ct_ratio: Ratio
    vt_ratio: Ratio


class ReadingsActData(DocumentData):
    """Metering's act of readings transfer: a consumer's readings of a period."""

    document_type = "readings_act"

    period: Month
    submitted_on: date
    #: the supplier branch serving the consumer
    supplier: str = Field(min_length=1, max_length=300)
    consumer: Party
    account_number: str = Field(min_length=1, max_length=32)
    source: Literal["consumer", "staff", "res"]
    correction_reason: str | None = Field(default=None, max_length=1000)
    lines: list[ActLine] = Field(min_length=1)


class TaxInvoiceRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text
    product_code: Annotated[str, StringConstraints(max_length=10)]
    unit: Annotated[str, StringConstraints(max_length=30)]
    unit_code: Annotated[str, StringConstraints(max_length=4)]
    #: for a correction: the change
    quantity: Decimal
    price: Decimal
    vat_rate: Decimal
    amount: Decimal
    vat: Decimal
    #: for a correction: the reason code
    reason: str | None = None


class TaxInvoiceData(DocumentData):
    """Billing's tax invoice of an invoice."""

    document_type = "tax_invoice"

    number: TaxInvoiceNumber
    issued_on: date
    #: the invoice it was issued for
    invoice_number: Text
    seller: TaxParty
    buyer: TaxParty
    rows: Annotated[list[TaxInvoiceRow], Field(min_length=1)]
    amount_excl_vat: Decimal
    vat: Decimal
    total: Decimal
    vat_rate: Decimal
    compiler_name: str | None = None


class TaxInvoiceCorrectionData(TaxInvoiceData):
    """Billing's correction calculation of a correcting invoice: it refers to the tax invoice it corrects."""

    document_type = "tax_invoice_correction"

    corrects_number: TaxInvoiceNumber
    corrects_issued_on: date


class ReconciliationRow(BaseModel):
    """One operation of the consumer's account, as the supplier's books have it."""

    model_config = ConfigDict(extra="forbid")

    on: date
    kind: Literal["invoice", "correcting_invoice", "payment", "return"]
    #: the invoice's number, the payment's document number
    document: str = Field(max_length=60)
    debit: Money = Field(ge=0)
    credit: Money = Field(ge=0)


class ReconciliationActData(DocumentData):
    """Billing's reconciliation act (акт звірки взаєморозрахунків) over a period: balances are positive when the
    consumer owes the supplier, negative when the supplier owes the consumer."""

    document_type = "reconciliation_act"

    drawn_on: date
    start: date
    end: date
    account_number: str = Field(min_length=1, max_length=20)
    supplier: Party
    consumer: Party
    opening: Money
    rows: list[ReconciliationRow] = Field(max_length=5000)
    closing: Money


#: the data of every document type other services ask documents to render (a correction before the tax invoice it
#: extends, so that each is written as what it is)
RenderData = InvoiceData | ReadingsActData | TaxInvoiceCorrectionData | TaxInvoiceData | ReconciliationActData
RENDER_DATA: dict[str, type[DocumentData]] = {
    data.document_type: data for data in (InvoiceData, ReadingsActData, TaxInvoiceData, TaxInvoiceCorrectionData,
                                          ReconciliationActData)
}
RenderedType = Literal["invoice", "readings_act", "tax_invoice", "tax_invoice_correction", "reconciliation_act"]


@event
class RenderRequested(Event):
    event_name = "documents.render_requested"
    summary = (
        "Another service asks documents to render `data` with the template of `document_type` and store the PDF "
        "(`data` is that type's: an invoice's, a readings act's, a tax invoice's, a correction calculation's or a "
        "reconciliation act's); "
        "the answer is `documents.document_stored.v1` carrying the same `source_event` (the requester's reference, "
        "e.g. `billing.invoice/<id>`). Rendering the same reference again stores nothing new."
    )

    consumer_id: UUID
    document_type: RenderedType
    period: str | None
    title: str
    file_name: str
    data: RenderData
    replaces: UUID | None = None
    source_event: str
    #: the document's own date; the day it is stored when None
    issued_on: date | None = None
    signers: Signers = None

    @field_validator("data", mode="wrap")
    @classmethod
    def _data_of_the_document_type(cls, value: Any, _: Any, info: ValidationInfo) -> DocumentData:
        """The data is read as its document type's (not as whichever class it happens to fit)."""
        data_class = RENDER_DATA.get(info.data.get("document_type", ""))
        if data_class is None:
            raise ValueError("the document type is not one documents renders for other services")
        if isinstance(value, DocumentData) and type(value) is not data_class:
            raise ValueError(f"{type(value).__name__} is not the data of {data_class.document_type}")
        return data_class.model_validate(value)
