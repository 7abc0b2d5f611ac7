"""The billing HTTP API, `/api/v1` (docs/api-billing.md): tariffs, calculation and invoices, billing runs, payments
and saldo, tax invoices. One transaction per request (`SessionDep`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response

from billing import schemas
from billing.domain.tax_invoices import to_xml, xml_file_name
from billing.invoices import Invoices
from billing.payments import Payments
from billing.reconciliation import Reconciliations
from billing.runs import Runs, RunWorker
from billing.tariffs import NewCoefficient, NewTariff, Tariffs
from billing.tax import TaxInvoicing
from shared.auth import PEOPLE, AdminOnly, Capability, PersonOrService, Principal, Role, StaffOnly, require_roles
from shared.db import SessionDep
from shared.inputs import IsoDate
from shared.service import file_download

router = APIRouter(prefix="/api/v1")


def tariffs_service(session: SessionDep) -> Tariffs:
    return Tariffs(session)


def invoices_service(request: Request, session: SessionDep) -> Invoices:
    return Invoices(session, request.app.state.billing)


def runs_service(request: Request, session: SessionDep) -> Runs:
    return Runs(session, request.app.state.billing)


def payments_service(request: Request, session: SessionDep) -> Payments:
    return Payments(session, request.app.state.billing)


def tax_service(request: Request, session: SessionDep) -> TaxInvoicing:
    return TaxInvoicing(session, request.app.state.billing)


TariffsDep = Annotated[Tariffs, Depends(tariffs_service)]
InvoicesDep = Annotated[Invoices, Depends(invoices_service)]
RunsDep = Annotated[Runs, Depends(runs_service)]
PaymentsDep = Annotated[Payments, Depends(payments_service)]
TaxDep = Annotated[TaxInvoicing, Depends(tax_service)]
#: who sees a consumer's money (invoices, payments, saldo, tax invoices, the reconciliation): people whose role
#: allows it, and services
MoneyReader = Annotated[Principal, Depends(require_roles(*PEOPLE, Role.SERVICE, capability=Capability.SEE_MONEY))]
#: who asks for an invoice or a reconciliation act: a consumer's director or accountant, or staff
MoneyHandler = Annotated[Principal, Depends(require_roles(*PEOPLE, capability=Capability.HANDLE_MONEY))]
Year = Annotated[int | None, Query(ge=1900, le=9999)]
Period = Annotated[str | None, Query(max_length=7)]


# tariffs
@router.get("/tariffs")
async def tariffs(principal: PersonOrService, service: TariffsDep,
                  consumer_id: uuid.UUID | None = None) -> schemas.TariffsOut:
    classes = await service.classes(principal, consumer_id)
    return schemas.TariffsOut(classes=[schemas.TariffClassOut.of(found) for found in classes])


@router.post("/tariffs", status_code=201)
async def add_tariff(body: schemas.NewTariff, principal: StaffOnly, service: TariffsDep) -> schemas.TariffOut:
    return schemas.TariffOut.of(await service.add(principal, NewTariff(**body.model_dump())))


@router.get("/zone-coefficients")
async def zone_coefficients(_: PersonOrService, service: TariffsDep) -> list[schemas.ZoneCoefficientOut]:
    return [schemas.ZoneCoefficientOut.of(found) for found in await service.zone_coefficients()]


@router.post("/zone-coefficients", status_code=201)
async def add_zone_coefficient(
    body: schemas.NewZoneCoefficient, _: StaffOnly, service: TariffsDep
) -> schemas.ZoneCoefficientOut:
    return schemas.ZoneCoefficientOut.of(await service.add_zone_coefficient(NewCoefficient(**body.model_dump())))


# calculation and invoices
@router.get("/consumers/{consumer_id}/calculation")
async def calculation(consumer_id: uuid.UUID, principal: MoneyReader, service: InvoicesDep,
                      period: Period = None) -> schemas.CalculationOut:
    return schemas.CalculationOut.of(await service.calculation(principal, consumer_id, period))


@router.post("/consumers/{consumer_id}/invoices", status_code=201)
async def issue_invoice(consumer_id: uuid.UUID, body: schemas.IssueInvoice, principal: MoneyHandler,
                        service: InvoicesDep, response: Response) -> schemas.InvoiceOut:
    """«Розрахувати»: 201 with the invoice issued now, 200 with the one the period has already."""
    details, created = await service.issue(principal, consumer_id, body.period)
    if not created:
        response.status_code = 200
    return schemas.InvoiceOut.of(details)


@router.get("/consumers/{consumer_id}/invoices")
async def invoices(consumer_id: uuid.UUID, principal: MoneyReader, service: InvoicesDep,
                   year: Year = None) -> schemas.InvoicesOut:
    years, items = await service.listing(principal, consumer_id, year)
    return schemas.InvoicesOut(years=years, items=[schemas.InvoiceOut.of(details) for details in items])


@router.get("/invoices/{invoice_id}")
async def invoice(invoice_id: uuid.UUID, principal: MoneyReader, service: InvoicesDep) -> schemas.InvoiceOut:
    return schemas.InvoiceOut.of(await service.one(principal, invoice_id))


@router.get("/due")
async def due(principal: StaffOnly, service: InvoicesDep, period: Period = None) -> list[schemas.DueOut]:
    return [schemas.DueOut.of(item) for item in (await service.due(principal, period))[1]]


# billing runs
@router.post("/billing-runs", status_code=202)
async def start_run(body: schemas.StartRun, principal: StaffOnly, service: RunsDep, request: Request,
                    background: BackgroundTasks) -> schemas.RunOut:
    run = await service.start(principal, body.period, body.consumer_ids)
    worker: RunWorker = request.app.state.billing_runs
    # started once the response is on its way, i.e. after the request's transaction committed the run
    background.add_task(worker.launch, run.id)
    return schemas.RunOut.of(run)


@router.get("/billing-runs/{run_id}")
async def run(run_id: uuid.UUID, principal: StaffOnly, service: RunsDep) -> schemas.RunOut:
    return schemas.RunOut.of(await service.one(principal, run_id))


@router.get("/billing-runs/{run_id}/documents")
async def run_documents(run_id: uuid.UUID, principal: StaffOnly, service: RunsDep) -> schemas.RunDocumentsOut:
    """How far the documents of the run's invoices got: PDFs stored, sealed, tax invoices issued."""
    found = await service.documents(principal, run_id)
    return schemas.RunDocumentsOut(invoices=found.invoices, pdfs=found.pdfs, sealed=found.sealed,
                                   tax_invoices=found.tax_invoices)


