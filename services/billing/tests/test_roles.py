"""Billing refuses what a consumer's user's role inside the consumer does not allow, whatever the gateway's menu
shows: an engineer sees no money, a viewer asks for no invoice; the director and the accountant do both."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import ConsumerRole
from shared.testing_tenancy import check_roles_inside_the_consumer


@pytest.mark.parametrize(("method", "path", "body", "allowed"), [
    ("GET", "/consumers/{c}/payments", None, {ConsumerRole.DIRECTOR, ConsumerRole.ACCOUNTANT, ConsumerRole.VIEWER}),
    ("GET", "/consumers/{c}/invoices", None, {ConsumerRole.DIRECTOR, ConsumerRole.ACCOUNTANT, ConsumerRole.VIEWER}),
    ("GET", "/consumers/{c}/reconciliation", None,
     {ConsumerRole.DIRECTOR, ConsumerRole.ACCOUNTANT, ConsumerRole.VIEWER}),
    ("POST", "/consumers/{c}/invoices", {"period": "2013-08"}, {ConsumerRole.DIRECTOR, ConsumerRole.ACCOUNTANT}),
])
async def test_each_role_is_refused_what_it_may_not_do(
    api: Any, method: str, path: str, body: Any, allowed: set[ConsumerRole],
) -> None:
    await check_roles_inside_the_consumer(api, method, path, body, allowed)
