"""The billing API under Schemathesis (shared.api_fuzzing): no request, fitting its schema or not, as staff or as
a consumer, gets a server error or an answer its schema does not describe."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from shared.api_fuzzing import fuzz_api


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(api: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer, "SN-FUZZ-1")
    await api.add_tariff("class2_general", "active", "2.5", date(2013, 1, 1))
    invoice = await api.bill(consumer, point, "2013-07", 0, 100)
    # its tax invoice's PDF drawn already (documents, which draws it on the first request, is not running here)
    async with api.database.transaction() as session:
        await session.execute(sa.text("UPDATE tax_invoices SET document_id = gen_random_uuid()"))
    report = await fuzz_api(
        api.app, api.tokens, {"staff": api.staff(), "consumer": api.consumer_user(consumer)},
        known={"consumer_id": [str(consumer)], "invoice_id": [invoice["id"]]}, max_examples=6,
    )
    report.assert_clean()
