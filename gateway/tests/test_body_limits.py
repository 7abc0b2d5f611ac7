"""Uploads and forms are refused as soon as they send more than their page takes, not after being read whole."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.body_limits import FORM_LIMIT, MULTIPART_ALLOWANCE, body_limit

from .conftest import make_settings

MiB = 1024 * 1024
CHUNK = 64 * 1024


class Upload:
    """A file in a form, made as it is sent, which counts how much of it the gateway took."""

    CONTENT_TYPE = "multipart/form-data; boundary=cabinet-test"
    _PART = b'--cabinet-test\r\nContent-Disposition: form-data; name="file"; filename="readings.csv"\r\n\r\n'

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken = 0

    async def stream(self) -> AsyncIterator[bytes]:
        yield self._PART
        while self.taken < self.size:
            self.taken += CHUNK
            yield b"1" * CHUNK


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    csrf = secrets.token_urlsafe(32)
    app = create_app(make_settings("http://testserver"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies={"csrf": csrf},
        headers={"X-CSRF-Token": csrf, "Referer": "http://testserver/readings?period=2025-03"},
    ) as client:
        yield client


def test_each_form_has_its_limit() -> None:
    assert body_limit("/readings/import") == MiB + MULTIPART_ALLOWANCE
    assert body_limit("/console/consumers/0b6f4c9e-1c1a-4a8e-9a55-2f1e1f1e1f1e/readings/import") == (
        MiB + MULTIPART_ALLOWANCE)
    assert body_limit("/signature/certificates") == 64 * 1024 + MULTIPART_ALLOWANCE
    assert body_limit("/signature/certificates/x/removal") == FORM_LIMIT
    assert body_limit("/login") == FORM_LIMIT


async def test_a_declared_length_above_the_limit_is_refused_before_a_byte_is_read(
    gateway: httpx.AsyncClient,
) -> None:
    upload = Upload(200 * MiB)
    response = await gateway.post(
        "/readings/import", content=upload.stream(),
        headers={"Content-Length": str(upload.size), "Content-Type": Upload.CONTENT_TYPE},
    )
    assert response.status_code == 413
    assert upload.taken == 0
    assert response.headers["connection"] == "close"
    assert "Файл завеликий" in response.text
    assert "не більше 1 МБ" in response.text
    # back to the form it came from
    assert 'href="/readings"' in response.text


async def test_a_body_without_a_length_is_refused_as_soon_as_it_passes_the_limit(gateway: httpx.AsyncClient) -> None:
    upload = Upload(200 * MiB)
    response = await gateway.post(
        "/readings/import", content=upload.stream(),
        headers={"Content-Type": Upload.CONTENT_TYPE, "Cookie": "lang=en"},
    )
    assert response.status_code == 413
    assert MiB < upload.taken <= body_limit("/readings/import") + CHUNK
    assert "The file is too large" in response.text and "at most 1 MB" in response.text


async def test_a_form_too_large_for_any_page_is_refused_in_the_visitors_language(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/login", data={"login": "x" * (FORM_LIMIT + 1), "password": "p"}, headers={"Cookie": "lang=ru"}
    )
    assert response.status_code == 413
    assert "Отправлено слишком много данных" in response.text
    assert "Form" not in response.text  # nothing in English on a Russian page


async def test_the_pages_scripts_get_the_refusal_as_json(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/api/signing/finalize/0b6f4c9e-1c1a-4a8e-9a55-2f1e1f1e1f1e", content=b"{" + b" " * FORM_LIMIT + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "message": (
        "Надіслано забагато даних Форма надіслала більше даних, ніж приймає кабінет. Поверніться й спробуйте ще раз.")}


async def test_a_file_within_the_limit_goes_on_to_its_page(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/readings/import", data={"period": "2025-03"}, files={"file": ("readings.csv", b"1" * MiB, "text/csv")}
    )
    # the page itself answers: it needs a signed-in consumer
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
