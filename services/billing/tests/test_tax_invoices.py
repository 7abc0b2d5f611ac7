"""Tax invoices through the API: one per issued invoice in its transaction (the manual's rows to the kopeck), a
correction calculation per correcting invoice, the completeness check until identity brings the buyer's ІПН, the
XML at once, the PDF drawn by documents when first asked for (once, however many ask at once), registration by
staff only, each consumer only their own."""

from __future__ import annotations

import asyncio
import io
import secrets
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pypdf import PdfReader

from billing.domain.tax_invoices import render_data
from billing.invoices import Invoices
from billing.tax import TaxInvoicing
from documents.app import create_app as create_documents_app
from documents.settings import DocumentsSettings
from shared.auth import ServiceTokens
from shared.contracts.documents import TaxInvoiceCorrectionData
from shared.http import ServiceClient
from shared.testing import delete_bus

#: the manual's «Налоговые накладные»: number, date, amount excl. VAT, VAT, total (the invoice's amounts)
MANUAL = [
    ("1480", "2013-08-25", "346.56", "69.31", "415.87"),
    ("1755", "2013-07-25", "313.42", "62.68", "376.10"),
    ("1671", "2013-06-25", "393.07", "78.61", "471.68"),
    ("1606", "2013-05-25", "457.82", "91.56", "549.38"),
    ("1711", "2013-04-25", "486.83", "97.36", "584.19"),
]
SELLER_IPN = "317930526591"  # the branch's ЄДРПОУ 31793056: a VAT number starting with its first seven digits
BUYER_IPN = "123456726591"  # the consumer's ЄДРПОУ 12345678


@pytest.fixture
def seller(api: Any) -> None:
    settings = api.runtime.settings
    settings.seller_ipn, settings.seller_tax_office = SELLER_IPN, "0425"
    settings.seller_compiler_name, settings.seller_compiler_tax_number = "Ґалаґан Юлія Миколаївна", "2345678901"


@pytest.fixture
async def manual(api: Any, seller: None) -> uuid.UUID:
    """№ 0789 invoiced April–August 2013 for the manual's amounts (1 UAH/kWh, the volume is the amount), each on the
    25th; the supplier's counters where the manual's numbers say they were."""
    await api.add_tariff("class2_general", "active", "1.000000", date(2013, 1, 1))
    consumer_id = await api.add_consumer("0789")
    point = await api.add_point(consumer_id, "0123456")
    async with api.database.transaction() as session:
        await session.execute(sa.text("INSERT INTO tax_invoice_counters VALUES ('31793056', 2013, :month, :last)"),
                              [{"month": int(day[5:7]), "last": int(number) - 1} for number, day, *_ in MANUAL])
    reading = Decimal(0)
    for _, day, amount, _, _ in reversed(MANUAL):
        api.set_today(date.fromisoformat(day))
        await api.accept(consumer_id, day[:7], [(point, "active", 1, str(reading), str(reading + Decimal(amount)))])
        reading += Decimal(amount)
        async with api.database.transaction() as session:
            await Invoices(session, api.runtime).issue(api.staff(), consumer_id, day[:7])
    return consumer_id


async def test_each_invoice_has_its_tax_invoice_with_the_manuals_rows(api: Any, manual: uuid.UUID) -> None:
    listed = await api.ok("GET", f"/consumers/{manual}/tax-invoices", api.consumer_user(manual))
    assert listed["years"] == [2013]
    rows = [(item["number"], item["issued_on"], item["amount_excl_vat"], item["vat"], item["total"])
            for item in listed["items"]]
    assert rows == MANUAL
    invoices = (await api.ok("GET", f"/consumers/{manual}/invoices", api.staff()))["items"]
    assert {item["invoice_id"]: item["invoice_number"] for item in listed["items"]} == {
        invoice["id"]: invoice["number"] for invoice in invoices}
    first = listed["items"][0]
    assert (first["kind"], first["registration"], first["corrects_number"], first["document_id"]) == (
        "tax_invoice", "not_registered", None, None)
    # the buyer's ІПН is not known yet: the only thing the consumer's check finds missing
    assert first["completeness"] == {"complete": False, "missing": ["buyer.ipn"]}
    assert await api.ok("GET", f"/consumers/{manual}/tax-invoices", api.staff(), params={"year": "2012"}) == {
        "years": [2013], "items": []}


