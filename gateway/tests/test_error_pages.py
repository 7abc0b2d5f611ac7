"""A page that fails still answers with a page of the cabinet, in the visitor's language, revealing nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_an_unexpected_failure_shows_the_error_page(client: TestClient) -> None:
    @client.app.get("/explode")  # type: ignore[attr-defined]
    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    failing = TestClient(client.app, raise_server_exceptions=False)
    failing.cookies.set("lang", "en")
    response = failing.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


def test_a_wrong_method_is_a_missing_page(client: TestClient) -> None:
    # e.g. reloading the page the no-script login check answered with
    response = client.get("/registration/complete/abcdefgh12345678/check-login")
    assert response.status_code == 405
    assert "Сторінку не знайдено" in response.text
