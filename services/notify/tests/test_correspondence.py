"""The correspondence with the supplier and the messages to the developers over notify's HTTP API, with the real
app, database, broker and SMTP server (the mail catcher's): limits as the user counts them, throttling, each
consumer seeing only their own letters, a staff reply e-mailed to the letter's author."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from notify import repository
from shared.auth import Principal, Role, ServiceTokens
from shared.contracts.identity import ConsumerAccountCreated, EmailChanged, UserRegistered
from shared.contracts.notify import LetterAnswered
from shared.testing import BRANCH_ID, OTHER_BRANCH_ID, eventually

PUBLIC_BASE_URL = "https://cabinet.example.ua"
REPLY_SUBJECT = "Відповідь постачальника на Ваш лист / Ответ поставщика на Ваше письмо"
LETTERS = "/api/v1/correspondence/letters"


class Person:
    """Someone acting through the gateway: a consumer's user or a supplier employee."""

    def __init__(self, role: Role, consumer_id: UUID | None = None, branch_id: UUID | None = BRANCH_ID) -> None:
        # the gateway names the branch of a staff member, and of a consumer's user (the serving one)
        branch_id = branch_id if role in (Role.CONSUMER, Role.STAFF) else None
        self.principal = Principal(user_id=uuid4(), consumer_id=consumer_id, role=role, branch_id=branch_id,
                                   ip="198.51.100.7")

    @property
    def user_id(self) -> UUID:
        assert self.principal.user_id is not None
        return self.principal.user_id

    @asynccontextmanager
    async def client(self, app: FastAPI, secret: str) -> AsyncIterator[httpx.AsyncClient]:
        token = ServiceTokens(secret).issue(self.principal)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            yield client


def consumer_user(consumer_id: UUID | None = None) -> Person:
    return Person(Role.CONSUMER, consumer_id or uuid4())


async def known(app: FastAPI, *people: Person) -> None:
    """Notify has heard of these users' consumers from identity, as consumers of their branch."""
    async with app.state.database.transaction() as session:
        for person in people:
            assert person.principal.consumer_id is not None and person.principal.branch_id is not None
            await repository.remember_consumer(
                session, consumer_id=person.principal.consumer_id, account_number="0789", name="Споживач",
                branch_id=person.principal.branch_id, as_of=datetime.now(UTC))


def letter(**changes: Any) -> dict[str, Any]:
    return {"addressee_type": "settlements", "letter_type": "question", "subject": "Рахунок за травень",
            "text": "Прошу пояснити суму в рахунку за травень.", **changes}


def fields_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    fields: dict[str, str] = response.json()["detail"]["fields"]
    return fields


async def mail_to(mailbox: httpx.AsyncClient, address: str, subject: str = REPLY_SUBJECT) -> list[dict[str, Any]]:
    response = await mailbox.get("/api/letters", params={"to": address})
    response.raise_for_status()
    return [mail for mail in response.json() if mail["subject"] == subject]


async def test_the_reference_lists_are_the_seeded_data_in_three_languages(
    run_notify: Any, service_token_secret: str
) -> None:
    async with run_notify() as app, consumer_user().client(app, service_token_secret) as consumer:
        addressees = (await consumer.get("/api/v1/correspondence/addressee-types")).json()
        letter_types = (await consumer.get("/api/v1/correspondence/letter-types")).json()
        async with Person(Role.ANONYMOUS).client(app, service_token_secret) as anonymous:
            refused = await anonymous.get("/api/v1/correspondence/addressee-types")

    assert [row["code"] for row in addressees] == ["settlements", "contracts", "metering", "cabinet_support"]
    assert addressees[0]["name"] == {"uk": "Розрахунковий відділ", "ru": "Расчётный отдел",
                                     "en": "Settlement department"}
    assert all(set(row["description"]) == {"uk", "ru", "en"} and all(row["description"].values())
               for row in addressees)
    assert [row["code"] for row in letter_types] == [
        "question", "complaint", "documents_request", "application", "other"]
    assert letter_types[2]["name"]["uk"] == "Запит документів"
    assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "role_forbidden")


