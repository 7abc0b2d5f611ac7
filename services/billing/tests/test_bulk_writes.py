"""Bulk writes (`repositories.bulk.insert_rows`, one statement for a whole batch): numbers, counts and flags travel
as text, and arrive exactly as they were, rounded only as their column rounds."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from billing.models import Invoice, InvoiceLine
from billing.repositories import invoices as invoice_repository
from shared.db import Database


def invoice(**changes: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "consumer_id": uuid.uuid4(), "account_number": "0789", "number": "0789/8/1",
        "kind": "regular", "corrects_invoice_id": None, "correction_no": None, "period": "2013-08",
        "formed_on": date(2013, 8, 26), "pay_by": date(2013, 9, 5), "amount_excl_vat": Decimal("123456789012.34"),
        "vat": Decimal("24691357802.46"), "total": Decimal("148148146814.80"), "paid": Decimal("0.00"),
        "document_id": None, **changes,
    }


def line(invoice_id: uuid.UUID, position: int, **changes: Any) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id, "position": position, "point_id": uuid.uuid4(), "meter_serial": "0123,456",
        "tariff_class": "class2_general", "energy": "active", "zones": 3, "zone": position,
        "previous": Decimal("999999999999.9999"), "current": Decimal("0.0001"), "rollover": True,
        "ct_ratio": Decimal("7.5"), "vt_ratio": Decimal("100"), "volume": Decimal("1234567890123456789.123456789012"),
        "tariff_price": Decimal("1.444000"), "coefficient": Decimal("0.4"), "price": Decimal("0.5776000000"),
        "amount": Decimal("-0.00"), **changes,
    }


async def test_numbers_counts_and_flags_arrive_exactly(app: FastAPI) -> None:
    database: Database = app.state.database
    regular = invoice()
    # its own statement: a single row whose count is NULL
    correcting = invoice(kind="correcting", number="0789/8/1/П2", corrects_invoice_id=regular["id"], correction_no=2,
                         amount_excl_vat=Decimal("-0.125"), vat=Decimal("-0.02"), total=Decimal("-0.145"),
                         paid=Decimal("-0.005"))
    lines = [line(regular["id"], 1), line(regular["id"], 2, rollover=False, amount=Decimal("12.345"))]
    async with database.transaction() as session:
        assert await invoice_repository.insert_invoices(session, [regular]) == {regular["id"]}
        assert await invoice_repository.insert_invoices(session, [correcting]) == {correcting["id"]}
        await invoice_repository.insert_lines(session, lines)

    async with database.sessionmaker() as session:
        stored = {row.id: row for row in (await session.execute(sa.select(Invoice))).scalars()}
        stored_lines = (await session.execute(sa.select(InvoiceLine).order_by(InvoiceLine.position))).scalars().all()
    assert stored[regular["id"]].correction_no is None
    assert (stored[regular["id"]].amount_excl_vat, stored[regular["id"]].total) == (
        Decimal("123456789012.34"), Decimal("148148146814.80"))
    # money columns keep kopecks: PostgreSQL rounds half away from zero, as it did the binary values
    corrected = stored[correcting["id"]]
    assert (corrected.correction_no, corrected.amount_excl_vat, corrected.vat, corrected.total, corrected.paid) == (
        2, Decimal("-0.13"), Decimal("-0.02"), Decimal("-0.15"), Decimal("-0.01"))
    assert [(found.position, found.zones, found.zone, found.rollover, found.meter_serial) for found in stored_lines] \
        == [(1, 3, 1, True, "0123,456"), (2, 3, 2, False, "0123,456")]
    first = stored_lines[0]
    # more digits than a float (or Decimal's default context) holds
    assert (first.previous, first.current, first.volume, first.price, first.ct_ratio, first.vt_ratio) == (
        Decimal("999999999999.9999"), Decimal("0.0001"), Decimal("1234567890123456789.123456789012"),
        Decimal("0.5776000000"), Decimal("7.5"), Decimal("100"))
    assert [found.amount for found in stored_lines] == [Decimal("0.00"), Decimal("12.35")]
