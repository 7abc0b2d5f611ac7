"""Alembic per service: each service's `migrations/env.py` calls `run_env`, and services call `upgrade` on start.

`python -m shared.migrations <service> [<service> ...]` applies them from the command line (`make migrate`).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from shared.db import create_database_if_missing


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's `env.py` (online mode only: migrations run against a live database)."""
    config = context.config

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section) or {"sqlalchemy.url": config.get_main_option(
                "sqlalchemy.url")},
            prefix="sqlalchemy.", poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    connection = config.attributes.get("connection")
    if connection is not None:
        do_run(connection)
    else:
        asyncio.run(run_async())


async def upgrade(migrations_dir: Path, database_url: str) -> None:
    """Create the database if missing and apply every migration (idempotent; serialised by a lock)."""
    await create_database_if_missing(database_url)
    config = alembic_config(migrations_dir, database_url)
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            # replicas starting together must not race on the same migration
            await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242424242)")

            def run(sync_connection: Connection) -> None:
                config.attributes["connection"] = sync_connection
                command.upgrade(config, "head")

            await connection.run_sync(run)
    finally:
        await engine.dispose()


def migrations_dir_of(package: str) -> Path:
    """`services/<name>/migrations`, beside the package's `src/`."""
    module = importlib.import_module(package)
    assert module.__file__
    return Path(module.__file__).resolve().parents[2] / "migrations"


def main(argv: list[str]) -> None:
    for service in argv:
        settings_module = importlib.import_module(f"{service}.settings")
        settings = settings_module.get_settings()
        asyncio.run(upgrade(migrations_dir_of(service), settings.database_url))
        print(f"{service}: migrated {settings.database_url.rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
