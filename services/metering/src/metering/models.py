"""The metering service's tables (its own database; the bus tables come with the metadata).

Register values are exact decimals (`NUMERIC(16, 4)`: twelve digits before the point, four after); a volume across
a roll-over may reach 10**12, hence one digit more.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from metering.domain.points import Location
from metering.domain.readings import Energy
from shared.db import service_metadata

VALUE = sa.Numeric(16, 4)
VOLUME = sa.Numeric(17, 4)
RATIO = sa.Numeric(12, 4)
PERIOD = sa.String(7)


class Base(DeclarativeBase):
    metadata = service_metadata()


def _enum(enum: type[StrEnum], name: str) -> sa.Enum:
    # text with a CHECK constraint rather than a PostgreSQL enum type: adding a value needs no type migration
    return sa.Enum(
        enum, name=name, native_enum=False, create_constraint=True, length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class ActState(StrEnum):
    PREPARING = "preparing"
    AWAITING_SIGNATURE = "awaiting_signature"
    AWAITING_PAPER = "awaiting_paper"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


#: an act still waiting for its PDF or for the consumer's signature / paper copy
PENDING_STATES = (ActState.PREPARING, ActState.AWAITING_SIGNATURE, ActState.AWAITING_PAPER)


class ActSource(StrEnum):
    CONSUMER = "consumer"
    STAFF = "staff"
    RES = "res"


class AcceptedBy(StrEnum):
    SIGNATURE = "signature"
    PAPER = "paper"
    STAFF = "staff"
    RES = "res"


class Consumer(Base):
    """Metering's copy of a consumer account (identity's events): what the window and the act need."""

    __tablename__ = "consumers"
    __table_args__ = (sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name="billing_day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    edrpou: Mapped[str] = mapped_column(sa.String(8))
    #: the supplier branch serving the consumer: the other party of the act, and whose staff see the consumer
    #: (None: not known yet, for a consumer kept before branches were: only administrators see it)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    branch_name: Mapped[str] = mapped_column(sa.Text)
    billing_day: Mapped[int] = mapped_column(sa.SmallInteger)
    e_signature: Mapped[bool]
    #: when identity published the state kept here (an older event arriving late changes nothing)
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class MeteringPoint(Base):
    """A meter of a consumer, read at each of its registers and zones."""

    __tablename__ = "metering_points"
    __table_args__ = (
        # an active meter belongs to one point; a retired point keeps its serial with its history
        sa.Index("uq_metering_points_active_serial", "meter_serial", unique=True,
                 postgresql_where=sa.text("active")),
        sa.CheckConstraint("zones BETWEEN 1 AND 3", name="zones"),
        sa.CheckConstraint("digits BETWEEN 1 AND 12", name="digits"),
        sa.CheckConstraint("ct_ratio > 0 AND vt_ratio > 0", name="ratios"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consumers.id"), index=True)
    meter_serial: Mapped[str] = mapped_column(sa.String(32))
    zones: Mapped[int] = mapped_column(sa.SmallInteger)
    digits: Mapped[int] = mapped_column(sa.SmallInteger)
    ct_ratio: Mapped[Decimal] = mapped_column(RATIO)
    vt_ratio: Mapped[Decimal] = mapped_column(RATIO)
    location: Mapped[Location] = mapped_column(_enum(Location, "location"))
    consumer_reads: Mapped[bool]
    #: the meter also counts reactive energy (the active register every meter has)
    reactive: Mapped[bool]
    tariff_class: Mapped[str] = mapped_column(sa.String(40))
    active: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    #: one per register and zone, loaded with the point: validating and showing its readings need them
    installation_readings: Mapped[list[InstallationReading]] = relationship(
        lazy="selectin", cascade="all, delete-orphan",
        order_by="(InstallationReading.energy, InstallationReading.zone)",
    )

    @property
    def registers(self) -> tuple[str, ...]:
        return (Energy.ACTIVE, Energy.REACTIVE) if self.reactive else (Energy.ACTIVE,)


class InstallationReading(Base):
    """What a point's meter showed at a register and zone when it was installed: where the volume of its first
    accepted reading is counted from."""

    __tablename__ = "installation_readings"
    __table_args__ = (sa.CheckConstraint("value >= 0", name="value"),)

    point_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("metering_points.id"), primary_key=True)
    energy: Mapped[Energy] = mapped_column(_enum(Energy, "energy"), primary_key=True)
    zone: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    value: Mapped[Decimal] = mapped_column(VALUE)


class Act(Base):
    """An act of readings transfer: the readings of some points for a period, as submitted together."""

    __tablename__ = "acts"
    __table_args__ = (
        # one act at a time waits for the consumer: submitting again supersedes it
        sa.Index("uq_acts_pending", "consumer_id", "period", unique=True,
                 postgresql_where=sa.text("state IN ('preparing', 'awaiting_signature', 'awaiting_paper')")),
        sa.Index("ix_acts_consumer_period", "consumer_id", "period"),
        sa.CheckConstraint("(state = 'accepted') = (accepted_at IS NOT NULL AND accepted_by IS NOT NULL)",
                           name="acceptance"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: the order acts were submitted in (two may share a time)
    ordinal: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), unique=True)
    consumer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consumers.id"))
    period: Mapped[str] = mapped_column(PERIOD)
    state: Mapped[ActState] = mapped_column(_enum(ActState, "act_state"))
    source: Mapped[ActSource] = mapped_column(_enum(ActSource, "act_source"))
    #: the act's PDF in the documents service, once rendered
    document_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    accepted_by: Mapped[AcceptedBy | None] = mapped_column(_enum(AcceptedBy, "accepted_by"))
    correction_reason: Mapped[str | None] = mapped_column(sa.Text)


class ActLine(Base):
    """One reading of an act: a point's register (the energy it counts) and zone, with the previous accepted value
    it follows."""

    __tablename__ = "act_lines"

    act_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("acts.id"), primary_key=True)
    point_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("metering_points.id"), primary_key=True, index=True)
    energy: Mapped[Energy] = mapped_column(_enum(Energy, "energy"), primary_key=True)
    zone: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    previous: Mapped[Decimal] = mapped_column(VALUE)
    #: the period `previous` was accepted for; None for a new meter (read from its installation reading)
    previous_period: Mapped[str | None] = mapped_column(PERIOD)
    current: Mapped[Decimal] = mapped_column(VALUE)
    rollover: Mapped[bool]
    volume: Mapped[Decimal] = mapped_column(VOLUME)


class AcceptedReading(Base):
    """The reading in force for a point's register and zone in a period: the latest accepted one (corrections
    replace it). What `previous` and the usual volume are taken from."""

    __tablename__ = "accepted_readings"

    point_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("metering_points.id"), primary_key=True)
    energy: Mapped[Energy] = mapped_column(_enum(Energy, "energy"), primary_key=True)
    zone: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    period: Mapped[str] = mapped_column(PERIOD, primary_key=True)
    act_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("acts.id"), index=True)
    previous: Mapped[Decimal] = mapped_column(VALUE)
    previous_period: Mapped[str | None] = mapped_column(PERIOD)
    current: Mapped[Decimal] = mapped_column(VALUE)
    rollover: Mapped[bool]
    volume: Mapped[Decimal] = mapped_column(VOLUME)


class InvoicedPeriod(Base):
    """A consumer's period with an invoice issued (billing's event): its readings window is closed."""

    __tablename__ = "invoiced_periods"

    consumer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(PERIOD, primary_key=True)
    #: the first invoice of the period
    invoice_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class ResSubmission(Base):
    """A RES system's submission taken in: the same `submission_id` again changes nothing."""

    __tablename__ = "res_submissions"

    submission_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    act_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("acts.id"))
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
