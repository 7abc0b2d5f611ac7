"""The tables as migrated: they match the models and carry the seeded reference lists; one event queues each
letter once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from notify import repository
from notify.domain.letters import Attachment, compose
from notify.models import Base, OutgoingLetter
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import EmailChanged, RegistrationLinkIssued
from shared.db import Database
from shared.migrations import migrations_dir_of, upgrade
from shared.testing import assert_migrations_match_models


async def migrated(database_factory: Callable[[str], Awaitable[str]]) -> Database:
    url = await database_factory("notify")
    await upgrade(migrations_dir_of("notify"), url)
    return Database(url)


async def test_migrations_match_the_models_and_downgrade_cleanly(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    await assert_migrations_match_models(
        await database_factory("notify_migrations"), "notify", Base.metadata,
        {"ck_outgoing_letters_status_known", "ck_outgoing_letters_attachment_complete",
         "ck_supplier_letters_state_known"},
    )


async def test_the_migration_seeds_addressee_and_letter_types_in_three_languages(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    database = await migrated(database_factory)
    try:
        async with database.transaction() as session:
            addressees = await repository.addressee_types(session)
            letter_types = await repository.letter_types(session)
    finally:
        await database.dispose()
    assert [row.code for row in addressees] == ["settlements", "contracts", "metering", "cabinet_support"]
    assert all(row.name_uk and row.name_ru and row.name_en and row.description_uk and row.description_ru
               and row.description_en for row in addressees)
    assert addressees[0].name_uk == "Розрахунковий відділ"
    assert "рахунки" in addressees[0].description_uk
    assert [row.code for row in letter_types] == ["question", "complaint", "documents_request", "application", "other"]
    assert [row.name_ru for row in letter_types][:2] == ["Вопрос", "Жалоба"]


async def test_queuing_the_same_event_again_adds_no_letters(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    database = await migrated(database_factory)
    changed = compose(EmailChanged(user_id=uuid4(), login="avtomobilist", old_email="old@example.com",
                                   new_email="new@example.com"))
    registration = compose(RegistrationLinkIssued(
        link_id=uuid4(), consumer_id=uuid4(), account_number="0789", consumer_name="Кооператив",
        email="old@example.com", link_url="https://cabinet.example.ua/r/1",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    ))
    try:
        async with database.transaction() as session:
            assert await repository.add_letters(session, "message-1", changed) == 2
        async with database.transaction() as session:
            assert await repository.add_letters(session, "message-2", registration) == 1
        async with database.transaction() as session:
            assert await repository.add_letters(session, "message-1", changed) == 0
        async with database.transaction() as session:
            rows = (await session.execute(
                select(OutgoingLetter.source_message_id, func.count()).group_by(OutgoingLetter.source_message_id)
            )).all()
            letters = await repository.list_letters(session, recipient="OLD@example.com", status=None, limit=10)
        assert dict(rows) == {"message-1": 2, "message-2": 1}
        assert [letter.kind for letter in letters] == ["registration_link", "email_changed_old_address"]
        assert {letter.status for letter in letters} == {"pending"}
    finally:
        await database.dispose()


async def test_a_letter_keeps_which_document_to_attach_whole_or_not_at_all(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    database = await migrated(database_factory)
    document_id = uuid4()
    package = compose(EdsOnboardingPackageReady(
        document_id=document_id, consumer_id=uuid4(), email="buh@example.com", company_name="Кооператив",
        edrpou="12345678", signer_name="Ґалаґан Юлія", file_name="documents.zip",
        content_path=f"/api/v1/documents/{document_id}/content",
        download_url=f"https://cabinet.example.ua/documents/{document_id}/download",
    ))
    try:
        async with database.transaction() as session:
            assert await repository.add_letters(session, "message-1", package) == 1
        async with database.transaction() as session:
            [letter] = await repository.list_letters(session, recipient="buh@example.com", status=None, limit=10)
            assert letter.attachment == Attachment(document_id, "documents.zip", "application/zip")
        with pytest.raises(IntegrityError, match="ck_outgoing_letters_attachment_complete"):
            async with database.transaction() as session:
                await session.execute(update(OutgoingLetter).values(attachment_file_name=None))
    finally:
        await database.dispose()


async def test_what_notify_knows_of_a_user_follows_the_newest_event_whatever_order_they_arrive_in(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    database = await migrated(database_factory)
    user_id, consumer_id = uuid4(), uuid4()
    registered_at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    try:
        async with database.transaction() as session:
            # the e-mail change arrives first (its registration was retried), then the older registration
            await repository.remember_user(session, user_id=user_id, login="avtomobilist", email="new@example.com",
                                           as_of=registered_at + timedelta(days=1))
            await repository.remember_user(session, user_id=user_id, login="avtomobilist", email="old@example.com",
                                           consumer_id=consumer_id, as_of=registered_at)
            known = await repository.known_user(session, user_id)
            assert known is not None
            await session.refresh(known)
            assert (known.email, known.consumer_id, known.as_of) == (
                "new@example.com", consumer_id, registered_at + timedelta(days=1))
            await repository.remember_user(session, user_id=user_id, login="renamed", email="new@example.com",
                                           as_of=registered_at + timedelta(days=2))
            await session.refresh(known)
            assert (known.login, known.consumer_id) == ("renamed", consumer_id)
    finally:
        await database.dispose()
