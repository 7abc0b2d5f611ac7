"""The in-process memory of resolved sessions: few calls to identity, and forgotten at once on logout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from gateway.identity_client import BranchRef, ConsumerRef, IdentityClient, ResolvedSession, User
from gateway.sessions import SessionCache, principal_of
from shared.auth import Principal, Role
from shared.errors import ServiceCallError

USER = User(id=uuid4(), login="avto2buh", email="buh@avto2.example.ua", role=Role.CONSUMER)


class CountingResolver(IdentityClient):
    """Answers `resolve_session` itself and counts the calls; the cache is what is under test."""

    def __init__(self, valid_token: str) -> None:
        self.valid_token = valid_token
        self.calls = 0

    async def resolve_session(self, principal: Principal, session_token: str) -> ResolvedSession:
        self.calls += 1
        assert principal.role == Role.ANONYMOUS
        if session_token != self.valid_token:
            raise ServiceCallError(401, {"code": "session_invalid"})
        return ResolvedSession(session_id=uuid4(), expires_at=datetime.now(UTC) + timedelta(hours=1), user=USER)


async def test_a_session_is_resolved_once_within_the_cache_time() -> None:
    identity = CountingResolver("good")
    cache = SessionCache(identity, ttl_seconds=60, max_entries=100)
    assert (await cache.resolve("good", "10.0.0.1")).user == USER
    assert (await cache.resolve("good", "10.0.0.1")).user == USER
    assert identity.calls == 1


async def test_an_invalid_session_is_remembered_as_nobody() -> None:
    identity = CountingResolver("good")
    cache = SessionCache(identity, ttl_seconds=60, max_entries=100)
    assert await cache.resolve("stale", None) is None
    assert await cache.resolve("stale", None) is None
    assert identity.calls == 1


async def test_forgetting_makes_the_next_page_ask_again() -> None:
    identity = CountingResolver("good")
    cache = SessionCache(identity, ttl_seconds=60, max_entries=100)
    await cache.resolve("good", None)
    cache.forget("good")
    identity.valid_token = "other"  # e.g. logged out in the meantime
    assert await cache.resolve("good", None) is None
    assert identity.calls == 2


async def test_forgetting_a_user_forgets_each_of_their_sessions_and_no_one_elses() -> None:
    """A password change ends the user's other sessions: none of them may open a page from the cache."""

    class TwoUsers(CountingResolver):
        async def resolve_session(self, principal: Principal, session_token: str) -> ResolvedSession:
            self.calls += 1
            user = USER if session_token.startswith("mine") else USER.model_copy(update={"id": uuid4()})
            return ResolvedSession(session_id=uuid4(), expires_at=datetime.now(UTC) + timedelta(hours=1), user=user)

    identity = TwoUsers("any")
    cache = SessionCache(identity, ttl_seconds=60, max_entries=100)
    for token in ("mine-laptop", "mine-phone", "someone-else's"):
        await cache.resolve(token, None)
    cache.forget_user(USER.id)
    for token in ("mine-laptop", "mine-phone", "someone-else's"):
        await cache.resolve(token, None)
    assert identity.calls == 3 + 2


async def test_entries_expire() -> None:
    identity = CountingResolver("good")
    cache = SessionCache(identity, ttl_seconds=0.05, max_entries=100)
    await cache.resolve("good", None)
    await asyncio.sleep(0.1)
    await cache.resolve("good", None)
    assert identity.calls == 2


async def test_the_cache_never_holds_the_token_itself() -> None:
    cache = SessionCache(CountingResolver("good"), ttl_seconds=60, max_entries=100)
    await cache.resolve("good", None)
    assert "good" not in repr(cache._sessions.keys())  # keys are SHA-256 hex digests


async def test_other_failures_are_not_remembered() -> None:
    class Failing(CountingResolver):
        async def resolve_session(self, principal: Principal, session_token: str) -> ResolvedSession:
            self.calls += 1
            raise ServiceCallError(503, {"code": "error"})

    identity = Failing("good")
    cache = SessionCache(identity, ttl_seconds=60, max_entries=100)
    for _ in range(2):
        with pytest.raises(ServiceCallError):
            await cache.resolve("good", None)
    assert identity.calls == 2


def test_the_principal_carries_who_acts_and_from_where() -> None:
    consumer_id = uuid4()
    branch = BranchRef(id=uuid4(), name="РОЕ")
    consumer = ConsumerRef(id=consumer_id, account_number="0789", name="К", edrpou="12345678", branch=branch,
                           e_signature=True)
    user = USER.model_copy(update={"consumer": consumer})
    session = ResolvedSession(session_id=uuid4(), expires_at=datetime.now(UTC) + timedelta(hours=1), user=user)
    principal = principal_of(session, "192.0.2.7")
    assert (principal.user_id, principal.consumer_id, principal.role, principal.ip, principal.session_id) == (
        USER.id, consumer_id, Role.CONSUMER, "192.0.2.7", session.session_id
    )
    assert principal_of(None, "192.0.2.7") == Principal(role=Role.ANONYMOUS, ip="192.0.2.7")
