"""The public API (`/api/v1`) in process, its services stood in for by fakes that keep to the token's consumer as
the services do: a personal access token is required, resolved once in a while, its scopes decide; calls are
limited per token and logged; errors are JSON; no cookie counts; and Schemathesis finds no server error in its
schema."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import StreamingResponse

from gateway.api_access import RefusedTokens
from gateway.app import create_app
from gateway.billing_client import Ageing, Invoice, Invoices, Payments, Reconciliation, Saldo, TaxInvoices
from gateway.documents_client import Document
from gateway.identity_client import AccessToken, AdmittedCall, BranchRef, ConsumerRef, User
from gateway.metering_client import Act, Reading, Submitted, Window
from shared.api_fuzzing import fuzz_api
from shared.auth import Principal, Role
from shared.errors import ServiceCallError

from .conftest import make_settings

CONSUMER = UUID("5b1f3c2a-7d4e-4f6a-8b9c-0d1e2f3a4b5c")
BRANCH = uuid4()
USER = uuid4()
EVERY_SCOPE = "cab_" + "E" * 43
INVOICES_ONLY = "cab_" + "I" * 43
NOW = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)


def _invoice(period: str, **changes: Any) -> Invoice:
    return Invoice(
        id=uuid4(), consumer_id=CONSUMER, account_number="0789", number=f"РФ-0789-{period}", kind="regular",
        period=period, formed_on=date(2026, 3, 25), pay_by=date(2026, 4, 10), amount_excl_vat=Decimal("100.00"),
        vat=Decimal("20.00"), total=Decimal("120.00"), paid=Decimal("0"), balance=Decimal("120.00"),
        **{"document_id": uuid4(), **changes},
    )


def _missing() -> ServiceCallError:
    return ServiceCallError(404, {"code": "not_found", "message": "no such object"})


class FakeIdentity:
    """Identity as it admits a program's calls: the token resolved, counted (`per_minute` calls, never refilled
    here), recorded; and the statuses it is told."""

    def __init__(self) -> None:
        self.admitted: list[tuple[str, str, str]] = []
        self.answered: dict[int, int] = {}

    async def admit_api_call(self, principal: Principal, token: str, method: str, route: str,
                             per_minute: int) -> AdmittedCall:
        assert principal.role == Role.SERVICE
        scopes = {EVERY_SCOPE: ["documents:read", "invoices:read", "payments:read", "readings:write"],
                  INVOICES_ONLY: ["invoices:read"]}.get(token)
        if scopes is None:
            raise ServiceCallError(401, {"code": "access_token_invalid", "message": "unknown"})
        branch = BranchRef(id=BRANCH, name="РЕС")
        consumer = ConsumerRef(id=CONSUMER, account_number="0789", name="Автомобіліст-2", edrpou="12345678",
                               branch=branch, e_signature=True)
        if sum(1 for call in self.admitted if call[0] == token) >= per_minute:
            raise ServiceCallError(429, {"code": "rate_limited", "message": "too many", "retry_after": 20})
        self.admitted.append((token, method, route))
        return AdmittedCall(
            call_id=len(self.admitted),
            access_token=AccessToken(id=uuid4(), name="1С", scopes=scopes, prefix=token[:8], created_at=NOW,
                                     expires_at=NOW + timedelta(days=90)),
            user=User(id=USER, login="avtomobilist", email="a@cabinet.local", role=Role.CONSUMER, consumer=consumer,
                      branch=branch),
        )

    async def api_call_answered(self, principal: Principal, call_id: int, status: int) -> None:
        assert principal.role == Role.SERVICE and call_id not in self.answered
        self.answered[call_id] = status


class FakeServices:
    """Billing, documents and metering as they answer the token's consumer (another consumer's objects: 404)."""

    def __init__(self) -> None:
        self.march, self.february = _invoice("2026-03"), _invoice("2026-02")
        self.unsigned = _invoice("2026-01", document_id=None)
        self.act_document_id = uuid4()
        self.submitted: list[tuple[str, list[Reading], bool]] = []

    @staticmethod
    def _own(principal: Principal, consumer_id: UUID | None = None) -> None:
        assert principal.role == Role.CONSUMER and principal.user_id == USER and principal.branch_id == BRANCH
        if consumer_id is not None and consumer_id != principal.consumer_id:
            raise _missing()

    # billing
    async def invoices(self, principal: Principal, consumer_id: UUID, year: int | None = None) -> Invoices:
        self._own(principal, consumer_id)
        items = [self.march, self.february, self.unsigned] if year in (None, 2026) else []
        return Invoices(years=[2026], items=items)

    async def invoice(self, principal: Principal, invoice_id: UUID) -> Invoice:
        self._own(principal)
        for invoice in (self.march, self.february, self.unsigned):
            if invoice.id == invoice_id:
                return invoice
        raise _missing()

    async def payments(self, principal: Principal, consumer_id: UUID, start: date, end: date) -> Payments:
        self._own(principal, consumer_id)
        return Payments(saldo=await self.saldo(principal, consumer_id), items=[])

    async def saldo(self, principal: Principal, consumer_id: UUID) -> Saldo:
        self._own(principal, consumer_id)
        return Saldo(saldo=Decimal("120.00"), debt=Decimal("120.00"), overpayment=Decimal("0"), open_invoices=1)

    async def tax_invoices(self, principal: Principal, consumer_id: UUID, year: int | None = None) -> TaxInvoices:
        self._own(principal, consumer_id)
        return TaxInvoices(years=[], items=[])

    async def tax_invoice_xml(self, principal: Principal, tax_invoice_id: UUID) -> StreamingResponse:
        self._own(principal)
        raise _missing()

    async def reconciliation(self, principal: Principal, consumer_id: UUID, start: date | None,
                             end: date | None) -> Reconciliation:
        self._own(principal, consumer_id)
        start, end = start or date(2026, 1, 1), end or date(2026, 3, 28)
        if start > end:
            raise ServiceCallError(422, {"code": "invalid", "message": "invalid", "fields": {"from": "range_invalid"}})
        zero = Decimal("0.00")
        return Reconciliation(start=start, end=end, opening=zero, operations=[], debit_turnover=zero,
                              credit_turnover=zero, closing=zero, debtor="nobody",
                              ageing=Ageing(not_due=zero, days_0_30=zero, days_31_60=zero, days_61_90=zero,
                                            over_90=zero))

    # documents
    def _documents(self) -> list[Document]:
        def document(document_id: UUID, kind: str, title: str) -> Document:
            return Document(id=document_id, consumer_id=CONSUMER, type=kind, period="2026-03", title=title,
                            file_name="file.pdf", content_type="application/pdf", size=9, sha256="0" * 64,
                            created_at=NOW, issued_on=date(2026, 3, 25))

        return [document(self.march.document_id or uuid4(), "invoice", "Рахунок"),
                document(self.act_document_id, "reconciliation_act", "Акт звірки")]

    async def all_documents(self, principal: Principal, document_type: str | None = None) -> list[Document]:
        self._own(principal)
        return [document for document in self._documents() if document_type in (None, document.type)]

    async def document(self, principal: Principal, document_id: UUID) -> Document:
        self._own(principal)
        for document in self._documents():
            if document.id == document_id:
                return document
        raise _missing()

    async def content(self, principal: Principal, document_id: UUID) -> StreamingResponse:
        self._own(principal)
        if document_id not in (self.march.document_id, self.february.document_id, self.act_document_id):
            raise _missing()

        async def pieces() -> Any:
            yield b"%PDF-1.7\n"

        return StreamingResponse(pieces(), media_type="application/pdf")

    # metering
    async def window(self, principal: Principal, consumer_id: UUID) -> Window:
        self._own(principal, consumer_id)
        return Window(period="2026-03", state="open", billing_day=25)

    async def submit(self, principal: Principal, consumer_id: UUID, period: str, readings: list[Reading], *,
                     confirm: bool) -> Submitted:
        self._own(principal, consumer_id)
        if any(not reading.value.isdigit() for reading in readings):
            raise ServiceCallError(422, {"code": "invalid", "message": "invalid",
                                         "fields": {"readings.0.value": "not_a_number"}})
        self.submitted.append((period, readings, confirm))
        act = Act(id=uuid4(), consumer_id=CONSUMER, period=period, state="awaiting_signature",
                  source="cabinet", submitted_at=NOW)
        return Submitted(act=act)


class PublicApi:
    def __init__(self, client: TestClient, app: FastAPI, identity: FakeIdentity, services: FakeServices) -> None:
        self.client, self.app, self.identity, self.services = client, app, identity, services

    def get(self, path: str, token: str | None = EVERY_SCOPE, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(f"/api/v1{path}", headers=headers, **kwargs)

    def post(self, path: str, token: str | None = EVERY_SCOPE, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.post(f"/api/v1{path}", headers=headers, **kwargs)


def _public_app(calls_per_minute: int = 1000) -> tuple[FastAPI, FakeIdentity, FakeServices]:
    settings = make_settings("http://testserver").model_copy(update={"api_calls_per_minute": calls_per_minute})
    gateway = create_app(settings)
    public: FastAPI = gateway.state.public_api
    identity, services = FakeIdentity(), FakeServices()
    public.state.identity = identity
    public.state.refused_tokens = RefusedTokens(30)
    public.state.billing = public.state.documents = public.state.metering = services
    return gateway, identity, services


@pytest.fixture
def api() -> Iterator[PublicApi]:
    gateway, identity, services = _public_app()
    with TestClient(gateway, base_url="http://testserver") as client:
        yield PublicApi(client, gateway, identity, services)


def _refusal(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["detail"]["code"]


def test_a_token_is_required_and_cookies_do_not_count(api: PublicApi) -> None:
    assert _refusal(api.get("/saldo", token=None)) == (401, "token_missing")
    assert api.get("/saldo", token=None).headers["WWW-Authenticate"] == "Bearer"
    assert _refusal(api.get("/saldo", token="cab_revoked")) == (401, "access_token_invalid")
    # a signed-in browser's cookie is no token
    api.client.cookies.set("session", "a-session-token")
    assert _refusal(api.get("/saldo", token=None)) == (401, "token_missing")


def test_the_tokens_scopes_decide(api: PublicApi) -> None:
    assert api.get("/invoices", token=INVOICES_ONLY).status_code == 200
    for path in ("/saldo", "/payments", "/documents"):
        assert _refusal(api.get(path, token=INVOICES_ONLY)) == (403, "scope_missing"), path
    refused = api.post("/readings", token=INVOICES_ONLY, json={"readings": [
        {"point_id": str(uuid4()), "energy": "active", "zone": 1, "value": "1"}]})
    assert _refusal(refused) == (403, "scope_missing")


def test_every_call_is_admitted_by_identity_and_its_status_told(api: PublicApi) -> None:
    assert api.get("/saldo").status_code == 200
    assert api.get("/saldo", token=INVOICES_ONLY).status_code == 403
    assert api.get(f"/invoices/{uuid4()}").status_code == 404
    assert [call[1:] for call in api.identity.admitted] == [
        ("GET", "/saldo"), ("GET", "/saldo"), ("GET", "/invoices/{invoice_id}")]
    assert api.identity.answered == {1: 200, 2: 403, 3: 404}
    # a token identity refused is refused again without asking it
    for _ in range(2):
        assert _refusal(api.get("/saldo", token="cab_revoked")) == (401, "access_token_invalid")
    assert len(api.identity.admitted) == 3


def test_invoices_their_pdf_and_a_period(api: PublicApi) -> None:
    services = api.services
    listed = api.get("/invoices").json()
    assert [invoice["period"] for invoice in listed["items"]] == ["2026-03", "2026-02", "2026-01"]
    assert listed["items"][0]["total"] == "120.00"
    assert [invoice["id"] for invoice in api.get("/invoices", params={"period": "2026-02"}).json()["items"]] == [
        str(services.february.id)]
    assert api.get("/invoices", params={"period": "2026-13"}).status_code == 422
    assert api.get(f"/invoices/{services.march.id}").json()["number"] == "РФ-0789-2026-03"
    pdf = api.get(f"/invoices/{services.march.id}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content) == (200, "application/pdf", b"%PDF-1.7\n")
    assert _refusal(api.get(f"/invoices/{services.unsigned.id}/pdf")) == (404, "pdf_not_ready")
    # another consumer's invoice, as the services answer it
    assert _refusal(api.get(f"/invoices/{uuid4()}")) == (404, "not_found")
    assert _refusal(api.get("/invoices/not-an-id")) == (422, "invalid")


def test_payments_saldo_documents(api: PublicApi) -> None:
    assert api.get("/saldo").json()["saldo"] == "120.00"
    assert api.get("/payments", params={"from": "2026-01-01", "to": "2026-03-31"}).json()["items"] == []
    assert _refusal(api.get("/payments", params={"from": "2026-03-31", "to": "2026-01-01"})) == (422, "invalid")
    assert _refusal(api.get("/payments", params={"from": "2024-01-01", "to": "2026-01-01"})) == (422, "invalid")
    document = api.get("/documents").json()[0]
    assert api.get(f"/documents/{document['id']}/content").content == b"%PDF-1.7\n"
    assert _refusal(api.get(f"/tax-invoices/{uuid4()}/xml")) == (404, "not_found")


def test_the_reconciliation_act_and_the_issued_acts_pdfs(api: PublicApi) -> None:
    act = api.get("/reconciliation", params={"from": "2026-01-01", "to": "2026-03-28"}).json()
    assert (act["start"], act["end"], act["closing"], act["debtor"]) == ("2026-01-01", "2026-03-28", "0.00", "nobody")
    assert _refusal(api.get("/reconciliation", params={"from": "2026-03-28", "to": "2026-01-01"})) == (422, "invalid")
    assert _refusal(api.get("/reconciliation", params={"from": "28.03.2026"})) == (422, "invalid")
    [issued] = api.get("/reconciliation/acts").json()
    assert (issued["id"], issued["type"]) == (str(api.services.act_document_id), "reconciliation_act")
    pdf = api.get(f"/reconciliation/acts/{issued['id']}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    # a document of another type is no reconciliation act
    assert _refusal(api.get(f"/reconciliation/acts/{api.services.march.document_id}/pdf")) == (404, "not_found")
    assert _refusal(api.get("/reconciliation", token=INVOICES_ONLY)) == (403, "scope_missing")


def test_readings_are_checked_by_metering_as_the_forms_are(api: PublicApi) -> None:
    point = str(uuid4())
    # no CSRF token: a program's call carries its access token instead
    sent = api.post("/readings", json={"readings": [{"point_id": point, "energy": "active", "zone": 1,
                                                     "value": "18342"}]})
    assert sent.status_code == 201, sent.text
    assert sent.json()["act"]["period"] == "2026-03"
    [(period, [reading], confirm)] = api.services.submitted
    assert (period, str(reading.point_id), reading.value, confirm) == ("2026-03", point, "18342", False)
    refused = api.post("/readings", json={"period": "2026-02", "readings": [
        {"point_id": point, "energy": "active", "zone": 1, "value": "12,5"}]})
    assert refused.status_code == 422
    assert refused.json()["detail"]["fields"] == {"readings.0.value": "not_a_number"}
    assert api.post("/readings", json={"readings": []}).status_code == 422


def test_calls_are_limited_per_token() -> None:
    gateway, _, _ = _public_app(calls_per_minute=3)
    with TestClient(gateway) as client:
        headers = {"Authorization": f"Bearer {EVERY_SCOPE}"}
        assert [client.get("/api/v1/saldo", headers=headers).status_code for _ in range(3)] == [200] * 3
        limited = client.get("/api/v1/saldo", headers=headers)
        assert _refusal(limited) == (429, "rate_limited")
        assert limited.headers["Retry-After"] == "20"
        # another token has its own bucket
        assert client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {INVOICES_ONLY}"}).status_code == 200


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_every_call_is_logged(api: PublicApi) -> None:
    records = _Records()
    logging.getLogger("gateway.public_api").addHandler(records)
    try:
        api.get(f"/invoices/{api.services.march.id}")
        api.get("/saldo", token=INVOICES_ONLY)
    finally:
        logging.getLogger("gateway.public_api").removeHandler(records)
    calls = [record.fields for record in records.records if record.getMessage() == "public API call"]  # type: ignore[attr-defined]
    assert [(call["token"], call["route"], call["status"]) for call in calls] == [
        ("cab_EEEE", "/invoices/{invoice_id}", 200), ("cab_IIII", "/saldo", 403)]
    assert calls[0]["user"] == str(USER) and calls[0]["consumer"] == str(CONSUMER)


def test_the_schema_is_the_public_apis_alone(api: PublicApi) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) == {
        "/invoices", "/invoices/{invoice_id}", "/invoices/{invoice_id}/pdf", "/payments", "/saldo", "/tax-invoices",
        "/tax-invoices/{tax_invoice_id}/xml", "/documents", "/documents/{document_id}/content", "/readings",
        "/reconciliation", "/reconciliation/acts", "/reconciliation/acts/{document_id}/pdf"}
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "example" in schema["paths"]["/invoices"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "429" in schema["paths"]["/readings"]["post"]["responses"]


class _Bearer:
    """Hands `shared.api_fuzzing` the access token in place of a service token."""

    @staticmethod
    def issue(_: Principal) -> str:
        return EVERY_SCOPE


async def test_no_request_gets_a_server_error_or_an_undocumented_answer() -> None:
    gateway, _, services = _public_app()
    public = gateway.state.public_api
    # fuzz_api sends the token with every request; the schema's security left in, Schemathesis would take the
    # request it still authorises for one without a token that should have been refused
    schema = public.openapi()
    for operation in (operation for path in schema["paths"].values() for operation in path.values()):
        operation.pop("security", None)
    consumer = Principal(user_id=USER, consumer_id=CONSUMER, role=Role.CONSUMER)
    report = await fuzz_api(
        public, _Bearer(), {"accounting program": consumer},  # type: ignore[arg-type]
        known={"invoice_id": [str(services.march.id), str(services.unsigned.id)],
               "document_id": [str(services.march.document_id), str(services.act_document_id)]},
        max_examples=15,
    )
    report.assert_clean()