# payments and saldo; a parked payment names no consumer, so no branch: administrators review them
@router.get("/consumers/{consumer_id}/payments")
async def payments(consumer_id: uuid.UUID, principal: MoneyReader, service: PaymentsDep,
                   start: Annotated[IsoDate | None, Query(alias="from")] = None,
                   end: Annotated[IsoDate | None, Query(alias="to")] = None) -> schemas.PaymentsOut:
    saldo, items = await service.listing(principal, consumer_id, start, end)
    return schemas.PaymentsOut(saldo=schemas.SaldoOut.of(saldo), items=[schemas.PaymentOut.of(item) for item in items])


@router.get("/consumers/{consumer_id}/saldo")
async def saldo(consumer_id: uuid.UUID, principal: MoneyReader, service: PaymentsDep) -> schemas.SaldoOut:
    return schemas.SaldoOut.of(await service.saldo(principal, consumer_id))


@router.get("/payments/parked")
async def parked_payments(_: AdminOnly, service: PaymentsDep) -> list[schemas.PaymentOut]:
    return [schemas.PaymentOut.of(item) for item in await service.parked()]


@router.post("/payments/{payment_id}/assignment")
async def assign_payment(payment_id: uuid.UUID, body: schemas.AssignPayment, _: AdminOnly,
                         service: PaymentsDep) -> schemas.PaymentOut:
    return schemas.PaymentOut.of(await service.assign(payment_id, body.consumer_id))


@router.post("/payments/{payment_id}/return")
async def return_payment(payment_id: uuid.UUID, body: schemas.ReturnPayment, _: AdminOnly,
                         service: PaymentsDep) -> schemas.PaymentOut:
    return schemas.PaymentOut.of(await service.return_parked(payment_id, body.reason))


# tax invoices
@router.get("/consumers/{consumer_id}/tax-invoices")
async def tax_invoices(consumer_id: uuid.UUID, principal: MoneyReader, service: TaxDep,
                       year: Year = None) -> schemas.TaxInvoicesOut:
    years, items = await service.listing(principal, consumer_id, year)
    return schemas.TaxInvoicesOut(years=years, items=[schemas.TaxInvoiceOut.of(item) for item in items])


@router.get("/tax-invoices/{tax_invoice_id}")
async def tax_invoice(tax_invoice_id: uuid.UUID, principal: MoneyReader,
                      service: TaxDep) -> schemas.TaxInvoiceOut:
    return schemas.TaxInvoiceOut.of(await service.one(principal, tax_invoice_id))


@router.get("/tax-invoices/{tax_invoice_id}/xml", **file_download("application/xml"))
async def tax_invoice_xml(tax_invoice_id: uuid.UUID, principal: MoneyReader, service: TaxDep) -> Response:
    document = (await service.one(principal, tax_invoice_id)).document
    return Response(to_xml(document), media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{xml_file_name(document)}"'})


@router.post("/tax-invoices/{tax_invoice_id}/pdf")
async def tax_invoice_pdf(tax_invoice_id: uuid.UUID, principal: PersonOrService,
                          service: TaxDep) -> schemas.TaxInvoiceOut:
    """The tax invoice with its PDF's `document_id`: drawn by documents now if it was not before."""
    return schemas.TaxInvoiceOut.of(await service.pdf(principal, tax_invoice_id))


@router.post("/tax-invoices/{tax_invoice_id}/registration")
async def register_tax_invoice(tax_invoice_id: uuid.UUID, body: schemas.RegisterTaxInvoice, principal: StaffOnly,
                               service: TaxDep) -> schemas.TaxInvoiceOut:
    return schemas.TaxInvoiceOut.of(await service.register(principal, tax_invoice_id, body.registration, body.note))



# the reconciliation act
def reconciliation_service(request: Request, session: SessionDep) -> Reconciliations:
    return Reconciliations(session, request.app.state.billing)


ReconciliationsDep = Annotated[Reconciliations, Depends(reconciliation_service)]


@router.get("/consumers/{consumer_id}/reconciliation")
async def reconciliation(consumer_id: uuid.UUID, principal: MoneyReader, service: ReconciliationsDep,
                         start: Annotated[IsoDate | None, Query(alias="from")] = None,
                         end: Annotated[IsoDate | None, Query(alias="to")] = None) -> schemas.ReconciliationOut:
    return schemas.ReconciliationOut.of(await service.act(principal, consumer_id, start, end))


@router.post("/consumers/{consumer_id}/reconciliation/acts", status_code=202)
async def issue_reconciliation_act(consumer_id: uuid.UUID, body: schemas.ReconciliationPeriod, principal: MoneyHandler,
                                   service: ReconciliationsDep) -> schemas.ReconciliationActOut:
    """The act as a document both parties sign; documents stores it (202: on its way)."""
    issued = await service.issue(principal, consumer_id, body.start, body.end)
    return schemas.ReconciliationActOut(source_event=issued.source_event, title=issued.title)
