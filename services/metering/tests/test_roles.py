"""Metering refuses what a consumer's user's role inside the consumer does not allow, whatever the gateway's menu
shows: an accountant sees no readings, a viewer submits none; the director and the engineer do both."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import ConsumerRole
from shared.testing_tenancy import check_roles_inside_the_consumer


@pytest.mark.parametrize(("method", "path", "body", "allowed"), [
    ("GET", "/consumers/{c}/readings", None, {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER, ConsumerRole.VIEWER}),
    ("GET", "/consumers/{c}/acts", None, {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER, ConsumerRole.VIEWER}),
    ("POST", "/consumers/{c}/readings", {"period": "2013-08", "readings": []},
     {ConsumerRole.DIRECTOR, ConsumerRole.ENGINEER}),
])
async def test_each_role_is_refused_what_it_may_not_do(
    api: Any, method: str, path: str, body: Any, allowed: set[ConsumerRole],
) -> None:
    await check_roles_inside_the_consumer(api, method, path, body, allowed)
