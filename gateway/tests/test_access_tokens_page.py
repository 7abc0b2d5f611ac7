"""The settings page of access keys for accounting programs, in process: identity stood in for by a fake that keeps
the tokens (and their rules) as identity does, the public API's services by those of `test_public_api`. A key is
made, shown once, used by a program, revoked, and the program is refused at once; refusals are the page's own;
forms need the csrf field; the page is a consumer's only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.identity_client import (
    AccessToken,
    AdmittedCall,
    BranchRef,
    ConsumerRef,
    NewAccessToken,
    ResolvedSession,
    User,
)
from gateway.sessions import SessionCache
from shared.auth import Principal, Role
from shared.errors import ServiceCallError

from .conftest import make_settings
from .test_public_api import BRANCH, CONSUMER, USER, FakeIdentity, FakeServices

PAGE = "/settings/access-tokens"
CONSUMER_SESSION, STAFF_SESSION = "consumer-session", "staff-session"
MAX_LIVE_TOKENS = 20


def _refused(status: int, code: str, fields: dict[str, str] | None = None) -> ServiceCallError:
    return ServiceCallError(status, {"code": code, "message": code, "fields": fields or {}})


class FakeTokens(FakeIdentity):
    """Identity's sessions of a consumer's user and a staff member, and the user's tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.consumer_user = self._consumer_user()
        self.tokens: dict[str, AccessToken] = {}
        self.revoked: set[UUID] = set()

    @staticmethod
    def _consumer_user() -> User:
        branch = BranchRef(id=BRANCH, name="РЕС")
        consumer = ConsumerRef(id=CONSUMER, account_number="0789", name="Автомобіліст-2", edrpou="12345678",
                               branch=branch, e_signature=True)
        return User(id=USER, login="avtomobilist", email="a@cabinet.local", role=Role.CONSUMER, consumer=consumer,
                    branch=branch)

    async def resolve_session(self, principal: Principal, token: str) -> ResolvedSession:
        users = {CONSUMER_SESSION: self.consumer_user,
                 STAFF_SESSION: User(id=uuid4(), login="dogovir01", email="d@cabinet.local", role=Role.STAFF)}
        if token not in users:
            raise _refused(401, "session_invalid")
        return ResolvedSession(session_id=uuid4(), expires_at=datetime.now(UTC) + timedelta(hours=1),
                               user=users[token])

    def _live(self) -> list[AccessToken]:
        return [token for token in self.tokens.values() if token.id not in self.revoked]

    async def access_tokens(self, principal: Principal) -> list[AccessToken]:
        assert principal.role == Role.CONSUMER and principal.user_id == USER
        return self._live()

    async def create_access_token(
        self, principal: Principal, name: str, scopes: list[str], expires_in_days: int
    ) -> NewAccessToken:
        assert principal.role == Role.CONSUMER and principal.user_id == USER
        problems = {"name": "required"} if not name.strip() else {}
        problems |= {"scopes": "required"} if not scopes else {}
        if problems:
            raise _refused(422, "invalid", problems)
        if len(self._live()) >= MAX_LIVE_TOKENS:
            raise _refused(409, "too_many_access_tokens")
        secret = "cab_" + uuid4().hex + uuid4().hex[:11]
        now = datetime.now(UTC)
        token = AccessToken(id=uuid4(), name=name.strip(), scopes=sorted(scopes), prefix=secret[:8], created_at=now,
                            expires_at=now + timedelta(days=expires_in_days))
        self.tokens[secret] = token
        return NewAccessToken(token=secret, access_token=token)

    async def revoke_access_token(self, principal: Principal, token_id: UUID) -> None:
        if token_id not in {token.id for token in self._live()}:
            raise _refused(404, "access_token_not_found")
        self.revoked.add(token_id)

    async def admit_api_call(self, principal: Principal, token: str, method: str, route: str,
                             per_minute: int) -> AdmittedCall:
        assert principal.role == Role.SERVICE
        found = self.tokens.get(token)
        if found is None or found.id in self.revoked:
            raise _refused(401, "access_token_invalid")
        self.admitted.append((token, method, route))
        return AdmittedCall(call_id=len(self.admitted), access_token=found, user=self.consumer_user)

    async def api_call_answered(self, principal: Principal, call_id: int, status: int) -> None:
        assert principal.role == Role.SERVICE


class Browser:
    def __init__(self, client: TestClient, identity: FakeTokens) -> None:
        self.client, self.identity = client, identity

    def sign_in(self, session: str) -> str:
        """The csrf token of this browser, signed in with `session`."""
        self.client.cookies.set("session", session)
        found = re.search(r'<meta name="csrf-token" content="([^"]+)">', self.client.get("/help").text)
        assert found
        return found.group(1)

    def create(self, csrf: str, **fields: Any) -> Any:
        return self.client.post(PAGE, data={"csrf_token": csrf, **fields})

    def api(self, secret: str) -> Any:
        return self.client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def browser() -> Iterator[Browser]:
    gateway = create_app(make_settings("http://testserver"))
    identity = FakeTokens()
    gateway.state.identity = identity
    gateway.state.sessions = SessionCache(identity, 5, 100)
    public = gateway.state.public_api
    public.state.identity = identity
    public.state.billing = public.state.documents = public.state.metering = FakeServices()
    with TestClient(gateway, base_url="http://testserver", cookies={"lang": "uk"}) as client:
        yield Browser(client, identity)


