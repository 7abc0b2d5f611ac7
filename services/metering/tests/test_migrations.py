"""The hand-written revisions build exactly the tables the models describe, and can be undone; points that existed
before installation readings were kept are installed at 0, as they were read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from alembic import command
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from metering.models import Base
from shared import migrations
from shared.testing import assert_migrations_match_models

MIGRATIONS = migrations.migrations_dir_of("metering")


async def test_migrations_match_the_models_and_downgrade_cleanly(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    await assert_migrations_match_models(
        await database_factory("metering_migrations"), "metering", Base.metadata,
        {"ck_consumers_billing_day", "ck_metering_points_zones", "ck_metering_points_digits",
         "ck_metering_points_ratios", "ck_metering_points_location", "ck_acts_act_state", "ck_acts_act_source",
         "ck_acts_accepted_by", "ck_acts_acceptance", "ck_act_lines_energy", "ck_accepted_readings_energy",
         "ck_installation_readings_energy", "ck_installation_readings_value"},
    )


async def test_points_there_before_are_installed_at_0_at_every_register_and_zone(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    url = await database_factory("metering_installation")
    engine = create_async_engine(url, poolclass=pool.NullPool)

    def upgrade(sync_connection: Connection, revision: str) -> None:
        config = migrations.alembic_config(MIGRATIONS, url)
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade, "0002")
            await connection.execute(text(
                "INSERT INTO consumers VALUES ('00000000-0000-0000-0000-00000000000c', '0789', 'Кооператив', "
                "'12345678', 'ПЕМ', 25, true, now())"))
            await connection.execute(text(
                "INSERT INTO metering_points (id, consumer_id, meter_serial, zones, digits, ct_ratio, vt_ratio, "
                "location, consumer_reads, reactive, tariff_class, active) VALUES "
                "('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000c', 'A', 3, 6, 1, 1, "
                "'consumer_site', true, true, 'c', true), "
                "('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000c', 'B', 1, 6, 1, 1, "
                "'consumer_site', true, false, 'c', false)"))
            await connection.run_sync(upgrade, "head")
            rows = (await connection.execute(text(
                "SELECT right(point_id::text, 1), energy, zone, value FROM installation_readings "
                "ORDER BY point_id, energy, zone"))).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("1", "active", 1, 0), ("1", "active", 2, 0), ("1", "active", 3, 0),
        ("1", "reactive", 1, 0), ("1", "reactive", 2, 0), ("1", "reactive", 3, 0),
        ("2", "active", 1, 0),
    ]
