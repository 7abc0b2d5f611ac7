"""A mail catcher for local runs and tests: an SMTP server that keeps every letter, and pages to read them.

    python -m devtools.mailcatcher [--host 127.0.0.1] [--smtp-port 1025] [--http-port 8025] [--store DIR]

One process runs an aiosmtpd SMTP server and a small web app on one event loop. Letters are kept in memory
and, with ``--store``, as ``<id>.eml`` + ``<id>.json`` files in DIR, so a restart keeps them.

Web: ``/`` lists letters (newest first), ``/letters/{id}`` shows one (plain text with clickable links, the
HTML in a sandboxed iframe, attachments), ``/letters/{id}/raw`` its source.

JSON API (for tests):

- ``GET /api/letters[?to=ADDRESS]`` → ``[{id, received_at, from, to: [...], subject, text, html, ...}]``,
  newest first; ``GET /api/letters/{id}``; ``DELETE /api/letters`` forgets them all.
- ``POST /api/refuse {"code": 451}`` makes the SMTP server answer RCPT and DATA with that code until
  ``DELETE /api/refuse``; ``GET /api/refuse`` tells the current state. For tests of "the SMTP server refuses
  for a while".

In tests, run it in-process: ``catcher = MailCatcher(smtp_port=0, http_port=0); await catcher.start()``
(port 0 picks free ports; ``catcher.smtp_port``/``catcher.http_url`` tell which), ``await catcher.stop()``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from jinja2 import DictLoader, Environment, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel, Field

logger = logging.getLogger(__name__)

_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_LETTER_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class CaughtLetter:
    """One letter as it arrived: the SMTP envelope and the raw message; the rest is parsed from those."""

    id: str
    received_at: datetime
    envelope_from: str
    recipients: list[str]
    raw: bytes = field(repr=False)

    @cached_property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)  # what policy.default makes
        return parsed

    @property
    def sender(self) -> str:
        raw = next((value for name, value in self.message.raw_items() if name.lower() == "from"), None)
        if raw is None:
            return self.envelope_from
        # decoded from the raw header: the stdlib's address parser puts a space between adjacent encoded
        # words, splitting a long Cyrillic display name mid-word
        return str(make_header(decode_header(raw)))

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject") or "")

    def _body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_type() != f"text/{subtype}":
            return None
        content = part.get_content()
        return content if isinstance(content, str) else None

    @property
    def text(self) -> str | None:
        return self._body("plain")

    @property
    def html(self) -> str | None:
        return self._body("html")

    @property
    def attachments(self) -> list[Attachment]:
        found = []
        for part in self.message.iter_attachments():
            assert isinstance(part, EmailMessage)
            payload = part.get_payload(decode=True)
            found.append(Attachment(
                filename=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                content=payload if isinstance(payload, bytes) else b"",
            ))
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "from": self.sender,
            "to": self.recipients,
            "envelope_from": self.envelope_from,
            "message_id": str(self.message.get("Message-ID") or ""),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "attachments": [
                {"index": index, "filename": attachment.filename, "content_type": attachment.content_type,
                 "size": len(attachment.content)}
                for index, attachment in enumerate(self.attachments)
            ],
        }


class LetterStore:
    """Letters in memory, mirrored to a directory when one is given."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._letters: dict[str, CaughtLetter] = {}
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._load(directory)

    def _load(self, directory: Path) -> None:
        for envelope_file in directory.glob("*.json"):
            letter_id = envelope_file.stem
            raw_file = directory / f"{letter_id}.eml"
            if not _LETTER_ID.match(letter_id) or not raw_file.exists():
                continue
            envelope = json.loads(envelope_file.read_text("utf-8"))
            self._letters[letter_id] = CaughtLetter(
                id=letter_id, received_at=datetime.fromisoformat(envelope["received_at"]),
                envelope_from=envelope["from"], recipients=list(envelope["to"]), raw=raw_file.read_bytes(),
            )

    def add(self, envelope_from: str, recipients: list[str], raw: bytes) -> CaughtLetter:
        received_at = datetime.now(UTC)
        letter = CaughtLetter(
            id=f"{received_at:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}", received_at=received_at,
            envelope_from=envelope_from, recipients=recipients, raw=raw,
        )
        if self._directory is not None:
            # the envelope file is written last: a letter counts as stored once it exists
            _write_atomically(self._directory / f"{letter.id}.eml", raw)
            envelope = {"received_at": received_at.isoformat(), "from": envelope_from, "to": recipients}
            _write_atomically(self._directory / f"{letter.id}.json", json.dumps(envelope).encode())
        self._letters[letter.id] = letter
        return letter

    def all(self, recipient: str | None = None) -> list[CaughtLetter]:
        letters = sorted(self._letters.values(), key=lambda letter: letter.received_at, reverse=True)
        if recipient is not None:
            wanted = recipient.lower()
            letters = [letter for letter in letters if wanted in (r.lower() for r in letter.recipients)]
        return letters

    def get(self, letter_id: str) -> CaughtLetter | None:
        return self._letters.get(letter_id)

    def clear(self) -> None:
        if self._directory is not None:
            for letter_id in self._letters:
                for suffix in (".json", ".eml"):
                    (self._directory / f"{letter_id}{suffix}").unlink(missing_ok=True)
        self._letters.clear()


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


