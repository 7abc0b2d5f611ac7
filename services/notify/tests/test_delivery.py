"""Events in over RabbitMQ → letters out over SMTP, with the real service app, broker, database and SMTP server
(the mail catcher's, on free ports), and the real documents service for attachments (`run_notify`, `broker` and the
rest in conftest.py). Each test has databases and a bus namespace of its own."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from minio import Minio

from documents.domain.documents import object_key
from shared.auth import Principal, Role, ServiceTokens
from shared.bus.tables import OUTBOX
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import EmailChanged, PasswordChanged, RegistrationLinkIssued
from shared.testing import eventually

RunNotify = Callable[..., contextlib.AbstractAsyncContextManager[FastAPI]]


async def marked_sent(app: Any, secret: str, recipient: str) -> dict[str, Any]:
    """The letter's row once the sender committed it as sent (the SMTP server has the letter a moment before)."""

    async def sent() -> list[dict[str, Any]]:
        return [row for row in await support_view(app, secret, recipient) if row["status"] == "sent"]

    [row] = await eventually(sent)
    return row


async def letters_to(mailbox: httpx.AsyncClient, address: str) -> list[dict[str, Any]]:
    response = await mailbox.get("/api/letters", params={"to": address})
    response.raise_for_status()
    letters: list[dict[str, Any]] = response.json()
    return letters


def client_as(app: FastAPI, secret: str, role: Role = Role.ADMIN) -> httpx.AsyncClient:
    token = ServiceTokens(secret).issue(Principal(user_id=uuid4(), role=role))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://notify",
        headers={"Authorization": f"Bearer {token}"},
    )



def registration(email: str) -> RegistrationLinkIssued:
    return RegistrationLinkIssued(
        link_id=uuid4(), consumer_id=uuid4(), account_number="0789", consumer_name="Кооператив Автомобіліст-2",
        email=email, link_url=f"https://cabinet.example.ua/registration/{uuid4()}",
        expires_at=datetime.now(UTC) + timedelta(days=3),
    )


def address() -> str:
    return f"user-{uuid4().hex[:8]}@example.com"


async def support_view(app: FastAPI, secret: str, recipient: str) -> list[dict[str, Any]]:
    """The outgoing letters as an administrator sees them (they name no branch, so no branch's staff do)."""
    async with client_as(app, secret) as client:
        response = await client.get("/api/v1/letters", params={"recipient": recipient})
    assert response.status_code == 200, response.text
    letters: list[dict[str, Any]] = response.json()
    return letters


async def business_counter(app: FastAPI, kind: str) -> float:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        metrics = (await client.get("/metrics")).text
    match = re.search(rf'cabinet_business_events_total{{kind="{kind}",service="notify"}} (\S+)', metrics)
    return float(match.group(1)) if match else 0.0


async def test_a_registration_event_becomes_one_bilingual_multipart_letter(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient, service_token_secret: str
) -> None:
    recipient = address()
    event = registration(recipient)
    async with run_notify() as app:
        sent_before = await business_counter(app, "letter_sent")
        await broker.publish(event)

        [letter] = await eventually(lambda: letters_to(mailbox, recipient))
        row = await marked_sent(app, service_token_secret, recipient)
        assert await business_counter(app, "letter_sent") == sent_before + 1

    assert letter["from"] == "Особистий кабінет юридичного споживача <noreply@cabinet.local>"
    assert letter["subject"].startswith("Реєстрація в системі «Особистий кабінет юридичного споживача»")
    assert "Для продовження реєстрації перейдіть за посиланням нижче:" in letter["text"]
    assert "Для продолжения регистрации перейдите по ссылке ниже:" in letter["text"]
    assert event.link_url in letter["text"]
    assert f'href="{event.link_url}"' in letter["html"]
    assert letter["message_id"] == f"<{row['id']}@cabinet.local>"
    assert (row["status"], row["attempts"], row["kind"]) == ("sent", 1, "registration_link")


async def test_the_same_message_delivered_twice_makes_one_letter(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient
) -> None:
    twice, sentinel = address(), address()
    async with run_notify():
        message_id = await broker.publish(registration(twice))
        await broker.publish(registration(twice), message_id=message_id)  # a redelivery: same id
        await broker.publish(registration(sentinel))
        # the sentinel comes after both copies: once it is out, both copies have been handled
        await eventually(lambda: letters_to(mailbox, sentinel))
        await asyncio.sleep(1.0)  # no second letter: it would be out by now

    assert len(await letters_to(mailbox, twice)) == 1


