"""The hand-written revision builds exactly the tables the models describe, and can be undone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared import migrations
from signature.models import Base

MIGRATIONS = migrations.migrations_dir_of("signature")


async def test_migrations_match_the_models_and_downgrade_cleanly(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    url = await database_factory("signature_migrations")
    await migrations.upgrade(MIGRATIONS, url)
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:

            def differences(sync_connection: Connection) -> list[object]:
                context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
                return list(compare_metadata(context, Base.metadata))

            assert await connection.run_sync(differences) == []
            # autogenerate does not compare CHECK constraints: they are checked by name here
            checks = set(
                (await connection.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'c'")))
                .scalars()
                .all()
            )
            assert {name for name in checks if name.startswith("ck_")} == {
                "ck_documents_sha256", "ck_documents_document_status", "ck_documents_rejected_by_party",
                "ck_certificates_party", "ck_signings_party", "ck_signatures_party",
            }

        async with engine.begin() as connection:

            def downgrade(sync_connection: Connection) -> None:
                config = migrations.alembic_config(MIGRATIONS, url)
                config.attributes["connection"] = sync_connection
                command.downgrade(config, "0001")

            await connection.run_sync(downgrade)
            tables = set(
                (await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
                .scalars()
                .all()
            )
        assert tables == {"alembic_version", "outbox", "inbox"}
        await migrations.upgrade(MIGRATIONS, url)  # and back up again
    finally:
        await engine.dispose()