@dataclass(frozen=True)
class Refusal:
    code: int
    message: str

    @property
    def reply(self) -> str:
        return f"{self.code} {self.message}"


class CatchingHandler:
    """The aiosmtpd handler: takes every letter into the store, or refuses all while a refusal is set."""

    def __init__(self, store: LetterStore) -> None:
        self.store = store
        self.refusal: Refusal | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refusal is not None:
            return self.refusal.reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusal is not None:
            return self.refusal.reply
        raw = envelope.original_content or b""
        letter = await asyncio.to_thread(
            self.store.add, envelope.mail_from or "", list(envelope.rcpt_tos), raw
        )
        logger.info("caught letter %s for %s", letter.id, ", ".join(letter.recipients))
        return "250 Message accepted for delivery"


class RefusalRequest(BaseModel):
    code: int = Field(ge=400, le=599, description="the SMTP reply code: 4xx temporary, 5xx permanent")
    message: str = Field("Requested action aborted: the mail catcher refuses mail for now", max_length=200,
                         pattern=r"^[^\r\n]*$")


def _linkify(text: str) -> Markup:
    """Plain text as HTML, its http(s) URLs as links."""
    pieces: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        pieces.append(escape(text[position:match.start()]))
        url = match.group(0)
        pieces.append(Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>').format(url))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def _with_links_in_new_tabs(html: str) -> str:
    # inside the sandboxed iframe a clicked link would replace the letter; open it beside instead
    base = '<base target="_blank">'
    if _HEAD.search(html):
        return _HEAD.sub(lambda match: match.group(0) + base, html, count=1)
    return base + html


_PAGES = {
    "layout.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}Mail catcher{% endblock %}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#1f2933}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d9e0e6}
tr:hover{background:#f4f6f8}.muted{color:#616e7c}
.refusing{background:#fde8e8;padding:8px 12px;margin:0 0 16px}
pre{white-space:pre-wrap;background:#f4f6f8;padding:12px;border:1px solid #d9e0e6}
iframe{width:100%;height:640px;border:1px solid #d9e0e6}dt{font-weight:bold}dd{margin:0 0 8px}
</style>{% block head %}{% endblock %}</head><body>
<p><a href="/">All letters</a></p>
{% if refusal %}<p class="refusing">Refusing mail with <b>{{ refusal.reply }}</b>
(<code>DELETE /api/refuse</code> to stop).</p>{% endif %}
{% block body %}{% endblock %}
</body></html>""",
    "index.html": """{% extends "layout.html" %}
{% block head %}<meta http-equiv="refresh" content="10">{% endblock %}
{% block body %}<h1>Letters ({{ letters|length }})</h1>
{% if letters %}<table><thead><tr><th>Received (UTC)</th><th>From</th><th>To</th><th>Subject</th></tr></thead>
<tbody>{% for letter in letters %}<tr>
<td>{{ letter.received_at.strftime("%d.%m.%Y %H:%M:%S") }}</td><td>{{ letter.sender }}</td>
<td>{{ letter.recipients|join(", ") }}</td>
<td><a href="/letters/{{ letter.id }}">{{ letter.subject or "(no subject)" }}</a></td>
</tr>{% endfor %}</tbody></table>
{% else %}<p class="muted">No letters yet.</p>{% endif %}{% endblock %}""",
    "letter.html": """{% extends "layout.html" %}
{% block title %}{{ letter.subject }}{% endblock %}
{% block body %}<h1>{{ letter.subject or "(no subject)" }}</h1>
<dl><dt>From</dt><dd>{{ letter.sender }}</dd><dt>To</dt><dd>{{ letter.recipients|join(", ") }}</dd>
<dt>Received (UTC)</dt><dd>{{ letter.received_at.strftime("%d.%m.%Y %H:%M:%S") }}</dd></dl>
<p><a href="/letters/{{ letter.id }}/raw">Source</a></p>
{% if attachments %}<h2>Attachments</h2><ul>{% for a in attachments %}
<li><a href="/letters/{{ letter.id }}/attachments/{{ loop.index0 }}">{{ a.filename }}</a>
<span class="muted">{{ a.content_type }}, {{ a.content|length }} bytes</span></li>{% endfor %}</ul>{% endif %}
{% if html is not none %}<h2>HTML</h2>
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="{{ html }}" title="HTML part"></iframe>
{% endif %}
{% if text is not none %}<h2>Plain text</h2><pre>{{ text }}</pre>{% endif %}
{% endblock %}""",
}

_pages = Environment(
    loader=DictLoader(_PAGES), autoescape=select_autoescape(default=True, default_for_string=True)
)


def create_web_app(handler: CatchingHandler) -> FastAPI:
    store = handler.store
    app = FastAPI(title="mail catcher")

    def found(letter_id: str) -> CaughtLetter:
        letter = store.get(letter_id)
        if letter is None:
            raise HTTPException(404, "no such letter")
        return letter

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return _pages.get_template("index.html").render(letters=store.all(), refusal=handler.refusal)

    @app.get("/letters/{letter_id}", response_class=HTMLResponse)
    async def letter_page(letter_id: str) -> str:
        letter = found(letter_id)
        html, text = letter.html, letter.text
        return _pages.get_template("letter.html").render(
            letter=letter, refusal=handler.refusal, attachments=letter.attachments,
            html=_with_links_in_new_tabs(html) if html is not None else None,
            text=_linkify(text) if text is not None else None,
        )

    @app.get("/letters/{letter_id}/raw")
    async def letter_source(letter_id: str) -> Response:
        return Response(found(letter_id).raw, media_type="text/plain; charset=utf-8")

    @app.get("/letters/{letter_id}/attachments/{index}")
    async def attachment(letter_id: str, index: int) -> Response:
        attachments = found(letter_id).attachments
        if not 0 <= index < len(attachments):
            raise HTTPException(404, "no such attachment")
        chosen = attachments[index]
        return Response(chosen.content, media_type=chosen.content_type, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(chosen.filename, safe='')}",
        })

    @app.get("/api/letters")
    async def letters(to: Annotated[str | None, Query(max_length=320)] = None) -> list[dict[str, Any]]:
        return [letter.as_json() for letter in store.all(recipient=to)]

    @app.get("/api/letters/{letter_id}")
    async def one_letter(letter_id: str) -> dict[str, Any]:
        return found(letter_id).as_json()

    @app.delete("/api/letters", status_code=204)
    async def forget_letters() -> None:
        await asyncio.to_thread(store.clear)

    @app.get("/api/refuse")
    async def refusal_state() -> dict[str, Any]:
        refusal = handler.refusal
        return {"refusing": refusal is not None, "code": refusal.code if refusal else None,
                "message": refusal.message if refusal else None}

    @app.post("/api/refuse")
    async def refuse(request: RefusalRequest) -> dict[str, Any]:
        handler.refusal = Refusal(request.code, request.message)
        return await refusal_state()

    @app.delete("/api/refuse")
    async def accept() -> dict[str, Any]:
        handler.refusal = None
        return await refusal_state()

    return app


class MailCatcher:
    def __init__(
        self, *, host: str = "127.0.0.1", smtp_port: int = 1025, http_port: int = 8025,
        store: Path | None = None,
    ) -> None:
        self.host = host
        self.handler = CatchingHandler(LetterStore(store))
        self.app = create_web_app(self.handler)
        self._requested_smtp_port = smtp_port
        self._smtp_server: asyncio.Server | None = None
        self._http_server = uvicorn.Server(uvicorn.Config(
            self.app, host=host, port=http_port, log_level="warning", lifespan="off",
        ))
        self._http_task: asyncio.Task[None] | None = None

    @property
    def store(self) -> LetterStore:
        return self.handler.store

    @property
    def smtp_port(self) -> int:
        assert self._smtp_server is not None, "the catcher is not started"
        return int(self._smtp_server.sockets[0].getsockname()[1])

    @property
    def http_port(self) -> int:
        servers = self._http_server.servers
        assert servers, "the catcher is not started"
        return int(servers[0].sockets[0].getsockname()[1])

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    async def start_smtp(self) -> None:
        loop = asyncio.get_running_loop()
        self._smtp_server = await loop.create_server(
            lambda: SMTP(self.handler, enable_SMTPUTF8=True, hostname="mailcatcher", loop=loop),
            host=self.host, port=self._requested_smtp_port,
        )

    async def start(self) -> None:
        """Both servers in the background of the running loop (for tests)."""
        await self.start_smtp()
        self._http_task = asyncio.create_task(self._http_server.serve(), name="mailcatcher-http")
        while not self._http_server.started:
            if self._http_task.done():
                await self._http_task  # raises what stopped it (e.g. the port is taken)
                raise RuntimeError("the mail catcher's web server stopped at start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._http_task is not None:
            self._http_server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._http_task
        await self._close_smtp()

    async def _close_smtp(self) -> None:
        if self._smtp_server is not None:
            self._smtp_server.close()
            await self._smtp_server.wait_closed()
            self._smtp_server = None

    async def serve(self) -> None:
        """In the foreground until interrupted (the command line)."""
        await self.start_smtp()
        try:
            await self._http_server.serve()
        finally:
            await self._close_smtp()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.mailcatcher", description="SMTP server and web pages for caught letters"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", type=Path, help="keep letters in this directory across restarts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s mailcatcher %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    catcher = MailCatcher(
        host=args.host, smtp_port=args.smtp_port, http_port=args.http_port, store=args.store
    )
    logger.info("SMTP on %s:%d, web on http://%s:%d/", args.host, args.smtp_port, args.host, args.http_port)
    asyncio.run(catcher.serve())


if __name__ == "__main__":
    main()