async def test_an_email_change_is_told_to_both_addresses(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient
) -> None:
    old, new = address(), address()
    async with run_notify():
        await broker.publish(EmailChanged(user_id=uuid4(), login="avtomobilist", old_email=old, new_email=new))
        [to_old] = await eventually(lambda: letters_to(mailbox, old))
        [to_new] = await eventually(lambda: letters_to(mailbox, new))

    assert new not in to_old["text"] and new not in to_old["html"]
    assert new in to_new["text"]


async def test_letters_wait_while_smtp_refuses_and_go_when_it_accepts(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient, service_token_secret: str
) -> None:
    recipient = address()
    await mailbox.post("/api/refuse", json={"code": 451})
    async with run_notify() as app:
        await broker.publish(registration(recipient))

        async def refused_a_few_times() -> bool:
            rows = await support_view(app, service_token_secret, recipient)
            return bool(rows) and rows[0]["attempts"] >= 3

        await eventually(refused_a_few_times)
        [row] = await support_view(app, service_token_secret, recipient)
        assert row["status"] == "pending"
        assert "451" in row["last_error"]
        assert await letters_to(mailbox, recipient) == []

        await mailbox.delete("/api/refuse")
        [letter] = await eventually(lambda: letters_to(mailbox, recipient))
        row = await marked_sent(app, service_token_secret, recipient)
        assert row["last_error"] is None
    assert "Для продовження реєстрації" in letter["text"]


async def test_a_letter_smtp_never_takes_is_given_up_after_the_limit_not_dropped_silently(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient, service_token_secret: str
) -> None:
    recipient = address()
    await mailbox.post("/api/refuse", json={"code": 451})
    async with run_notify(letter_give_up_after_seconds=2.0) as app:
        failed_before = await business_counter(app, "letter_failed")
        await broker.publish(PasswordChanged(user_id=uuid4(), login="avtomobilist", email=recipient))

        async def failed() -> list[dict[str, Any]]:
            rows = await support_view(app, service_token_secret, recipient)
            return [row for row in rows if row["status"] == "failed"]

        [row] = await eventually(failed)
        assert row["attempts"] >= 2 and "451" in row["last_error"]
        assert await business_counter(app, "letter_failed") == failed_before + 1
        await mailbox.delete("/api/refuse")
        await asyncio.sleep(1.5)  # a failed letter is not tried again
        assert await letters_to(mailbox, recipient) == []


async def test_a_permanent_refusal_of_the_recipient_fails_the_letter_at_once(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient, service_token_secret: str
) -> None:
    recipient = address()
    await mailbox.post("/api/refuse", json={"code": 550, "message": "5.1.1 mailbox unavailable"})
    async with run_notify() as app:
        await broker.publish(registration(recipient))

        async def settled() -> list[dict[str, Any]]:
            rows = await support_view(app, service_token_secret, recipient)
            return [row for row in rows if row["status"] != "pending"]

        [row] = await eventually(settled)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "550" in row["last_error"]


async def test_smtp_down_keeps_the_letter_pending(
    run_notify: RunNotify, broker: Any, service_token_secret: str
) -> None:
    recipient = address()
    # a port nothing listens on: the connection is refused
    async with run_notify(smtp_port=1) as app:
        await broker.publish(registration(recipient))

        async def tried_twice() -> list[dict[str, Any]]:
            rows = await support_view(app, service_token_secret, recipient)
            return [row for row in rows if row["attempts"] >= 2]

        [row] = await eventually(tried_twice)
    assert row["status"] == "pending"
    assert row["last_error"]


async def test_an_event_published_while_notify_is_down_is_mailed_once_it_starts(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient
) -> None:
    recipient = address()
    async with run_notify():
        pass  # first start: notify's queue exists and is bound, as after any earlier deployment
    assert await broker.consumers() == 0

    await broker.publish(registration(recipient))
    await asyncio.sleep(0.5)  # nothing mails it while notify is down
    assert await letters_to(mailbox, recipient) == []

    async with run_notify():
        await eventually(lambda: letters_to(mailbox, recipient))
        await asyncio.sleep(1.0)  # no second letter: it would be out by now
    assert len(await letters_to(mailbox, recipient)) == 1