async def set_buyer(api: Any, consumer_id: uuid.UUID, *, vat_payer: bool = True, ipn: str | None = BUYER_IPN) -> None:
    """Staff enter the consumer's VAT details in identity; billing learns them from identity's event."""
    await api.add_consumer("0789", consumer_id=consumer_id, vat_payer=vat_payer, ipn=ipn)


async def test_the_buyers_vat_details_from_identity_complete_the_tax_invoices_not_registered(
    api: Any, manual: uuid.UUID,
) -> None:
    await set_buyer(api, manual)
    listed = await api.ok("GET", f"/consumers/{manual}/tax-invoices", api.consumer_user(manual))
    assert {item["completeness"]["complete"] for item in listed["items"]} == {True}
    # the buyer's details were staff's to set in billing once; they are identity's now
    assert (await api.call("PUT", f"/consumers/{manual}/tax-details", api.staff(),
                           json={"ipn": BUYER_IPN})).status_code in (404, 405)

    august = listed["items"][0]
    response = await api.call("GET", f"/tax-invoices/{august['id']}/xml", api.consumer_user(manual))
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    assert 'filename="tax-invoice-1480-2013-08-25.xml"' in response.headers["content-disposition"]
    assert response.content.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    body = ET.fromstring(response.content).find("DECLARBODY")  # noqa: S314 - our own service's output
    assert body is not None
    assert [body.findtext(tag) for tag in ("HNUM", "HFILL", "HKSEL", "HKBUY", "HTINBUY", "R01G7", "R03G11",
                                           "R04G11")] == [
        "1480", "25082013", SELLER_IPN, BUYER_IPN, "12345678", "346.56", "69.31", "415.87"]

    # registration is staff's; a registered tax invoice keeps the buyer it was registered with
    registration = f"/tax-invoices/{august['id']}/registration"
    assert (await api.call("POST", registration, api.consumer_user(manual),
                           json={"registration": "registered"})).status_code == 403
    assert (await api.call("POST", registration, api.staff(), json={"registration": "lost"})).status_code == 422
    registered = await api.ok("POST", registration, api.staff(),
                              json={"registration": "registered", "note": "квитанція № 1"})
    assert (registered["registration"], registered["registration_note"]) == ("registered", "квитанція № 1")
    await set_buyer(api, manual, vat_payer=False, ipn=None)
    kept = await api.ok("GET", f"/tax-invoices/{august['id']}", api.consumer_user(manual))
    assert kept["registration"] == "registered" and kept["completeness"]["complete"] is True
    july = await api.ok("GET", f"/tax-invoices/{listed['items'][1]['id']}", api.consumer_user(manual))
    assert july["completeness"]["complete"] is True  # a non-payer buyer is written with the conventional number
    non_payer = await api.call("GET", f"/tax-invoices/{july['id']}/xml", api.staff())
    body = ET.fromstring(non_payer.content).find("DECLARBODY")  # noqa: S314
    assert body is not None and body.findtext("HKBUY") == "100000000000"


async def test_an_incomplete_tax_invoice_is_not_registered(api: Any, manual: uuid.UUID) -> None:
    [august, *_] = (await api.ok("GET", f"/consumers/{manual}/tax-invoices", api.staff()))["items"]
    refused = await api.call("POST", f"/tax-invoices/{august['id']}/registration", api.staff(),
                             json={"registration": "registered"})
    assert refused.status_code == 409
    assert (refused.json()["detail"]["code"], refused.json()["detail"]["missing"]) == (
        "tax_invoice_incomplete", ["buyer.ipn"])
    refusal = await api.ok("POST", f"/tax-invoices/{august['id']}/registration", api.staff(),
                           json={"registration": "refused", "note": "немає ІПН покупця"})
    assert (refusal["registration"], refusal["registration_note"]) == ("refused", "немає ІПН покупця")


