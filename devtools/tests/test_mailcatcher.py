"""The mail catcher over real SMTP and HTTP: what goes in comes out decoded; refuse mode refuses."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from devtools.mailcatcher import MailCatcher

SUBJECT = "Реєстрація в системі / Регистрация в системе"
TEXT = "Для продовження реєстрації перейдіть за посиланням нижче:\nhttps://cabinet.example/r/abc?x=1&y=2\n"
HTML = (
    '<html><head><title>t</title></head><body><p>Перейдіть за <a href="https://cabinet.example/r/abc">'
    "посиланням</a></p><script>alert(1)</script></body></html>"
)


ZIP = b"PK\x03\x04 zip bytes"


def _letter(recipient: str = "Ірина <irina@example.com>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Особистий кабінет <noreply@cabinet.local>"
    message["To"] = recipient
    message["Subject"] = SUBJECT
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    message.add_attachment(ZIP, maintype="application", subtype="zip", filename="documents.zip")
    return message


async def _send(port: int, message: EmailMessage) -> None:
    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)

    await asyncio.to_thread(send)


@pytest.fixture
async def catcher(tmp_path: Path) -> AsyncIterator[MailCatcher]:
    running = MailCatcher(smtp_port=0, http_port=0, store=tmp_path / "letters")
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def web(catcher: MailCatcher) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=catcher.http_url, timeout=10) as client:
        yield client


async def test_a_multipart_letter_is_decoded_in_the_api(catcher: MailCatcher, web: httpx.AsyncClient) -> None:
    await _send(catcher.smtp_port, _letter())

    letters = (await web.get("/api/letters")).json()

    assert len(letters) == 1
    letter = letters[0]
    assert letter["subject"] == SUBJECT
    assert letter["to"] == ["irina@example.com"]
    assert letter["from"] == "Особистий кабінет <noreply@cabinet.local>"
    assert letter["text"] == TEXT
    assert letter["html"].strip() == HTML
    assert letter["attachments"] == [
        {"index": 0, "filename": "documents.zip", "content_type": "application/zip", "size": len(ZIP)}
    ]
    assert (await web.get(f"/api/letters/{letter['id']}")).json() == letter
    download = await web.get(f"/letters/{letter['id']}/attachments/0")
    assert download.content == ZIP


async def test_letters_are_listed_newest_first_and_filtered_by_recipient(
    catcher: MailCatcher, web: httpx.AsyncClient
) -> None:
    await _send(catcher.smtp_port, _letter("first@example.com"))
    await _send(catcher.smtp_port, _letter("second@example.com"))

    everyone = (await web.get("/api/letters")).json()
    only_first = (await web.get("/api/letters", params={"to": "FIRST@example.com"})).json()

    assert [letter["to"] for letter in everyone] == [["second@example.com"], ["first@example.com"]]
    assert [letter["to"] for letter in only_first] == [["first@example.com"]]


async def test_pages_show_the_letter_with_links_and_the_html_sandboxed(
    catcher: MailCatcher, web: httpx.AsyncClient
) -> None:
    await _send(catcher.smtp_port, _letter())
    letter_id = (await web.get("/api/letters")).json()[0]["id"]

    index = (await web.get("/")).text
    page = (await web.get(f"/letters/{letter_id}")).text

    assert f'href="/letters/{letter_id}"' in index and SUBJECT in index and "irina@example.com" in index
    assert '<a href="https://cabinet.example/r/abc?x=1&amp;y=2"' in page
    assert '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="' in page
    # the letter's HTML is only inside the iframe's attribute, escaped, never live on the page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;base target=&#34;_blank&#34;&gt;" in page


async def test_refuse_mode_refuses_until_lifted(catcher: MailCatcher, web: httpx.AsyncClient) -> None:
    assert (await web.post("/api/refuse", json={"code": 451})).json()["refusing"] is True

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await _send(catcher.smtp_port, _letter())
    assert refused.value.recipients["irina@example.com"][0] == 451
    assert (await web.get("/api/letters")).json() == []
    assert "Refusing mail with" in (await web.get("/")).text

    assert (await web.delete("/api/refuse")).json()["refusing"] is False
    await _send(catcher.smtp_port, _letter())
    assert len((await web.get("/api/letters")).json()) == 1


async def test_refusal_codes_are_validated(web: httpx.AsyncClient) -> None:
    assert (await web.post("/api/refuse", json={"code": 250})).status_code == 422
    assert (await web.post("/api/refuse", json={"code": 451, "message": "x\r\n250 OK"})).status_code == 422
    assert (await web.get("/api/refuse")).json()["refusing"] is False


async def test_stored_letters_survive_a_restart_and_delete_forgets_them(
    catcher: MailCatcher, web: httpx.AsyncClient, tmp_path: Path
) -> None:
    await _send(catcher.smtp_port, _letter())
    await catcher.stop()

    restarted = MailCatcher(smtp_port=0, http_port=0, store=tmp_path / "letters")
    await restarted.start()
    try:
        async with httpx.AsyncClient(base_url=restarted.http_url) as client:
            kept = (await client.get("/api/letters")).json()
            assert [letter["subject"] for letter in kept] == [SUBJECT]
            assert (await client.delete("/api/letters")).status_code == 204
            assert (await client.get("/api/letters")).json() == []
        assert list((tmp_path / "letters").iterdir()) == []
    finally:
        await restarted.stop()


async def test_unknown_letters_are_404(web: httpx.AsyncClient) -> None:
    assert (await web.get("/letters/nope")).status_code == 404
    assert (await web.get("/api/letters/nope")).status_code == 404