async def test_malformed_messages_are_dead_lettered_with_the_reason_and_the_next_one_is_handled(
    run_notify: RunNotify, broker: Any, mailbox: httpx.AsyncClient
) -> None:
    recipient = address()
    good = registration(recipient)
    registration_type = RegistrationLinkIssued.message_type()
    async with run_notify():
        bad_json = await broker.publish(body=b"{not json", message_type=registration_type)
        incomplete = await broker.publish(body=b'{"email": "a@example.com"}', message_type=registration_type)
        unknown = await broker.publish(body=b"{}", message_type="identity.no_such_event.v1", straight_to_queue=True)
        unsafe = await broker.publish(registration(address()).model_copy(update={"link_url": "javascript:alert(1)"}))
        await broker.publish(good)

        await eventually(lambda: letters_to(mailbox, recipient))

        async def all_dead_lettered() -> dict[str, Any]:
            collected.update({str(m.message_id): m for m in await broker.dead_letters()})
            return collected if len(collected) >= 4 else {}

        collected: dict[str, Any] = {}
        dead = await eventually(all_dead_lettered)

    assert set(dead) == {bad_json, incomplete, unknown, unsafe}
    reasons = {message_id: str(message.headers["x-dead-letter-reason"]) for message_id, message in dead.items()}
    assert "body does not match" in reasons[bad_json]
    assert "link_url" in reasons[incomplete] and "Field required" in reasons[incomplete]
    assert "no handler" in reasons[unknown] and "'identity.no_such_event.v1'" in reasons[unknown]
    assert "javascript:alert(1)" in reasons[unsafe]
    assert dead[incomplete].headers["x-original-routing-key"] == registration_type


async def test_the_letters_api_is_for_administrators_only(
    run_notify: RunNotify, service_token_secret: str
) -> None:
    async with run_notify() as app:
        async with client_as(app, service_token_secret, Role.CONSUMER) as consumer:
            assert (await consumer.get("/api/v1/letters")).status_code == 403
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as anonymous:
            assert (await anonymous.get("/api/v1/letters")).status_code == 401
        async with client_as(app, service_token_secret, Role.STAFF) as staff:
            assert (await staff.get("/api/v1/letters")).status_code == 403
        async with client_as(app, service_token_secret) as admin:
            assert (await admin.get("/api/v1/letters")).status_code == 200
            invalid = await admin.get("/api/v1/letters", params={"recipient": "not an address"})
            assert invalid.status_code == 422
            assert invalid.json()["detail"]["fields"] == {"recipient": "string_pattern_mismatch"}


# The e-signature onboarding package: the documents service stores documents.zip and announces it; notify mails
# it as an attachment, fetched from documents when the letter is sent.

RunDocuments = Callable[[], contextlib.AbstractAsyncContextManager[FastAPI]]
PACKAGE_READY = EdsOnboardingPackageReady.message_type()
ONBOARDING_FORM = {
    "company_name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678",
    "legal_address": "49000, м. Дніпро, вул. Січеславська, 5", "phone": "+380 56 123 45 67",
    "signer_name": "Ґалаґан Юлія Миколаївна", "signer_position": "Голова правління",
}


@dataclass
class Package:
    """documents.zip as the documents service stored it."""

    document: dict[str, Any]
    content: bytes


async def request_package(documents_url: str, secret: str, email: str) -> Package:
    """What a consumer's «Зберегти та відправити» does; then the stored bytes, read as a service reads them."""
    tokens = ServiceTokens(secret)
    consumer = Principal(user_id=uuid4(), consumer_id=uuid4(), role=Role.CONSUMER)
    async with httpx.AsyncClient(base_url=documents_url, timeout=60) as client:
        response = await client.post(
            "/api/v1/onboarding-packages", json={**ONBOARDING_FORM, "email": email},
            headers={"Authorization": f"Bearer {tokens.issue(consumer)}"},
        )
        assert response.status_code == 201, response.text
        document = response.json()["document"]
        stored = await client.get(
            document["content_path"],
            headers={"Authorization": f"Bearer {tokens.issue(Principal(role=Role.SERVICE, issuer='test'))}"},
        )
    assert stored.status_code == 200, stored.text
    assert hashlib.sha256(stored.content).hexdigest() == document["sha256"]
    return Package(document, stored.content)


