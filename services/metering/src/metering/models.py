"""The metering service's tables (its own database; the bus tables come with the metadata)."""

from sqlalchemy.orm import DeclarativeBase

from shared.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