async def test_the_text_may_have_1000_characters_as_the_user_counts_them_and_not_one_more(
    run_notify: Any, service_token_secret: str
) -> None:
    async with run_notify() as app, consumer_user().client(app, service_token_secret) as consumer:
        # code points, not bytes nor UTF-16 units: "ї" is 2 bytes, "🙂" 4 bytes and 2 UTF-16 units
        exactly = await consumer.post(LETTERS, json=letter(text="ї" * 998 + "🙂" + "."))
        one_more = await consumer.post(LETTERS, json=letter(text="ї" * 1000 + "🙂"))
        # a line break typed in a browser arrives as CRLF and is one character on the counter
        with_crlf = await consumer.post(LETTERS, json=letter(text="а" * 499 + "\r\n" + "б" * 500))
        crlf_over = await consumer.post(LETTERS, json=letter(text="а" * 500 + "\r\n" + "б" * 500))

    assert exactly.status_code == 201, exactly.text
    assert len(exactly.json()["text"]) == 1000
    assert fields_of(one_more) == {"text": "too_long"}
    assert with_crlf.status_code == 201, with_crlf.text
    assert with_crlf.json()["text"] == "а" * 499 + "\n" + "б" * 500
    assert fields_of(crlf_over) == {"text": "too_long"}


async def test_every_field_of_a_letter_is_checked(run_notify: Any, service_token_secret: str) -> None:
    async with run_notify() as app, consumer_user().client(app, service_token_secret) as consumer:
        blank = await consumer.post(LETTERS, json=letter(addressee_type="", letter_type="", subject="  ", text="\r\n"))
        unknown = await consumer.post(LETTERS, json=letter(addressee_type="director", letter_type="poem"))
        long_subject = await consumer.post(LETTERS, json=letter(subject="Т" * 201))
        subject_200 = await consumer.post(LETTERS, json=letter(subject="Т" * 200))
        nul = await consumer.post(LETTERS, json=letter(text="a\x00b"))
        missing = await consumer.post(LETTERS, json={"addressee_type": "settlements"})
        listed = (await consumer.get(LETTERS)).json()

    assert fields_of(blank) == {"addressee_type": "required", "letter_type": "required", "subject": "required",
                                "text": "required"}
    assert fields_of(unknown) == {"addressee_type": "unknown", "letter_type": "unknown"}
    assert fields_of(long_subject) == {"subject": "too_long"}
    assert subject_200.status_code == 201
    assert fields_of(nul) == {"text": "invalid_characters"}
    assert fields_of(missing) == {"letter_type": "missing", "subject": "missing", "text": "missing"}
    assert listed["total"] == 1  # nothing refused was stored


async def test_a_consumer_writing_too_many_letters_in_a_day_is_throttled(
    run_notify: Any, service_token_secret: str
) -> None:
    busy, other = consumer_user(), consumer_user()
    async with run_notify(letters_per_consumer_per_day=3) as app:
        async with busy.client(app, service_token_secret) as client:
            # all at once: the count holds even for requests that race
            written = await asyncio.gather(*(client.post(LETTERS, json=letter(subject=f"№ {n}")) for n in range(3)))
            throttled = await client.post(LETTERS, json=letter())
        # another user of the same consumer shares its allowance
        async with consumer_user(busy.principal.consumer_id).client(app, service_token_secret) as colleague:
            colleague_throttled = await colleague.post(LETTERS, json=letter())
        async with other.client(app, service_token_secret) as client:
            others_letter = await client.post(LETTERS, json=letter())

    assert [response.status_code for response in written] == [201, 201, 201]
    assert throttled.status_code == 429
    detail = throttled.json()["detail"]
    assert detail["code"] == "throttled"
    assert 23 * 3600 < detail["retry_after"] <= 24 * 3600
    assert throttled.headers["Retry-After"] == str(detail["retry_after"])
    assert colleague_throttled.status_code == 429
    assert others_letter.status_code == 201