async def published_package_events(documents: FastAPI) -> list[dict[str, Any]]:
    """The package events documents has published to the broker (message id and body)."""
    async with documents.state.database.sessionmaker() as session:
        rows = await session.execute(
            sa.select(OUTBOX.c.message_id, OUTBOX.c.body)
            .where(OUTBOX.c.message_type == PACKAGE_READY, OUTBOX.c.published_at.is_not(None))
        )
    return [{"message_id": str(message_id), "body": body} for message_id, body in rows]


async def attachment_of(mailbox: httpx.AsyncClient, letter: dict[str, Any], index: int = 0) -> bytes:
    response = await mailbox.get(f"/letters/{letter['id']}/attachments/{index}")
    response.raise_for_status()
    return response.content


def package_event(package: Package, email: str, **changes: Any) -> EdsOnboardingPackageReady:
    document = package.document
    values: dict[str, Any] = {
        "document_id": document["id"], "consumer_id": document["consumer_id"], "email": email,
        "company_name": ONBOARDING_FORM["company_name"], "edrpou": ONBOARDING_FORM["edrpou"],
        "signer_name": ONBOARDING_FORM["signer_name"], "file_name": document["file_name"],
        "content_path": document["content_path"],
        "download_url": f"https://cabinet.example.ua/documents/{document['id']}/download",
    }
    values.update(changes)
    return EdsOnboardingPackageReady.model_validate(values)


@pytest.fixture
def sender_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """What the letter sender logs. On its own logger: the service app sets the root logger's handlers anew."""
    sender = logging.getLogger("notify.sender")
    sender.addHandler(caplog.handler)
    yield caplog
    sender.removeHandler(caplog.handler)


async def test_the_onboarding_package_is_mailed_with_documents_zip_attached(
    run_notify: RunNotify, run_documents: RunDocuments, documents_url: str, mailbox: httpx.AsyncClient,
    service_token_secret: str,
) -> None:
    recipient = address()
    async with run_notify() as app, run_documents():
        package = await request_package(documents_url, service_token_secret, recipient)

        [letter] = await eventually(lambda: letters_to(mailbox, recipient))
        attached = await attachment_of(mailbox, letter)
        [row] = await support_view(app, service_token_secret, recipient)

    assert (row["kind"], row["status"], row["attempts"]) == ("eds_onboarding_package", "sent", 1)
    assert letter["subject"] == "Пакет документів для оформлення ЕЦП / Пакет документов для оформления ЭЦП"
    assert letter["attachments"] == [
        {"index": 0, "filename": "documents.zip", "content_type": "application/zip", "size": len(package.content)}
    ]
    assert attached == package.content
    with zipfile.ZipFile(io.BytesIO(attached)) as archive:
        assert len(archive.namelist()) == 6
    download_url = f"https://cabinet.example.ua/documents/{package.document['id']}/download"
    assert download_url in letter["text"] and f'href="{download_url}"' in letter["html"]
    assert "Бланк парольної фрази для голосової аутентифікації" in letter["text"]
    assert "Бланк парольной фразы для голосовой аутентификации" in letter["text"]


async def test_the_package_waits_while_documents_is_down_and_goes_out_when_it_is_back(
    run_notify: RunNotify, run_documents: RunDocuments, documents_url: str, mailbox: httpx.AsyncClient,
    service_token_secret: str,
) -> None:
    recipient = address()
    async with run_notify():
        pass  # notify's queue exists and is bound, as after any earlier deployment
    async with run_documents() as documents:
        package = await request_package(documents_url, service_token_secret, recipient)
        await eventually(lambda: published_package_events(documents))
    # documents is down now; its event waits in notify's queue

    async with run_notify() as app:

        async def tried_twice() -> list[dict[str, Any]]:
            rows = await support_view(app, service_token_secret, recipient)
            return [row for row in rows if row["attempts"] >= 2]

        [row] = await eventually(tried_twice)
        assert row["status"] == "pending"
        assert "the documents service cannot be reached" in row["last_error"]
        assert await letters_to(mailbox, recipient) == []

        async with run_documents():
            [letter] = await eventually(lambda: letters_to(mailbox, recipient))

            row = await marked_sent(app, service_token_secret, recipient)
            assert row["last_error"] is None
            assert await attachment_of(mailbox, letter) == package.content


