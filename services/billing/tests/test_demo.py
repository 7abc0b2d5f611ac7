"""The demo tariffs load once, through the use case staff use."""

from __future__ import annotations

from billing.demo import load
from billing.settings import BillingSettings


async def test_demo_tariffs_load_once(settings: BillingSettings) -> None:
    assert await load(settings) == 10
    assert await load(settings) == 0
