"""The letters table as migrated: it matches the models, and one event queues each letter once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from notify import repository
from notify.domain.letters import Attachment, compose
from notify.models import Base, OutgoingLetter
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import EmailChanged, RegistrationLinkIssued
from shared.db import Database
from shared.migrations import migrations_dir_of, upgrade


async def migrated(database_factory: Callable[[str], Awaitable[str]]) -> Database:
    url = await database_factory("notify")
    await upgrade(migrations_dir_of("notify"), url)
    return Database(url)


async def test_migrations_match_the_models(database_factory: Callable[[str], Awaitable[str]]) -> None:
    database = await migrated(database_factory)

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await database.dispose()


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