async def test_the_package_waits_while_documents_answers_5xx(
    run_notify: RunNotify, run_documents: RunDocuments, documents_url: str, mailbox: httpx.AsyncClient,
    service_token_secret: str, raw_s3: Minio, bucket: str, broker: Any,
) -> None:
    recipient = address()
    async with run_notify() as app, run_documents():
        package = await request_package(documents_url, service_token_secret, address())
        # the stored bytes go missing: documents refuses to serve the document (500 integrity_failure)
        key = object_key(package.document["sha256"])
        await asyncio.to_thread(raw_s3.remove_object, bucket, key)
        await broker.publish(package_event(package, recipient))

        async def tried_twice() -> list[dict[str, Any]]:
            rows = await support_view(app, service_token_secret, recipient)
            return [row for row in rows if row["attempts"] >= 2]

        [row] = await eventually(tried_twice)
        assert row["status"] == "pending"
        assert "500 integrity_failure" in row["last_error"]
        assert await letters_to(mailbox, recipient) == []

        await asyncio.to_thread(raw_s3.put_object, bucket, key, io.BytesIO(package.content), len(package.content))
        [letter] = await eventually(lambda: letters_to(mailbox, recipient))
        assert await attachment_of(mailbox, letter) == package.content


async def test_the_same_package_event_twice_makes_one_letter(
    run_notify: RunNotify, run_documents: RunDocuments, documents_url: str, mailbox: httpx.AsyncClient,
    broker: Any, service_token_secret: str,
) -> None:
    recipient, sentinel = address(), address()
    async with run_notify(), run_documents() as documents:
        await request_package(documents_url, service_token_secret, recipient)
        [published] = await eventually(lambda: published_package_events(documents))
        await eventually(lambda: letters_to(mailbox, recipient))

        # the broker delivers the very message again (same message id), as after a lost acknowledgement
        await broker.publish(body=published["body"], message_id=published["message_id"], message_type=PACKAGE_READY)
        await broker.publish(registration(sentinel))
        await eventually(lambda: letters_to(mailbox, sentinel))
        await asyncio.sleep(1.0)  # no second letter: it would be out by now

    assert len(await letters_to(mailbox, recipient)) == 1


async def test_a_package_naming_an_unknown_document_fails_at_once_and_is_logged(
    run_notify: RunNotify, run_documents: RunDocuments, documents_url: str, mailbox: httpx.AsyncClient,
    broker: Any, service_token_secret: str, sender_log: pytest.LogCaptureFixture,
) -> None:
    recipient = address()
    async with run_notify() as app, run_documents():
        package = await request_package(documents_url, service_token_secret, address())
        unknown = uuid4()
        failed_before = await business_counter(app, "letter_failed")
        await broker.publish(package_event(package, recipient, document_id=unknown))

        async def settled() -> list[dict[str, Any]]:
            rows = await support_view(app, service_token_secret, recipient)
            return [row for row in rows if row["status"] != "pending"]

        [row] = await eventually(settled)
        assert await business_counter(app, "letter_failed") == failed_before + 1
        await asyncio.sleep(1.0)  # a failed letter is not tried again

    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "404 document_not_found" in row["last_error"]
    assert await letters_to(mailbox, recipient) == []
    [record] = [record for record in sender_log.records if record.levelno == logging.ERROR]
    assert record.getMessage() == "letter given up: the documents service has no such document to attach"
    assert record.fields["document_id"] == str(unknown)
    assert recipient not in sender_log.text


async def test_a_non_ascii_attachment_name_is_written_as_rfc_2231(
    run_notify: RunNotify, run_documents: RunDocuments, documents_url: str, mailbox: httpx.AsyncClient,
    broker: Any, service_token_secret: str,
) -> None:
    recipient = address()
    async with run_notify(), run_documents():
        package = await request_package(documents_url, service_token_secret, address())
        await broker.publish(package_event(package, recipient, file_name="Документи ЕЦП.zip"))
        [letter] = await eventually(lambda: letters_to(mailbox, recipient))
        source = (await mailbox.get(f"/letters/{letter['id']}/raw")).text

    assert [attachment["filename"] for attachment in letter["attachments"]] == ["Документи ЕЦП.zip"]
    assert "filename*0*=utf-8''%D0%94%D0%BE%D0%BA" in source
    assert await attachment_of(mailbox, letter) == package.content