async def test_a_consumer_sees_only_their_own_consumers_letters(run_notify: Any, service_token_secret: str) -> None:
    first, stranger, staff = consumer_user(), consumer_user(), Person(Role.STAFF)
    colleague = consumer_user(first.principal.consumer_id)
    elsewhere = Person(Role.STAFF, branch_id=OTHER_BRANCH_ID)
    async with run_notify() as app:
        await known(app, first, stranger)
        async with first.client(app, service_token_secret) as client:
            older = (await client.post(LETTERS, json=letter(subject="Перший"))).json()
            newer = (await client.post(LETTERS, json=letter(subject="Другий", addressee_type="contracts"))).json()
        async with colleague.client(app, service_token_secret) as client:
            colleagues_view = (await client.get(LETTERS)).json()
            colleague_reads = await client.get(f"{LETTERS}/{older['id']}")
        async with stranger.client(app, service_token_secret) as client:
            strangers_own = (await client.post(LETTERS, json=letter(subject="Чужий"))).json()
            strangers_view = (await client.get(LETTERS)).json()
            stranger_reads = await client.get(f"{LETTERS}/{older['id']}")
            stranger_asks_for_list = await client.get(LETTERS, params={"consumer_id": str(first.principal.consumer_id)})
        async with staff.client(app, service_token_secret) as client:
            inbox = (await client.get(LETTERS)).json()
            contracts_inbox = (await client.get(LETTERS, params={"addressee_type": "contracts", "state": "new"})).json()
            one_consumer = (await client.get(LETTERS, params={"consumer_id": str(first.principal.consumer_id)})).json()
            bad_filter = await client.get(LETTERS, params={"addressee_type": "director"})
        async with elsewhere.client(app, service_token_secret) as client:
            other_branchs_inbox = (await client.get(LETTERS)).json()
            other_branch_reads = await client.get(f"{LETTERS}/{older['id']}")
            other_branch_replies = await client.post(f"{LETTERS}/{older['id']}/replies", json={"text": "Чужий"})
            other_branch_closes = await client.post(f"{LETTERS}/{older['id']}/handled")
        async with first.client(app, service_token_secret) as client:
            after_attempts = (await client.get(f"{LETTERS}/{older['id']}")).json()

    assert [item["subject"] for item in colleagues_view["items"]] == ["Другий", "Перший"]  # newest first
    assert colleague_reads.status_code == 200
    assert colleague_reads.json()["author"] == {"user_id": str(first.user_id), "login": None}
    assert [item["id"] for item in strangers_view["items"]] == [strangers_own["id"]]
    assert (stranger_reads.status_code, stranger_reads.json()["detail"]["code"]) == (404, "letter_not_found")
    assert (stranger_asks_for_list.status_code, stranger_asks_for_list.json()["detail"]["code"]) == (
        403, "other_consumer")
    assert inbox["total"] == 3
    assert [item["id"] for item in contracts_inbox["items"]] == [newer["id"]]
    assert {item["id"] for item in one_consumer["items"]} == {older["id"], newer["id"]}
    assert fields_of(bad_filter) == {"addressee_type": "unknown"}
    # another branch's staff: as if the letters were not there, and nothing changed by trying
    assert other_branchs_inbox["total"] == 0
    assert [response.status_code for response in (other_branch_reads, other_branch_replies, other_branch_closes)] == [
        404, 404, 404]
    assert (after_attempts["state"], after_attempts["reply_count"]) == ("new", 0)


