"""Installation readings: what each point's meter showed at every register and zone when it was installed, where
its first volume is counted from. Points that exist already were read from 0: they get 0, so nothing changes for
them.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VALUE = sa.Numeric(16, 4)


def upgrade() -> None:
    op.create_table(
        "installation_readings",
        sa.Column("point_id", sa.Uuid, nullable=False),
        sa.Column("energy", sa.String(20), nullable=False),
        sa.Column("zone", sa.SmallInteger, nullable=False),
        sa.Column("value", VALUE, nullable=False),
        sa.PrimaryKeyConstraint("point_id", "energy", "zone", name="pk_installation_readings"),
        sa.ForeignKeyConstraint(["point_id"], ["metering_points.id"],
                                name="fk_installation_readings_point_id_metering_points"),
        sa.CheckConstraint("energy IN ('active', 'reactive')", name=op.f("ck_installation_readings_energy")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_installation_readings_value")),
    )
    # every register (active always, reactive when the meter has it) and zone of every point
    op.execute(
        "INSERT INTO installation_readings (point_id, energy, zone, value) "
        "SELECT point.id, register.energy, zone, 0 FROM metering_points AS point "
        "JOIN (VALUES ('active'), ('reactive')) AS register (energy) "
        "ON register.energy = 'active' OR point.reactive "
        "CROSS JOIN LATERAL generate_series(1, point.zones) AS zone"
    )


def downgrade() -> None:
    op.drop_table("installation_readings")
