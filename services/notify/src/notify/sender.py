"""The letter sender: a background worker that hands pending letters to the SMTP server.

It wakes when a transaction commits (a handler may just have queued a letter) and polls every couple of
seconds for letters whose retry time has come. Letters are claimed with `FOR UPDATE SKIP LOCKED`, so several
replicas share the work and no letter goes out twice at the same time. A letter the SMTP server does not take
is tried again with exponential back-off; it is given up (status `failed`, an error in the log, the
`letter_failed` counter) only when the server refuses it permanently (5xx for the recipient or the content) or
after `letter_give_up_after_seconds` of trying. Nothing is dropped silently.

A letter with an attachment fetches the document's bytes from the documents service right before it is sent
(`notify.attachments`). While documents is away or failing, the letter waits with the same back-off as for SMTP;
a document the documents service does not have fails the letter at once.

Each letter is claimed, sent and marked in a transaction of its own (one SMTP connection serves a round of up to
`letter_batch_size` letters), so what the SMTP server took is committed as sent before the next letter goes. If
the process dies between the server taking a letter and that commit (a SIGKILL, a lost node), that one letter
goes again later with the same Message-ID, which lets mail systems recognise the repeat; no other letter does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from fastapi import FastAPI
from prometheus_client import Gauge

from notify import repository
from notify.attachments import AttachmentMissing, AttachmentUnavailable, DocumentsClient
from notify.domain.delivery import retry_delay, should_give_up
from notify.models import LetterStatus, OutgoingLetter
from notify.settings import NotifySettings
from shared import background
from shared.db import Database
from shared.http import ServiceClient
from shared.metrics import BUSINESS_EVENTS
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

PENDING_LETTERS = Gauge("cabinet_notify_pending_letters", "Letters waiting to be sent")
OLDEST_PENDING_LETTER_AGE = Gauge(
    "cabinet_notify_oldest_pending_letter_age_seconds", "Age of the oldest letter waiting to be sent"
)

_FIRST_LOOP_BACKOFF_SECONDS = 0.5
_MAX_LOOP_BACKOFF_SECONDS = 10.0


@dataclass
class _Outcome:
    sent: int = 0
    failed: int = 0


def is_permanent(error: Exception) -> bool:
    """The SMTP server's verdict on this very letter, not on the connection, or an attachment that does not
    exist: retrying will not change it.

    Other 5xx answers (greeting, authentication, MAIL FROM) point at our configuration or the relay, which
    someone will fix, so those letters wait.
    """
    if isinstance(error, AttachmentMissing):
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in error.recipients)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return error.code >= 500
    return False


def _why_given_up(error: Exception, *, permanent: bool) -> str:
    if isinstance(error, AttachmentMissing):
        return "the documents service has no such document to attach"
    if permanent:
        return "the SMTP server refused it permanently"
    return "it could not be sent in time"


def _smtp_code(error: Exception) -> int | None:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return error.recipients[0].code if error.recipients else None
    return error.code if isinstance(error, aiosmtplib.SMTPResponseException) else None


class LetterSender:
    def __init__(self, database: Database, settings: NotifySettings, documents: DocumentsClient) -> None:
        self._database = database
        self._settings = settings
        self._documents = documents
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        database.after_commit[repository.QUEUED_LETTERS].append(self._wakeup.set)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="letter-sender")

    async def stop(self) -> None:
        await background.stop(self._task)
        with contextlib.suppress(ValueError):
            self._database.after_commit[repository.QUEUED_LETTERS].remove(self._wakeup.set)

    async def _run(self) -> None:
        delay = _FIRST_LOOP_BACKOFF_SECONDS
        while True:
            self._wakeup.clear()
            try:
                handled = await self.send_due()
                delay = _FIRST_LOOP_BACKOFF_SECONDS
            except Exception:
                if background.cancelling():
                    raise
                # the database is away; the letters are safe in it and wait
                logger.exception("letter sender: cannot reach the database; trying again in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_LOOP_BACKOFF_SECONDS)
                continue
            if handled < self._settings.letter_batch_size:
                try:
                    # not wait_for: on 3.11 it can swallow a cancellation, and the sender would never stop
                    async with asyncio.timeout(self._settings.letter_poll_seconds):
                        await self._wakeup.wait()
                except TimeoutError:
                    await self._observe_backlog()

    async def send_due(self) -> int:
        """Send due letters, each in a transaction of its own, up to a batch; returns how many were tried."""
        outcome = _Outcome()
        tried = 0
        smtp: aiosmtplib.SMTP | None = None
        try:
            while tried < self._settings.letter_batch_size:
                # not `database.transaction()`: its after-commit callbacks would wake this very loop
                async with self._database.sessionmaker() as session, session.begin():
                    letters = await repository.claim_due(session, 1)
                    if not letters:
                        break
                    tried += 1
                    if smtp is None:
                        smtp = self._smtp()
                        try:
                            await smtp.connect()
                        except (aiosmtplib.SMTPException, OSError) as exc:
                            # the server is away: the other due letters wait their back-off with this one
                            others = await repository.claim_due(session, self._settings.letter_batch_size - tried)
                            tried += len(others)
                            for letter in (*letters, *others):
                                self._attempt_failed(letter, exc, outcome)
                            break
                    if not await self._deliver(smtp, letters[0], outcome):
                        break  # the server hung up: the next letters are tried on the next round
        finally:
            if smtp is not None and smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await smtp.quit()
            if outcome.sent:
                BUSINESS_EVENTS.labels("notify", "letter_sent").inc(outcome.sent)
            if outcome.failed:
                BUSINESS_EVENTS.labels("notify", "letter_failed").inc(outcome.failed)
        return tried

    def _smtp(self) -> aiosmtplib.SMTP:
        settings = self._settings
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port, timeout=settings.smtp_timeout_seconds,
            start_tls=settings.smtp_starttls, username=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )

    async def _deliver(self, smtp: aiosmtplib.SMTP, letter: OutgoingLetter, outcome: _Outcome) -> bool:
        """One letter to the connected server; False when the server hung up."""
        try:
            message = await self._message(letter)
            await smtp.send_message(message)
        except aiosmtplib.SMTPServerDisconnected as exc:
            self._attempt_failed(letter, exc, outcome)
            return False
        except (aiosmtplib.SMTPException, OSError, AttachmentUnavailable, AttachmentMissing) as exc:
            self._attempt_failed(letter, exc, outcome)
        else:
            letter.attempts += 1
            letter.status = LetterStatus.SENT
            letter.sent_at = datetime.now(UTC)
            letter.last_error = None
            outcome.sent += 1
        return True

    def _attempt_failed(self, letter: OutgoingLetter, error: Exception, outcome: _Outcome) -> None:
        settings = self._settings
        now = datetime.now(UTC)
        letter.attempts += 1
        letter.last_error = f"{type(error).__name__}: {error}"[:2000]
        # the error's text names the recipient; the log gets only its kind and SMTP code (no e-mails in logs)
        fields = log_fields(letter_id=str(letter.id), kind=letter.kind, attempts=letter.attempts,
                            error=type(error).__name__, smtp_code=_smtp_code(error),
                            document_id=str(letter.attachment_document_id) if letter.attachment_document_id else None)
        permanent = is_permanent(error)
        if permanent or should_give_up(now - letter.created_at,
                                       give_up_after_seconds=settings.letter_give_up_after_seconds):
            letter.status = LetterStatus.FAILED
            outcome.failed += 1
            logger.error("letter given up: %s", _why_given_up(error, permanent=permanent), extra=fields)
            return
        delay = retry_delay(letter.attempts, base_seconds=settings.letter_retry_base_seconds,
                            max_seconds=settings.letter_retry_max_seconds)
        letter.next_attempt_at = now + delay
        logger.warning("letter not sent; next attempt in %ss", int(delay.total_seconds()), extra=fields)

    async def _message(self, letter: OutgoingLetter) -> EmailMessage:
        sender = Address(self._settings.mail_from_name, addr_spec=self._settings.mail_from)
        message = EmailMessage()
        message["From"] = sender
        message["To"] = letter.recipient
        message["Subject"] = letter.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        # stable across attempts: a letter sent twice (lost commit) is recognisably the same letter
        message["Message-ID"] = f"<{letter.id}@{sender.domain}>"
        message["Content-Language"] = "uk, ru"
        # RFC 3834: vacation responders must not answer
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(letter.text_body)
        message.add_alternative(letter.html_body, subtype="html")
        attachment = letter.attachment
        if attachment is not None:
            content = await self._documents.content(attachment.document_id)
            maintype, _, subtype = attachment.content_type.partition("/")
            # the email package writes a non-ASCII file name as RFC 2231 `filename*=utf-8''...`
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=attachment.file_name)
        return message

    async def _observe_backlog(self) -> None:
        try:
            async with self._database.sessionmaker() as session:
                count, oldest = await repository.pending_backlog(session)
        except Exception:  # a metric must not stop the sender
            logger.debug("letter backlog unavailable", exc_info=True)
            return
        PENDING_LETTERS.set(count)
        OLDEST_PENDING_LETTER_AGE.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)


async def start_sender(app: FastAPI) -> None:
    settings: NotifySettings = app.state.settings
    documents = DocumentsClient(ServiceClient(
        settings.documents_url, app.state.service_tokens, timeout=settings.service_timeout_seconds
    ))
    sender = LetterSender(app.state.database, settings, documents)
    app.state.documents_client = documents
    app.state.letter_sender = sender
    await sender.start()


async def stop_sender(app: FastAPI) -> None:
    await app.state.letter_sender.stop()
    await app.state.documents_client.aclose()