async def test_rows_of_reactive_energy_carry_the_unit_code_the_supplier_gives(
    api: Any, manual: uuid.UUID,
) -> None:
    await set_buyer(api, manual)
    await api.add_tariff("class2_general", "reactive", "0.050000", date(2013, 1, 1))
    consumer_id = await api.add_consumer("0790", ipn=BUYER_IPN)
    point = await api.add_point(consumer_id, "0123457", reactive=True)
    api.set_today(date(2013, 9, 25))
    await api.accept(consumer_id, "2013-09", [(point, "active", 1, "0", "1000"), (point, "reactive", 1, "0", "300")])
    async with api.database.transaction() as session:
        await Invoices(session, api.runtime).issue(api.staff(), consumer_id, "2013-09")
    [september] = (await api.ok("GET", f"/consumers/{consumer_id}/tax-invoices", api.staff()))["items"]
    assert september["completeness"] == {"complete": False, "missing": ["rows.2.unit_code"]}
    api.runtime.settings.reactive_energy_unit_code = "0999"
    checked = await api.ok("GET", f"/tax-invoices/{september['id']}", api.staff())
    assert checked["completeness"] == {"complete": True, "missing": []}


@pytest.fixture
async def documents(api: Any, database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str,
                    bus_namespace: str, service_token_secret: str, s3_endpoint: str) -> AsyncIterator[FastAPI]:
    """The real documents service (its own database, bus namespace and bucket, moto's S3), billing's calls to it
    made in-process."""
    database_url = await database_factory("documents")
    namespace = f"{bus_namespace}docs"
    settings = DocumentsSettings(
        postgres_url=postgres_url, database_name=database_url.rsplit("/", 1)[1], amqp_url=amqp_url,
        bus_namespace=namespace, service_token_secret=service_token_secret, log_format="console",
        s3_endpoint=s3_endpoint, s3_access_key="cabinet-test", s3_secret_key="cabinet-test-secret",
        s3_bucket=f"test-billing-{secrets.token_hex(4)}",
    )
    app = create_documents_app(settings)
    try:
        async with app.router.lifespan_context(app):
            api.runtime.documents = ServiceClient(
                "http://documents", ServiceTokens(service_token_secret, issuer="billing"),
                transport=httpx.ASGITransport(app=app))
            yield app
    finally:
        await delete_bus(amqp_url, namespace, ["documents"])


async def test_the_xml_is_there_at_once_and_the_pdf_is_drawn_when_first_asked_for(
    api: Any, manual: uuid.UUID, documents: FastAPI, service_token_secret: str,
) -> None:
    # on the billing day documents draws the invoices only: a tax invoice is by law its XML
    assert len(await api.renders("invoice")) == 5
    await api.store_invoice_pdfs()
    assert await api.renders("tax_invoice") == []
    consumer = api.consumer_user(manual)
    [august, *_] = (await api.ok("GET", f"/consumers/{manual}/tax-invoices", consumer))["items"]
    assert august["document_id"] is None and august["has_pdf"] is True
    xml = await api.call("GET", f"/tax-invoices/{august['id']}/xml", consumer)
    assert xml.status_code == 200 and ET.fromstring(xml.content).findtext(".//HNUM") == "1480"  # noqa: S314

    # two first downloads at once: one PDF, stored by documents once
    first, second = await asyncio.gather(*(api.ok("POST", f"/tax-invoices/{august['id']}/pdf", consumer)
                                           for _ in range(2)))
    document_id = first["document_id"]
    assert document_id is not None and second["document_id"] == document_id
    assert (await api.ok("POST", f"/tax-invoices/{august['id']}/pdf", consumer))["document_id"] == document_id
    assert (await api.ok("GET", f"/tax-invoices/{august['id']}", consumer))["document_id"] == document_id
    async with documents.state.database.sessionmaker() as session:
        stored = (await session.execute(sa.text("SELECT id, source_event, document_type FROM documents"))).all()
    assert [tuple(map(str, row)) for row in stored] == [
        (document_id, f"billing.tax_invoice/{august['id']}", "tax_invoice")]

    reader = ServiceClient("http://documents", ServiceTokens(service_token_secret, issuer="gateway"),
                           transport=httpx.ASGITransport(app=documents))
    path = f"/api/v1/documents/{document_id}/content"
    pdf = (await reader.open_stream(path, consumer))
    first_bytes = await pdf.aread()
    again = await reader.open_stream(path, consumer)
    assert await again.aread() == first_bytes and first_bytes.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(first_bytes)).pages[0].extract_text().split())
    assert "Податкова накладна № 1480" in text and SELLER_IPN in text
    # a consumer cannot have another's drawn
    other = api.consumer_user(uuid.uuid4())
    assert (await api.call("POST", f"/tax-invoices/{august['id']}/pdf", other)).status_code == 404


