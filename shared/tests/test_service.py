"""What every service's app serves besides its API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shared.service import ServiceParts, create_service_app
from shared.settings import ServiceSettings


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


@pytest.mark.parametrize("api_docs", [False, True])
async def test_the_api_docs_are_served_only_where_a_setting_turns_them_on(api_docs: bool) -> None:
    settings = ProbeSettings(service_token_secret="probe-secret-0123456789abcdef-0123456789", api_docs=api_docs,
                             log_format="console")
    app = create_service_app(ServiceParts(settings=settings, routers=[], migrations_dir=Path(".")))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        statuses = [(await client.get(path)).status_code for path in ("/openapi.json", "/docs", "/redoc")]
    assert statuses == ([200, 200, 404] if api_docs else [404, 404, 404])


def test_api_docs_are_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABINET_SERVICE_TOKEN_SECRET", "probe-secret-0123456789abcdef-0123456789")
    assert ProbeSettings().api_docs is False
    monkeypatch.setenv("CABINET_API_DOCS", "true")
    assert ProbeSettings().api_docs is True
