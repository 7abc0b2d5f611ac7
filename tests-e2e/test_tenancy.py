"""Tenancy of every page of the gateway, on the whole system (issue 13): the demo consumer № 0789 with its history
(meters, half a year of readings, invoices, tax invoices, payments, a sealed act, a letter, a message to the
developers) is reached by its own user and its branch's staff (`manager`) and by nobody else — not another consumer's
user of the same branch, not the second branch's staff (`manager2`), not an anonymous visitor.

Generated from the gateway's routes (`gateway.app.PAGE_MODULES`): each page is either probed with the ids of the
consumer's objects (the path, the form) or named as exempt with the reason; a new page in neither fails the test.
Who may open a page comes from the visitors it names (`shared.auth.roles_of` over `gateway.sessions`):

- a visitor whose role the page does not serve: the login page (not signed in) or 403;
- a visitor it serves who may not see the consumer: 404 (or 403) as the services answer; a page of one's own
  (a consumer's invoices, the console's inbox) shows them nothing of the consumer's;
- the consumer's user, its branch's staff, an administrator: the page, or the use case's own answer (409, 422).

Plain HTTP like a browser's (cookies, the csrf field), no Chromium: about 600 requests.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest

from devtools import demo as demo_history
from devtools.processes import Layout, System
from devtools.res_simulator import publish_payments
from gateway.app import PAGE_MODULES
from journeys import Mailbox, identity_admin
from shared.auth import Principal, Role, ServiceTokens, roles_of
from shared.contracts.res import PaymentReceived
from shared.testing import run_in_thread, until
from shared.testing_tenancy import Outcome, Probe, route_keys

pytestmark = pytest.mark.timeout(600)

PASSWORD = "zelenyi-tramvai-cherez-sim-mostiv"
#: the demo consumer's name as every page of it shows it in the frame, and no other consumer's page does
OWN_NAME = "Автомобіліст-2"


class Visitor:
    """A browser without a window: its cookies, and the csrf field (or header) with every form and call."""

    def __init__(self, name: str, base_url: str, role: Role) -> None:
        self.name, self.role = name, role
        self.http = httpx.Client(base_url=base_url, timeout=60.0, cookies={"lang": "uk"})
        self.http.get("/login")

    def send(self, method: str, probe: Probe) -> httpx.Response:
        if method == "GET":
            return self.http.get(probe.path, params=probe.params)
        csrf = self.http.cookies["csrf"]
        if probe.json is not None:
            return self.http.post(probe.path, json=probe.json, headers={"X-CSRF-Token": csrf})
        return self.http.post(probe.path, data={**(probe.data or {}), "csrf_token": csrf}, files=probe.files)

    def log_in(self, login: str, password: str) -> Visitor:
        answer = self.send("POST", Probe("/login", data={"login": login, "password": password}))
        assert answer.status_code == 303, answer.text
        return self


@dataclass
class World:
    consumer_id: str
    visitors: dict[str, Visitor]
    #: ids of the consumer's objects, by kind
    ids: dict[str, str] = field(default_factory=dict)


def _register(system: System, mailbox: Mailbox, manager: Visitor, consumer_id: str, email: str, login: str
              ) -> Visitor:
    """The consumer's new user: staff issue an activation code (and the letter with the link), the user registers."""
    letters = len(mailbox.letters(email))
    issued = manager.send("POST", Probe(f"/console/consumers/{consumer_id}/activation-codes"))
    code = re.search(r'activation-code__value"><code>([^<]+)<', issued.text)
    assert issued.status_code == 201 and code, issued.text
    letter = mailbox.wait_for(email, count=letters + 1)[0]  # newest first
    token = mailbox.link(letter, "/registration/complete/").rsplit("/", 1)[1]
    visitor = Visitor("consumer", system.layout.url("gateway"), Role.CONSUMER)
    done = visitor.send("POST", Probe(f"/registration/complete/{token}", data={
        "activation_code": code.group(1), "login": login, "password": PASSWORD, "password_confirmation": PASSWORD}))
    assert done.status_code == 303, done.text
    return visitor.log_in(login, PASSWORD)