async def test_a_staff_reply_is_mailed_to_the_author_with_a_link_and_the_letter_can_be_closed(
    run_notify: Any, broker: Any, mailbox: httpx.AsyncClient, service_token_secret: str
) -> None:
    consumer_id = uuid4()
    author, staff = consumer_user(consumer_id), Person(Role.STAFF)
    old_address, address = f"old-{uuid4().hex[:8]}@example.com", f"irina-{uuid4().hex[:8]}@example.com"
    async with run_notify(public_base_url=PUBLIC_BASE_URL) as app:
        await broker.publish(ConsumerAccountCreated(
            consumer_id=consumer_id, account_number="0789", name="Кооператив «Автомобіліст-2»", edrpou="12345678",
            branch_id=BRANCH_ID, branch_name="ПАТ «ДТЕК ПЕМ-Енерговугілля»", agreement_email=old_address,
            billing_day=25, self_calculation=True, e_signature=True,
        ))
        await broker.publish(UserRegistered(
            user_id=author.user_id, consumer_id=consumer_id, login="avtomobilist", email=old_address,
        ))
        # the reply goes where the user's mail goes now
        await broker.publish(EmailChanged(
            user_id=author.user_id, login="avtomobilist", old_email=old_address, new_email=address,
        ))
        async with author.client(app, service_token_secret) as client:
            written = (await client.post(LETTERS, json=letter())).json()
            assert (await client.post(f"{LETTERS}/{written['id']}/replies", json={"text": "Я сам"})).status_code == 403
            assert (await client.post(f"{LETTERS}/{written['id']}/handled")).status_code == 403
        async with staff.client(app, service_token_secret) as client:

            async def known() -> dict[str, Any] | None:
                found = (await client.get(f"{LETTERS}/{written['id']}")).json()
                return found if found["consumer"] and found["author"]["login"] else None

            seen = await eventually(known)
            new_letters = (await client.get(LETTERS, params={"state": "new", "addressee_type": "settlements"})).json()
            too_long = await client.post(f"{LETTERS}/{written['id']}/replies", json={"text": "в" * 4001})
            replied = await client.post(f"{LETTERS}/{written['id']}/replies",
                                        json={"text": "Сума включає борг за квітень.\r\nДеталі в акті."})
            answered = (await client.get(LETTERS, params={"state": "answered"})).json()
            mail = await eventually(lambda: mail_to(mailbox, address))
            handled = await client.post(f"{LETTERS}/{written['id']}/handled")
            handled_again = await client.post(f"{LETTERS}/{written['id']}/handled")
            second = await client.post(f"{LETTERS}/{written['id']}/replies", json={"text": "І ще: акт підписано."})
            unknown = await client.post(f"{LETTERS}/{uuid4()}/replies", json={"text": "Кому?"})
        async with author.client(app, service_token_secret) as client:
            thread = (await client.get(f"{LETTERS}/{written['id']}")).json()
            history = (await client.get(LETTERS)).json()

        async def both_replies_mailed() -> bool:
            return len(await mail_to(mailbox, address)) == 2

        await eventually(both_replies_mailed)

    assert seen["consumer"] == {"account_number": "0789", "name": "Кооператив «Автомобіліст-2»"}
    assert seen["author"] == {"user_id": str(author.user_id), "login": "avtomobilist"}
    assert [item["id"] for item in new_letters["items"]] == [written["id"]]
    assert fields_of(too_long) == {"text": "too_long"}
    assert replied.status_code == 201, replied.text
    assert replied.json()["state"] == "answered" and replied.json()["reply_count"] == 1
    assert [item["id"] for item in answered["items"]] == [written["id"]]

    [to_author] = mail
    link = f"{PUBLIC_BASE_URL}/letters/{written['id']}"
    assert link in to_author["text"] and f'href="{link}"' in to_author["html"]
    assert "Постачальник відповів на лист «Рахунок за травень»" in to_author["text"]
    assert "Поставщик ответил на письмо «Рахунок за травень»" in to_author["text"]
    assert not await mail_to(mailbox, old_address)

    handled_letter = handled.json()
    assert handled_letter["state"] == "handled" and handled_letter["handled_by"] == str(staff.user_id)
    assert handled_again.json()["handled_at"] == handled_letter["handled_at"]
    assert second.json()["state"] == "handled"  # a reply does not reopen a closed letter
    assert (unknown.status_code, unknown.json()["detail"]["code"]) == (404, "letter_not_found")

    assert [reply["text"] for reply in thread["replies"]] == [
        "Сума включає борг за квітень.\nДеталі в акті.", "І ще: акт підписано."]
    assert thread["replies"][0]["author_user_id"] == str(staff.user_id)
    assert thread["state"] == "handled" and thread["reply_count"] == 2
    assert [item["reply_count"] for item in history["items"]] == [2]


def replies_retried() -> float:
    sample = REGISTRY.get_sample_value(
        "cabinet_events_retried_total", {"service": "notify", "message_type": LetterAnswered.message_type()}
    )
    return sample or 0.0