async def test_a_correcting_invoice_has_a_correction_calculation(api: Any, manual: uuid.UUID) -> None:
    point = await api.scalar("SELECT id FROM metering_points")
    api.set_today(date(2013, 9, 2))
    # August read 1997.70 (346.56 kWh), corrected to 1949.44: 48.26 kWh less
    [correcting] = await api.accept(manual, "2013-08", [(point, "active", 1, "1651.14", "1949.44")],
                                    correction_reason="misread digit")
    listed = await api.ok("GET", f"/consumers/{manual}/tax-invoices", api.consumer_user(manual))
    correction, august = listed["items"][:2]
    assert (correction["kind"], correction["number"], correction["issued_on"], correction["invoice_id"]) == (
        "correction", "1", "2013-09-02", str(correcting))
    assert (correction["corrects_tax_invoice_id"], correction["corrects_number"]) == (august["id"], "1480")
    assert (correction["amount_excl_vat"], correction["vat"], correction["total"]) == ("-48.26", "-9.65", "-57.91")
    async with api.database.transaction() as session:
        details = await TaxInvoicing(session, api.runtime).one(api.staff(), uuid.UUID(correction["id"]))
    data = render_data(details.document)  # what documents draws when its PDF is asked for
    assert isinstance(data, TaxInvoiceCorrectionData)
    assert (data.corrects_number, str(data.corrects_issued_on), data.rows[0].reason) == ("1480", "2013-08-25", "102")
    await set_buyer(api, manual)
    checked = await api.ok("GET", f"/tax-invoices/{correction['id']}", api.staff())
    assert checked["completeness"] == {"complete": True, "missing": []}
    xml = await api.call("GET", f"/tax-invoices/{correction['id']}/xml", api.staff())
    body = ET.fromstring(xml.content).find("DECLARBODY")  # noqa: S314
    assert body is not None and [body.findtext(tag) for tag in ("HPODNUM", "HPODFILL", "R01G9", "R001G03")] == [
        "1480", "25082013", "-48.26", "-9.65"]


async def test_each_consumer_sees_only_their_own_tax_invoices(api: Any, manual: uuid.UUID) -> None:
    [august, *_] = (await api.ok("GET", f"/consumers/{manual}/tax-invoices", api.staff()))["items"]
    stranger = api.consumer_user(await api.add_consumer("0064"))
    refused = await api.call("GET", f"/consumers/{manual}/tax-invoices", stranger)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "other_consumer"
    for path in (f"/tax-invoices/{august['id']}", f"/tax-invoices/{august['id']}/xml",
                 f"/tax-invoices/{uuid.uuid4()}"):
        hidden = await api.call("GET", path, stranger)
        assert hidden.status_code == 404 and hidden.json()["detail"]["code"] == "tax_invoice_not_found", path