class ServiceCalls:
    """The services' APIs called as an administrator of the supplier, for setting the world up."""

    def __init__(self, layout: Layout, secret: str) -> None:
        self.layout = layout
        self.tokens = ServiceTokens(secret, issuer="tenancy-test")
        self.http = httpx.Client(timeout=30)

    def __enter__(self) -> ServiceCalls:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def call(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        principal = Principal(user_id=uuid.UUID(int=1), role=Role.ADMIN, issuer="tenancy-test")
        headers = {"Authorization": f"Bearer {self.tokens.issue(principal, ttl=60)}"}
        return self.http.request(method, f"{self.layout.url(service)}/api/v1{path}", headers=headers, **kwargs)


@pytest.fixture(scope="module")
def world(system: System, demo: dict[str, Any], tariffs: None, mailbox: Mailbox, service_token_secret: str,
          amqp_url: str) -> World:
    gateway = system.layout.url("gateway")
    consumer_id = demo["consumer_id"]
    # names of this module's own: other modules of the session may have made theirs
    suffix = f"{uuid.uuid4().int % 1000:03d}"
    manager = Visitor("own branch's staff", gateway, Role.STAFF).log_in(demo["staff_login"], demo["staff_password"])
    manager2 = Visitor("other branch's staff", gateway, Role.STAFF).log_in("manager2", demo["staff_password"])
    identity_admin(system, "add-admin", "--login", f"holovnyi{suffix}", "--email", f"holovnyi{suffix}@cabinet.local",
                    "--password", PASSWORD)
    admin = Visitor("administrator", gateway, Role.ADMIN).log_in(f"holovnyi{suffix}", PASSWORD)
    own = _register(system, mailbox, manager, consumer_id, demo["agreement_email"], f"avtomobilist{suffix}")
    own.name = "own consumer"
    # another consumer of the same branch, with a user of its own
    created = manager.send("POST", Probe("/console/consumers/new", data={
        "account_number": f"9{suffix}", "name": "ТОВ «Сусід»", "edrpou": "32855961", "branch_id": demo["branch_id"],
        "agreement_email": f"susid{suffix}@cabinet.local", "billing_day": "5"}))
    other_id = re.search(r'href="/console/consumers/([0-9a-f-]{36})"', created.text)
    assert created.status_code == 201 and other_id, created.text
    other = _register(system, mailbox, manager, other_id.group(1), f"susid{suffix}@cabinet.local", f"susid{suffix}")
    other.name = "other consumer"

    # the consumer's history, as make run loads it: meters, readings, invoices, payments (loaded already, and signed,
    # when the demo walk ran before in this session)
    layout = system.layout
    run_in_thread(demo_history.load(system, service_token_secret, consumer_id, signers=None))
    world = World(consumer_id, {visitor.name: visitor for visitor in (
        other, manager2, Visitor("anonymous", gateway, Role.ANONYMOUS), own, manager, admin)})
    with ServiceCalls(layout, service_token_secret) as services:
        def answer(service: str, path: str, **params: Any) -> Any:
            found = services.call(service, "GET", f"{path}", params=params)
            found.raise_for_status()
            return found.json()

        invoices = until(lambda: [item for item in answer("billing", f"/consumers/{consumer_id}/invoices")["items"]
                                  if item["document_id"]] or None, "an invoice's PDF")
        world.ids["invoice_document"] = invoices[0]["document_id"]
        world.ids["tax_invoice"] = until(
            lambda: answer("billing", f"/consumers/{consumer_id}/tax-invoices")["items"] or None,
            "a tax invoice")[0]["id"]
        points = answer("metering", f"/consumers/{consumer_id}/points")
        world.ids["point"] = points[0]["id"]
        acts = until(lambda: [act for act in answer("metering", f"/consumers/{consumer_id}/acts")
                              if act["document_id"]] or None, "an act's PDF")
        world.ids["act"], world.ids["act_period"] = acts[0]["id"], acts[0]["period"]

        def known_to_signature(document_id: str) -> bool:
            return services.call("signature", "GET", f"/documents/{document_id}/status").status_code == 200

        # an invoice the supplier signed (its signature file, its container), another for the consumer to refuse
        signed, refused = invoices[0]["document_id"], invoices[1]["document_id"]

        def signatures() -> list[dict[str, Any]] | None:
            status = services.call("signature", "GET", f"/documents/{signed}/status")
            if status.status_code != 200:
                return None  # the signature service has not heard of the invoice yet
            if not status.json()["signatures"]:
                services.call("signature", "POST", f"/documents/{signed}/seal")
            return status.json()["signatures"] or None

        world.ids["signed_document"] = signed
        world.ids["signature"] = until(signatures, "the supplier's signature of an invoice")[0]["id"]
        world.ids["to_refuse"] = refused
        # back-dated documents waiting for the supplier's signature (the seal signs only what is issued today): one
        # to be listed and prepared for signing, one to be sealed
        for kind in ("awaiting_supplier", "to_seal"):
            waiting = services.call("documents", "POST", "/documents", json={
                "consumer_id": consumer_id, "type": "supplementary_agreement", "title": "Додаткова угода № 3",
                "file_name": "Додаткова угода № 3.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(f"%PDF-1.4\n% {kind}\n".encode()).decode(),
                "issued_on": "2024-05-01", "signers": ["consumer", "supplier"]})
            assert waiting.status_code == 201, waiting.text
            world.ids[kind] = waiting.json()["id"]
            until(partial(known_to_signature, waiting.json()["id"]), "signature knowing the agreement")
        # payments for accounts nobody has, waiting for an administrator
        references = [f"tenancy-{uuid.uuid4().hex[:8]}" for _ in range(2)]
        run_in_thread(publish_payments(amqp_url, layout.bus_namespace, [PaymentReceived(
            res_payment_id=reference, account_number="99999", amount=Decimal("12.50"), paid_on=date.today(),
            payer_iban="UA263351060000026007233566001", bank="АТ «Ощадбанк»", mfo="335106", purpose="оплата",
            document_number="@1") for reference in references]))

        def parked() -> list[str] | None:
            ours = [payment["id"] for payment in answer("billing", "/payments/parked")
                    if payment["res_payment_id"] in references]
            return ours if len(ours) == len(references) else None

        world.ids["parked"], world.ids["parked_too"] = until(parked, "the parked payments")

    letter = own.send("POST", Probe("/letters/new", data={
        "addressee_type": "settlements", "letter_type": "question", "subject": "Рахунок за травень",
        "text": "Прошу пояснити суму."}))
    assert letter.status_code == 303, letter.text
    world.ids["letter"] = letter.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert own.send("POST", Probe("/feedback", data={"message": "Кнопка не працює", "page": "/invoices"})
                    ).status_code == 303
    feedback = manager.http.get("/console/feedback").text
    world.ids["feedback"] = re.findall(r"/console/feedback/([0-9a-f-]{36})/read", feedback)[0]
    run = manager.send("POST", Probe("/console/billing/runs", data={"period": world.ids["act_period"]}))
    assert run.status_code == 303, run.text
    world.ids["run"] = run.headers["location"].split("?")[0].rsplit("/", 1)[1]
    return world


def probes_of(world: World) -> dict[str, Callable[[], Probe]]:
    ids, consumer = world.ids, f"/console/consumers/{world.consumer_id}"
    period = ids["act_period"]

    def probe(path: str, **fields: Any) -> Callable[[], Probe]:
        return lambda: Probe(path, **fields)

    own_page = (OWN_NAME,)
    return {
        # the consumer's own pages: another consumer's user sees their own there, nothing of this consumer's
        "GET /documents": probe("/documents", lists=own_page),
        "GET /invoices": probe("/invoices", lists=own_page),
        "GET /invoices.{extension}": probe("/invoices.csv", lists=("0789/",)),
        "GET /payments": probe("/payments", lists=own_page),
        "GET /payments.{extension}": probe("/payments.csv", lists=("0789/",)),
        "GET /reconciliation": probe("/reconciliation", lists=own_page),
        "GET /reconciliation.{extension}": probe("/reconciliation.csv", lists=("0789/",)),
        "GET /tax-invoices": probe("/tax-invoices", lists=own_page),
        "GET /readings": probe("/readings", lists=own_page),
        "GET /tariffs": probe("/tariffs", lists=own_page),
        "GET /letters": probe("/letters", lists=(ids["letter"],)),
        "GET /supplier": probe("/supplier", lists=own_page),
        "GET /eds": probe("/eds", lists=own_page),
        "GET /settings/audit": probe("/settings/audit", lists=own_page),
        # one document, signature, letter, tax invoice of the consumer
        "GET /documents/{document_id}": probe(f"/documents/{ids['invoice_document']}"),
        "GET /documents/{document_id}/content": probe(f"/documents/{ids['invoice_document']}/content"),
        "GET /documents/{document_id}/download": probe(f"/documents/{ids['invoice_document']}/download"),
        "GET /documents/{document_id}/container": probe(f"/documents/{ids['signed_document']}/container"),
        "GET /signatures/{signature_id}/p7s": probe(f"/signatures/{ids['signature']}/p7s"),
        "POST /documents/{document_id}/rejection": probe(f"/documents/{ids['to_refuse']}/rejection",
                                                         data={"reason": "Не той період"}),
        "POST /documents/{document_id}/seal": probe(f"/documents/{ids['to_seal']}/seal"),
        "POST /api/signing/{document_id}/prepare": probe(
            f"/api/signing/{ids['awaiting_supplier']}/prepare", json={"certificate_id": str(uuid.uuid4())},
            passed_codes=frozenset({(404, "certificate_not_found")}), refusal_code="document_not_found"),
        "GET /letters/{letter_id}": probe(f"/letters/{ids['letter']}"),
        "GET /tax-invoices/{tax_invoice_id}/xml": probe(f"/tax-invoices/{ids['tax_invoice']}/xml"),
        "GET /tax-invoices/{tax_invoice_id}/pdf": probe(f"/tax-invoices/{ids['tax_invoice']}/pdf"),
        # the console: lists across consumers show another branch's staff nothing of this one's
        "GET /console": probe("/console", params={"query": "0789"}, lists=(world.consumer_id,)),
        "GET /console/billing": probe("/console/billing", params={"period": period}, lists=(world.consumer_id,)),
        "GET /console/signatures": probe("/console/signatures", lists=(world.consumer_id,)),
        "GET /console/letters": probe("/console/letters", lists=(ids["letter"],)),
        "GET /console/feedback": probe("/console/feedback", lists=(ids["feedback"],)),
        "GET /console/payments": probe("/console/payments", lists=(ids["parked"],)),
        "GET /console/billing/runs/{run_id}": probe(f"/console/billing/runs/{ids['run']}"),
        # the console: one consumer
        "GET /console/consumers/{consumer_id}": probe(consumer),
        "GET /console/consumers/{consumer_id}/edit": probe(f"{consumer}/edit"),
        "GET /console/consumers/{consumer_id}/audit": probe(f"{consumer}/audit"),
        "POST /console/consumers/{consumer_id}/edit": probe(f"{consumer}/edit", data={
            "name": 'Кооператив "Автомобіліст-2"', "edrpou": "12345678", "agreement_email": "demo@cabinet.local",
            "billing_day": "25", "self_calculation": "true", "e_signature": "true", "vat_payer": "true",
            "ipn": "123456726590"}),
        "POST /console/consumers/{consumer_id}/activation-codes": probe(f"{consumer}/activation-codes"),
        "GET /console/consumers/{consumer_id}/invoices": probe(f"{consumer}/invoices"),
        "GET /console/consumers/{consumer_id}/invoices.{extension}": probe(f"{consumer}/invoices.xlsx"),
        "POST /console/consumers/{consumer_id}/invoices": probe(f"{consumer}/invoices", data={"period": period}),
        "GET /console/consumers/{consumer_id}/payments": probe(f"{consumer}/payments"),
        "GET /console/consumers/{consumer_id}/payments.{extension}": probe(f"{consumer}/payments.csv"),
        "GET /console/consumers/{consumer_id}/reconciliation": probe(f"{consumer}/reconciliation"),
        "GET /console/consumers/{consumer_id}/reconciliation.{extension}": probe(f"{consumer}/reconciliation.csv"),
        "POST /console/consumers/{consumer_id}/reconciliation/acts": probe(f"{consumer}/reconciliation/acts"),
        "GET /console/consumers/{consumer_id}/tax-invoices": probe(f"{consumer}/tax-invoices"),
        "POST /console/consumers/{consumer_id}/tax-invoices/{tax_invoice_id}/registration": probe(
            f"{consumer}/tax-invoices/{ids['tax_invoice']}/registration", data={"registration": "registered"}),
        "GET /console/consumers/{consumer_id}/points": probe(f"{consumer}/points"),
        "POST /console/consumers/{consumer_id}/points": probe(f"{consumer}/points", data={
            "meter_serial": f"T-{uuid.uuid4().hex[:8]}", "zones": "1", "digits": "6", "ct_ratio": "1",
            "vt_ratio": "1", "location": "consumer_site", "consumer_reads": "1", "tariff_class": "class2_general",
            "installation_active_1": "0"}),
        "GET /console/consumers/{consumer_id}/points/{point_id}": probe(f"{consumer}/points/{ids['point']}"),
        "POST /console/consumers/{consumer_id}/points/{point_id}": probe(f"{consumer}/points/{ids['point']}",
                                                                          data={"zones": "x"}),
        "POST /console/consumers/{consumer_id}/points/{point_id}/retirement": probe(
            f"{consumer}/points/{ids['point']}/retirement"),
        "GET /console/consumers/{consumer_id}/readings": probe(f"{consumer}/readings"),
        "POST /console/consumers/{consumer_id}/readings": probe(f"{consumer}/readings", data={"period": period}),
        "POST /console/consumers/{consumer_id}/readings/corrections": probe(f"{consumer}/readings/corrections",
                                                                            data={"period": period}),
        "POST /console/consumers/{consumer_id}/readings/import": probe(
            f"{consumer}/readings/import", data={"period": period},
            files={"file": ("readings.csv", b"meter_serial;energy;zone;value\n", "text/csv")}),
        "POST /console/consumers/{consumer_id}/acts/{act_id}/paper-received": probe(
            f"{consumer}/acts/{ids['act']}/paper-received", data={"period": period}),
        "GET /console/letters/{letter_id}": probe(f"/console/letters/{ids['letter']}"),
        "POST /console/letters/{letter_id}/replies": probe(f"/console/letters/{ids['letter']}/replies",
                                                           data={"reply": "Сума включає борг за квітень."}),
        "POST /console/letters/{letter_id}/handled": probe(f"/console/letters/{ids['letter']}/handled"),
        "POST /console/feedback/{feedback_id}/read": probe(f"/console/feedback/{ids['feedback']}/read"),
        "POST /console/payments/{payment_id}/assignment": probe(f"/console/payments/{ids['parked']}/assignment",
                                                                data={"account_number": "0789"}),
        "POST /console/payments/{payment_id}/return": probe(f"/console/payments/{ids['parked_too']}/return",
                                                            data={"return_reason": "невідомий рахунок"}),
    }


PUBLIC = "public: the help, the login, the registration (a link token and an activation code guard it)"
OWN_USER = "the visitor's own account, certificates, messages: the session names the user, the request nobody"
OWN_CONSUMER = "the visitor's own consumer's form: the session names the consumer, the request none"
EXEMPT = {
    **{key: PUBLIC for key in (
        "GET /help", "GET /help/e-signature", "GET /help/laws", "GET /help/readings-import", "GET /help/report",
        "GET /help/signature-statuses", "GET /help/terms", "GET /login", "POST /login", "POST /logout",
        "GET /registration/complete/{token}", "POST /registration/complete/{token}",
        "POST /registration/complete/{token}/check-login", "GET /registration/complete/{token}/login-availability",
        "GET /registration/resend", "POST /registration/resend", "GET /settings/email/confirm/{token}",
        "GET /invitations/{token}", "POST /invitations/{token}")},
    **{key: OWN_USER for key in (
        "GET /", "GET /sitemap", "GET /settings", "POST /settings/email", "POST /settings/email/cancel",
        "POST /settings/login", "POST /settings/password", "GET /signature/certificates",
        "POST /signature/certificates", "POST /signature/certificates/{certificate_id}/removal", "GET /feedback",
        "POST /feedback", "GET /settings/access-tokens", "POST /settings/access-tokens")},
    **{key: OWN_CONSUMER for key in (
        "POST /readings", "POST /readings/calculation", "POST /readings/import", "GET /letters/new",
        "POST /letters/new", "POST /eds", "POST /reconciliation/acts", "POST /reconciliation/disagreement",
        "GET /settings/users", "POST /settings/users/invitations")},
    **{key: "another consumer's colleague or invitation is answered as a missing one (identity's colleagues and "
            "tenancy tests)" for key in (
        "POST /settings/users/invitations/{invitation_id}/withdrawal", "POST /settings/users/{user_id}/removal",
        "POST /settings/users/{user_id}/role")},
    "POST /api/signing/finalize/{signing_id}": "a signing in progress is its signer's alone (their user id), "
                                               "prepared after the document's check (POST .../prepare above)",
    "POST /settings/access-tokens/{token_id}/revocation": "another user's access token is answered as a missing "
                                                          "one (identity's access tokens test)",
    "GET /console/consumers/new": "a blank form; the consumer it makes is in a branch of the staff member's "
                                  "(identity's tenancy test)",
    "POST /console/consumers/new": "makes a consumer of the staff member's branch only (identity's tenancy test)",
    "GET /console/tariffs": "the supplier's price list, the same for every branch's consumers",
    "POST /console/tariffs": "the supplier's price list, the same for every branch's consumers",
    "POST /console/zone-coefficients": "the regulator's zone coefficients, the same for every consumer",
    "POST /console/billing/runs": "a run works on the staff member's branch only (billing's tenancy test: another "
                                  "branch's consumer is skipped as unknown); the form names no consumer",
}


def _expected(visitor: Visitor, roles: frozenset[Role], probe: Probe, response: httpx.Response) -> tuple[str, bool]:
    status, text = response.status_code, response.text
    shown = [marker for marker in probe.lists if marker in text]
    code = response.json().get("code") if response.headers.get("content-type", "").startswith(
        "application/json") and status >= 400 else None
    to_login = status == 303 and response.headers["location"].startswith("/login")
    sees = visitor.name in ("own consumer", "own branch's staff", "administrator")
    if visitor.role not in roles:
        if visitor.role == Role.ANONYMOUS:
            return "the login page", to_login or (status, code) == (401, "session_invalid")
        return "403", status == 403
    if not sees:
        if probe.lists:
            return "the page without the consumer's", status == 200 and not shown
        return "404 or 403", status in (403, 404) and probe.refusal_code in (None, code)
    if (status, code) in probe.passed_codes:
        return "let through", True
    return "let through" + (", showing the consumer's" if probe.lists else ""), (
        status not in (401, 403, 404) and status < 500 and not to_login and shown == list(probe.lists))


def test_every_page_keeps_to_the_consumer_and_its_branch(world: World) -> None:
    started = time.monotonic()
    routes = route_keys(module.router for module in PAGE_MODULES)
    probes = probes_of(world)
    unnamed = sorted(set(routes) - set(probes) - set(EXEMPT))
    assert not unnamed, f"pages neither probed nor exempt (say how to call them, or why not): {unnamed}"
    assert not (set(probes) | set(EXEMPT)) - set(routes), "probes or exemptions of pages there are not"
    outcomes = []
    for key, make in probes.items():
        method, roles, probe = key.split(" ", 1)[0], roles_of(routes[key]), make()
        assert roles is not None, key
        visitors = sorted(world.visitors.values(), key=lambda visitor: visitor.name in (
            "own consumer", "own branch's staff", "administrator"))  # refused first, then the ones let through
        for visitor in visitors:
            response = visitor.send(method, probe)
            if response.status_code == 303 and not response.headers["location"].startswith("/login") and (
                    visitor.name not in ("own consumer", "own branch's staff", "administrator")):
                # sent on (staff following a consumer's link land in the console): where to, it is refused
                response = visitor.http.get(response.headers["location"])
            expected, ok = _expected(visitor, roles, probe, response)
            outcomes.append(Outcome(key, visitor.name, response.status_code, None, expected, ok))
    failures = [outcome for outcome in outcomes if not outcome.ok]
    assert not failures, "tenancy broken:\n" + "\n".join(map(str, failures))
    assert len(outcomes) == len(probes) * 6
    print(f"gateway tenancy: {len(outcomes)} requests in {time.monotonic() - started:.1f}s")