async def test_a_reply_to_an_author_notify_has_not_yet_heard_of_waits_for_their_address(
    run_notify: Any, broker: Any, mailbox: httpx.AsyncClient, service_token_secret: str
) -> None:
    author, staff = consumer_user(), Person(Role.ADMIN)
    address = f"late-{uuid4().hex[:8]}@example.com"
    retried_before = replies_retried()
    async with run_notify(public_base_url=PUBLIC_BASE_URL) as app:
        async with author.client(app, service_token_secret) as client:
            written = (await client.post(LETTERS, json=letter())).json()
        async with staff.client(app, service_token_secret) as client:
            assert (await client.post(f"{LETTERS}/{written['id']}/replies", json={"text": "Так."})).status_code == 201

        async def put_aside_for_a_later_attempt() -> bool:
            return replies_retried() > retried_before

        await eventually(put_aside_for_a_later_attempt)
        assert author.principal.consumer_id is not None
        await broker.publish(UserRegistered(
            user_id=author.user_id, consumer_id=author.principal.consumer_id, login="latecomer", email=address,
        ))
        [mail] = await eventually(lambda: mail_to(mailbox, address))

    assert f"{PUBLIC_BASE_URL}/letters/{written['id']}" in mail["text"]


async def test_messages_to_the_developers_are_kept_for_staff_only(
    run_notify: Any, service_token_secret: str
) -> None:
    consumer, staff = consumer_user(), Person(Role.STAFF)
    feedback = "/api/v1/feedback"
    async with run_notify(feedback_per_user_per_hour=2) as app:
        async with consumer.client(app, service_token_secret) as client:
            sent = await client.post(feedback, json={"text": "Кнопка «Рахунки»\r\nне працює", "page_url": "/money"})
            too_long = await client.post(feedback, json={"text": "ы" * 2001, "page_url": "/money"})
            bad_url = await client.post(feedback, json={"text": "", "page_url": "javascript:alert(1)"})
            exactly = await client.post(feedback, json={"text": "ы" * 2000, "page_url": "https://cabinet.example.ua/"})
            throttled = await client.post(feedback, json={"text": "ще", "page_url": "/"})
            consumer_lists = await client.get(feedback)
            consumer_marks = await client.post(f"{feedback}/{sent.json()['id']}/read")
        async with staff.client(app, service_token_secret) as client:
            from_staff = await client.post(feedback, json={"text": "Повільно", "page_url": "/console/letters"})
            listed = (await client.get(feedback)).json()
            read = await client.post(f"{feedback}/{sent.json()['id']}/read")
            unread = (await client.get(feedback, params={"unread": "true"})).json()
            unknown = await client.post(f"{feedback}/{uuid4()}/read")
        async with Person(Role.STAFF, branch_id=OTHER_BRANCH_ID).client(app, service_token_secret) as client:
            other_branchs = (await client.get(feedback)).json()
            other_branch_reads = await client.post(f"{feedback}/{sent.json()['id']}/read")
        async with Person(Role.ANONYMOUS).client(app, service_token_secret) as client:
            anonymous = await client.post(feedback, json={"text": "привіт", "page_url": "/"})

    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert (message["text"], message["page_url"], message["role"]) == ("Кнопка «Рахунки»\nне працює", "/money",
                                                                        "consumer")
    assert message["consumer_id"] == str(consumer.principal.consumer_id) and message["read_at"] is None
    assert fields_of(too_long) == {"text": "too_long"}
    assert fields_of(bad_url) == {"text": "required", "page_url": "url_invalid"}
    assert exactly.status_code == 201
    assert throttled.status_code == 429 and throttled.json()["detail"]["retry_after"] > 0
    assert consumer_lists.status_code == 403 and consumer_marks.status_code == 403
    assert from_staff.status_code == 201 and from_staff.json()["consumer_id"] is None

    assert listed["total"] == 3
    assert [item["id"] for item in listed["items"]] == [
        from_staff.json()["id"], exactly.json()["id"], message["id"]]  # newest first
    assert read.json()["read_by"] == str(staff.user_id) and read.json()["read_at"]
    assert {item["id"] for item in unread["items"]} == {from_staff.json()["id"], exactly.json()["id"]}
    assert (unknown.status_code, unknown.json()["detail"]["code"]) == (404, "feedback_not_found")
    # a branch's staff read the messages of their branch's people only
    assert other_branchs["total"] == 0 and other_branch_reads.status_code == 404
    assert anonymous.status_code == 403
