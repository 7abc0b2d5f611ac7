"""The gateway's forms and page parameters under Hypothesis, against the whole system (`start_live_system`).

Every POST route of the gateway gets generated forms, and every page that takes query parameters generated values,
as the supplier's staff, as the consumer's user and as a visitor who is not signed in: NUL and other control
characters, numbers past what PostgreSQL holds, negative and fractional numbers, months and dates that do
not exist, long and empty texts, wrong files. The routes come from the gateway's own app, so a new form is fuzzed
the day it is added; its fields are those the route declares and those its page's form carries (the readings form
names its inputs after the meters); path parameters are ids the pages link to (found by walking them), or made up.
No answer may be a server error, nor the page a redirect leads to; every refusal is the page's own.

The system holds the demo consumer's half year (`devtools.demo`: invoices, acts, tax invoices, signatures and the
signature files among the documents), so the forms reach real documents, acts and letters.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.params import File
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from devtools import demo as demo_history
from devtools import testca
from devtools.processes import SERVICES
from gateway.app import PAGE_MODULES
from shared.auth import Principal, Role, ServiceTokens
from shared.business_calendar import BUSINESS_TIME_ZONE

pytestmark = pytest.mark.timeout(900)

CONSUMER_LOGIN, CONSUMER_PASSWORD = "fazzer0789", "tykha-richka-pid-verboyu-17"
#: what has broken services and pages before, offered now and then in place of any value
TROUBLE = [
    "\x00", "a\x00b", "Автомобіліст\x00", "\x01\x1f", "9" * 40, "-1", "-0", "0.00000001", "1e400", "NaN",
    "2147483648", "9223372036854775808", "18446744073709551616", "abc", "2026-13", "2030-01", "0000-01",
    "9999-12", "2026-02-30", "31.02.2026", "%00", "../../etc/passwd", "<script>alert(1)</script>", "' OR '1'='1",
    "\u202e", " ", "", "ї" * 1001,
]
#: how many generated requests each route gets from each visitor
EXAMPLES = 5


@dataclass
class Route:
    method: str
    path: str
    route: APIRoute
    #: the names of the form's fields (or the page's query parameters) the route declares
    declared: list[str]
    files: list[str]

    def matches(self, path: str) -> dict[str, str] | None:
        found = self.route.path_regex.match(path)
        return found.groupdict() if found else None


@dataclass
class Site:
    """What walking the pages found: ids by the path parameter they fill, and each form's fields with the values
    its page offers (by the form's route path)."""

    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fields: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))


@dataclass
class Cabinet:
    live: Any
    #: signed in as the demo branch's staff member, as a user of the demo consumer, and not signed in
    visitors: dict[str, Any]
    site: Site


def _routes() -> list[Route]:
    """Every route of the gateway's pages, once for each of its methods."""
    found = []
    for route in (route for module in PAGE_MODULES for route in module.router.routes):
        if not isinstance(route, APIRoute):
            continue
        body, query = _parameters(route.dependant, "body_params"), _parameters(route.dependant, "query_params")
        files = [param.alias for param in body if isinstance(param.field_info, File)]
        for method in sorted(route.methods or ()):
            declared = [param.alias for param in (body if method == "POST" else query)]
            found.append(Route(method, route.path, route, declared, files))
    return found


def _parameters(dependant: Dependant, kind: str) -> list[Any]:
    """The route's parameters of a kind, its dependencies' included."""
    own: list[Any] = list(getattr(dependant, kind))
    return own + [param for inner in dependant.dependencies for param in _parameters(inner, kind)]


ROUTES = _routes()
#: every form, and every page whose address takes parameters
FUZZED = [route for route in ROUTES if route.method == "POST" or route.declared]


