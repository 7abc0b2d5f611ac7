"""The signing and document routes' own decisions, before any service is asked (services are not running here).

The browser signer's JSON calls need the session cookie and the X-CSRF-Token header and answer in JSON; the
document forms need the csrf field like every other form.
"""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

DOCUMENT_ID = uuid4()


def _csrf(client: TestClient) -> str:
    page = client.get("/login").text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match, "pages carry the csrf token for their scripts"
    assert re.search(rf'name="csrf_token" value="{re.escape(match.group(1))}"', page)
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "body"),
    [(f"/api/signing/{DOCUMENT_ID}/prepare", {"certificate_id": str(uuid4())}),
     (f"/api/signing/finalize/{uuid4()}",
      {"signature_value_base64": "AAAA", "manifest_signature_value_base64": "AAAA"})],
)
def test_the_signers_calls_need_the_csrf_header(client: TestClient, path: str, body: dict[str, str]) -> None:
    token = _csrf(client)
    for headers in ({}, {"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")}):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403
        assert response.json() == {
            "code": "csrf_refused", "message": "Сторінка застаріла. Оновіть її і спробуйте ще раз."
        }


def test_the_signers_calls_need_a_session(client: TestClient) -> None:
    token = _csrf(client)
    response = client.post(
        f"/api/signing/{DOCUMENT_ID}/prepare", json={"certificate_id": str(uuid4())}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "session_invalid"


def test_the_header_does_not_replace_the_cookie(client: TestClient) -> None:
    token = _csrf(client)
    client.cookies.clear()
    response = client.post(f"/api/signing/{DOCUMENT_ID}/prepare", json={}, headers={"X-CSRF-Token": token})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    ["/signature/certificates", f"/signature/certificates/{uuid4()}/removal", "/eds",
     f"/documents/{DOCUMENT_ID}/rejection", f"/documents/{DOCUMENT_ID}/seal"],
)
def test_every_document_form_is_protected(client: TestClient, path: str) -> None:
    _csrf(client)
    response = client.post(path, data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert "Форма застаріла" in response.text


@pytest.mark.parametrize(
    "path",
    ["/documents", f"/documents/{DOCUMENT_ID}", f"/documents/{DOCUMENT_ID}/content",
     f"/documents/{DOCUMENT_ID}/download", f"/documents/{DOCUMENT_ID}/container", f"/signatures/{uuid4()}/p7s",
     "/signature/certificates", "/eds", "/console/signatures"],
)
def test_document_pages_and_downloads_need_a_session(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_the_statuses_page_is_open_to_everyone(client: TestClient) -> None:
    response = client.get("/help/signature-statuses")
    assert response.status_code == 200
    for label in ("Не підписано", "Підписано споживачем", "Підписано постачальником", "Підписано обома сторонами",
                  "Відмовлено в підписанні"):
        assert label in response.text


def test_the_signer_script_is_served(client: TestClient) -> None:
    response = client.get("/static/sign.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert "crypto.subtle" in response.text