def _secret_in(page: str) -> str:
    found = re.search(r"<code[^>]*data-secret>(cab_[^<]+)</code>", page)
    assert found, "the new key is shown"
    return found.group(1)


def test_a_key_is_listed_with_its_scopes_in_words_and_its_secret_shown_once(browser: Browser) -> None:
    csrf = browser.sign_in(CONSUMER_SESSION)
    empty = browser.client.get(PAGE)
    assert empty.status_code == 200 and "Ключів доступу ще немає." in empty.text
    assert "http://testserver/api/v1" in empty.text and "Authorization: Bearer" in empty.text
    assert re.search(r'<option value="90" selected>90 днів</option>', empty.text)
    created = browser.create(csrf, name=" 1С: Бухгалтерія ", scopes=["invoices:read", "readings:write"],
                             expires_in_days="365")
    assert created.status_code == 201
    secret = _secret_in(created.text)
    assert "Скопіюйте ключ зараз: його більше не буде показано." in created.text
    listed = browser.client.get(PAGE).text
    assert secret not in listed and f"<code>{secret[:8]}…</code>" in listed
    assert "1С: Бухгалтерія" in listed and "Рахунки — читання; Показання — подання" in listed
    assert "ще не використовувався" in listed
    assert browser.api(secret).status_code == 200


def test_a_revoked_key_is_refused_by_the_api_at_once(browser: Browser) -> None:
    csrf = browser.sign_in(CONSUMER_SESSION)
    secret = _secret_in(browser.create(csrf, name="1С", scopes=["invoices:read"]).text)
    assert browser.api(secret).status_code == 200
    [token] = browser.identity.tokens.values()
    revoked = browser.client.post(f"{PAGE}/{token.id}/revocation", data={"csrf_token": csrf},
                                  follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == f"{PAGE}?notice=access_token_revoked"
    page = browser.client.get(revoked.headers["location"]).text
    assert "Ключ відкликано" in page and token.prefix not in page
    refused = browser.api(secret)
    assert refused.status_code == 401 and refused.json()["detail"]["code"] == "access_token_invalid"
    # revoked again (another tab): the page's own message
    again = browser.client.post(f"{PAGE}/{token.id}/revocation", data={"csrf_token": csrf})
    assert again.status_code == 404 and "Цього ключа доступу вже немає" in again.text


def test_refusals_are_shown_on_the_page_with_what_was_typed(browser: Browser) -> None:
    csrf = browser.sign_in(CONSUMER_SESSION)
    nameless = browser.create(csrf, name="  ", expires_in_days="30")
    assert nameless.status_code == 422
    assert "Назвіть ключ" in nameless.text and "Оберіть хоча б одну дію" in nameless.text
    assert re.search(r'<option value="30" selected>', nameless.text)
    unscoped = browser.create(csrf, name="1С")
    assert unscoped.status_code == 422 and 'value="1С"' in unscoped.text and "Назвіть ключ" not in unscoped.text
    # a scope the cabinet does not know is not passed on
    assert browser.create(csrf, name="1С", scopes=["everything"]).status_code == 422
    for number in range(MAX_LIVE_TOKENS):
        assert browser.create(csrf, name=f"Програма {number}", scopes=["payments:read"]).status_code == 201
    too_many = browser.create(csrf, name="Ще одна", scopes=["payments:read"])
    assert too_many.status_code == 409 and "У вас уже 20 ключів доступу" in too_many.text


def test_the_forms_need_the_csrf_field(browser: Browser) -> None:
    browser.sign_in(CONSUMER_SESSION)
    for path in (PAGE, f"{PAGE}/{uuid4()}/revocation"):
        refused = browser.client.post(path, data={"csrf_token": "forged", "name": "1С", "scopes": "invoices:read"})
        assert refused.status_code == 403 and "Форма застаріла" in refused.text
    assert browser.identity.tokens == {}


def test_the_page_is_a_consumers_only(browser: Browser) -> None:
    csrf = browser.sign_in(STAFF_SESSION)
    assert browser.client.get(PAGE).status_code == 403
    assert browser.create(csrf, name="1С", scopes=["invoices:read"]).status_code == 403
    assert browser.client.post(f"{PAGE}/{uuid4()}/revocation", data={"csrf_token": csrf}).status_code == 403
    assert "/settings/access-tokens" not in browser.client.get("/settings").text
    browser.client.cookies.delete("session")
    anonymous = browser.client.get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