class _Page(HTMLParser):
    """The links of a page, and its POST forms with their fields and the values the page offers."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, dict[str, set[str]]]] = []
        self._form: dict[str, set[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href", "").startswith("/"):
            self.links.append(attributes["href"])
        elif tag == "form" and attributes.get("method", "").lower() == "post":
            self._form = defaultdict(set)
            self.forms.append((attributes.get("action", ""), self._form))
        elif tag in ("input", "select", "textarea", "option") and self._form is not None:
            # an option belongs to the select before it
            name = next(reversed(self._form), None) if tag == "option" else attributes.get("name")
            if name and name != "csrf_token":
                self._form[name].add(attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _walk(browser: Any, starts: list[str], site: Site, *, per_route: int = 3) -> None:
    """The pages reachable from `starts`, at most `per_route` of each route (a year's invoices are alike)."""
    pages = [route for route in ROUTES if route.method == "GET"]
    seen: set[str] = set()
    taken: dict[str, int] = defaultdict(int)
    queue = list(starts)
    while queue:
        path = queue.pop(0)
        plain = urlsplit(path).path
        route = next((route for route in pages if route.matches(plain) is not None), None)
        if path in seen or route is None or taken[route.path] >= per_route or plain == "/logout":
            continue
        seen.add(path)
        taken[route.path] += 1
        response = browser.get(path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page = _Page()
        page.feed(response.text)
        for link in page.links:
            _remember(urlsplit(link).path, site)
            queue.append(link)
        for action, fields in page.forms:
            target = urlsplit(action or path).path
            _remember(target, site)
            form_route = next((route for route in ROUTES if route.method == "POST" and route.matches(target)), None)
            if form_route is not None:
                for name, values in fields.items():
                    site.fields[form_route.path][name] |= values


def _remember(path: str, site: Site) -> None:
    for route in ROUTES:
        for name, value in (route.matches(path) or {}).items():
            site.ids[name].add(value)


@pytest.fixture(scope="module")
def cabinet(start_live_system: Any, run_id: str, s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cabinet]:
    trust = testca.ensure_local_trust(tmp_path_factory.mktemp("trust"))
    env = {name: value for name, value in trust.items() if name.startswith("CABINET_")} | {
        "CABINET_S3_ENDPOINT": s3_endpoint, "CABINET_S3_ACCESS_KEY": "fuzz", "CABINET_S3_SECRET_KEY": "fuzz-secret",
        "CABINET_S3_BUCKET": f"fuzz-{run_id}",
    }
    # each generated request comes from an address of its own (a stranger's: X-Forwarded-For from a trusted proxy),
    # so that identity's limits on guessing, per network, hold up no visitor's signing in again
    with start_live_system(SERVICES, f"gwz{run_id}", {"CABINET_TRUSTED_PROXIES": "127.0.0.1"}, env) as live:
        demo_history.load_demo(live.system, trust, live.STAFF_PASSWORD)
        staff = live.staff()
        consumer = live.register("0789", live.demo["activation_code"], CONSUMER_LOGIN, CONSUMER_PASSWORD)
        site = Site()
        _walk(staff, ["/console", f"/console/consumers/{live.demo['consumer_id']}"], site)
        _walk(consumer, ["/", "/sitemap"], site)
        yield Cabinet(live, {"staff": staff, "consumer": consumer, "visitor": live.browser()}, site)


# --- what the issue found by hand (#13, item 4), each as the visitor met it ------------------------------------

PERIOD_REFUSED = "Оберіть розрахунковий місяць."
NOT_VALID = "<h1>Запит некоректний</h1>"


def _months_that_cannot_be() -> list[str]:
    next_year = datetime.now(BUSINESS_TIME_ZONE).year + 1
    return ["abc", "2026-13", f"{next_year}-01", "0000-01", "2026-1"]


@pytest.mark.parametrize("period", _months_that_cannot_be())
def test_a_month_that_cannot_be_is_refused_on_the_readings_page_itself(cabinet: Cabinet, period: str) -> None:
    """Metering and billing refuse such a month (422); the gateway no longer asks them, and the page says why."""
    consumer, staff = cabinet.visitors["consumer"], cabinet.visitors["staff"]
    console = f"/console/consumers/{cabinet.live.demo['consumer_id']}"
    answers = {
        "GET /readings": consumer.get("/readings", params={"period": period}),
        "POST /readings": consumer.post("/readings", {"period": period}),
        "POST /readings/import": consumer.post("/readings/import", {"period": period},
                                               files={"file": ("readings.csv", b"serial;zone;value\n", "text/csv")}),
        "POST /readings/calculation": consumer.post("/readings/calculation", {"period": period}),
        "GET console readings": staff.get(f"{console}/readings", params={"period": period}),
        "POST console invoices": staff.post(f"{console}/invoices", {"period": period}),
        "GET console billing day": staff.get("/console/billing", params={"period": period}),
        "POST console billing run": staff.post("/console/billing/runs", {"period": period}),
    }
    for what, answer in answers.items():
        assert answer.status_code == 422, (what, answer.status_code)
        assert PERIOD_REFUSED in answer.text, what
        assert "<h1>Показання за " in answer.text or "<h1>Розрахунковий день</h1>" in answer.text, what


def test_a_nul_in_the_login_is_refused_on_the_login_page(cabinet: Cabinet) -> None:
    answer = cabinet.visitors["visitor"].post("/login", {"login": "avto\x00mobilist", "password": "x" * 12})
    assert answer.status_code == 422
    assert "Логін містить недозволені символи." in answer.text and "<h1>Вхід</h1>" in answer.text


@pytest.mark.parametrize(("role", "page"), [("consumer", "/letters"), ("staff", "/console/letters"),
                                            ("staff", "/console/feedback")])
def test_an_offset_past_what_postgresql_holds_is_a_request_not_valid(cabinet: Cabinet, role: str, page: str) -> None:
    answer = cabinet.visitors[role].get(page, params={"offset": str(2**64)})
    assert answer.status_code == 400 and NOT_VALID in answer.text
    assert cabinet.visitors[role].get(page, params={"offset": "0"}).status_code == 200


def test_a_nul_in_the_consumer_search_is_a_request_not_valid(cabinet: Cabinet) -> None:
    answer = cabinet.visitors["staff"].get("/console", params={"query": "Авто\x00"})
    assert answer.status_code == 400 and NOT_VALID in answer.text


def test_a_signature_file_opened_as_staff_says_what_it_is(cabinet: Cabinet, service_token_secret: str) -> None:
    """The signature service refuses a status for a signature file (409): the page shows the file, and why it has
    no signatures of its own."""
    token = ServiceTokens(service_token_secret).issue(Principal(role=Role.SERVICE, issuer="signature"))
    found = httpx.get(f"{cabinet.live.layout.url('documents')}/api/v1/documents",
                      params={"consumer_id": cabinet.live.demo["consumer_id"], "type": "signature", "limit": 1},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    [signature_file] = found.json()["items"]
    for role in ("staff", "consumer"):
        page = cabinet.visitors[role].get(f"/documents/{signature_file['id']}")
        assert page.status_code == 200, role
        assert "Цей файл — підпис, а не документ для підписання." in page.text, role


def test_a_services_refusal_of_a_page_is_the_pages_own_message(cabinet: Cabinet) -> None:
    """Identity's 404 for a consumer it does not know (or of another branch): its own sentence, not an error."""
    answer = cabinet.visitors["staff"].get(f"/console/consumers/{uuid.uuid4()}")
    assert answer.status_code == 404
    assert "Такого споживача немає, або його обслуговує інша філія." in answer.text


# --- the fuzzing ---------------------------------------------------------------------------------------------


def _value(offered: set[str]) -> st.SearchStrategy[str]:
    """A field's value: one its page offers, trouble, any text, any number, a month or a date of any year."""
    return st.one_of(
        st.sampled_from(sorted(offered)) if offered else st.nothing(),
        st.sampled_from(TROUBLE),
        st.text(max_size=40),
        st.integers().map(str),
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        st.from_regex(r"\d{4}-\d{2}", fullmatch=True),
        st.dates().map(str),
    )


def _path_value(known: set[str]) -> st.SearchStrategy[str]:
    """A path parameter: an id a page links to, another id, or no id at all."""
    return st.one_of(
        st.sampled_from(sorted(known)) if known else st.nothing(),
        st.uuids().map(str),
        st.sampled_from(["0", "abc", "%00", "9" * 30, "..", "%2e%2e"]),
    )


@st.composite
def _requests(draw: st.DrawFn, route: Route, site: Site) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A path of the route, the fields of its form (or the page's query), and the files it takes."""
    path = route.path
    for name in re.findall(r"{(\w+)}", route.path):
        path = path.replace(f"{{{name}}}", draw(_path_value(site.ids.get(name, set()))))
    offered = site.fields.get(route.path, {})
    names = sorted({*route.declared, *offered} - set(route.files))
    fields = {name: value for name in names
              if (value := draw(st.none() | _value(offered.get(name, set())))) is not None}
    fields |= draw(st.dictionaries(st.text(min_size=1, max_size=12), _value(set()), max_size=2))
    files = {name: (draw(st.sampled_from(["readings.csv", "readings.xml", "key.pem", "a.txt", ""])),
                    draw(st.binary(max_size=600) | st.text(max_size=300).map(str.encode)))
             for name in route.files if draw(st.booleans())}
    return path, fields, files


def _sign_in_again(cabinet: Cabinet, role: str) -> None:
    """A form may end the session (logging out): the next example starts signed in again."""
    browser = cabinet.visitors[role]
    if role == "visitor" or browser.http.cookies.get("session"):
        return
    login, password = ((cabinet.live.demo["staff_login"], cabinet.live.STAFF_PASSWORD) if role == "staff"
                       else (CONSUMER_LOGIN, CONSUMER_PASSWORD))
    browser.log_in(login, password)


@pytest.mark.parametrize("route", FUZZED, ids=[f"{route.method} {route.path}" for route in FUZZED])
def test_no_generated_form_or_address_gets_a_server_error(cabinet: Cabinet, route: Route) -> None:
    @settings(max_examples=EXAMPLES * len(cabinet.visitors), deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(role=st.sampled_from(sorted(cabinet.visitors)), request=_requests(route, cabinet.site),
           address=st.ip_addresses(network="10.0.0.0/8"))
    def example(role: str, request: tuple[str, dict[str, str], dict[str, Any]], address: Any) -> None:
        browser, (path, fields, files) = cabinet.visitors[role], request
        headers = {"X-Forwarded-For": str(address)}
        if route.method == "POST":
            response = browser.post(path, fields, files=files or None, headers=headers)
        else:
            response = browser.get(path, params=fields, headers=headers)
        where = f"{route.method} {path} as {role} with {fields!r} {sorted(files)}"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        target = urlsplit(response.headers.get("location", ""))
        if response.is_redirect and not target.netloc:
            followed = browser.get(target.path + (f"?{target.query}" if target.query else ""))
            assert followed.status_code < 500, f"{where}, then GET {target.path}: {followed.status_code}"
        _sign_in_again(cabinet, role)

    example()
