"""Metering refuses what a consumer's user's role inside the consumer does not allow, whatever the gateway's menu
shows: an accountant sees no readings, a viewer submits none; the director and the engineer do both."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.auth import ConsumerRole, Principal, Role


def _user(consumer_id: uuid.UUID, role: ConsumerRole) -> Principal:
    return Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER, consumer_role=role)


@pytest.mark.parametrize(("method", "path", "body", "allowed"), [
    ("GET", "/consumers/{c}/readings", None, {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER, ConsumerRole.VIEWER}),
    ("GET", "/consumers/{c}/acts", None, {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER, ConsumerRole.VIEWER}),
    ("POST", "/consumers/{c}/readings", {"period": "2013-08", "readings": []},
     {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER}),
])
async def test_each_role_is_refused_what_it_may_not_do(
    api: Any, method: str, path: str, body: Any, allowed: set[ConsumerRole],
) -> None:
    consumer_id = uuid.uuid4()
    for role in ConsumerRole:
        response = await api.call(method, path.format(c=consumer_id), _user(consumer_id, role), json=body)
        refused = response.status_code == 403 and response.json()["detail"]["code"] == "capability_forbidden"
        assert refused == (role not in allowed), (role, response.status_code, response.text)
