"""The metering API under Schemathesis (shared.api_fuzzing): no request, fitting its schema or not, as staff or as
a consumer, gets a server error or an answer its schema does not describe."""

from __future__ import annotations

from typing import Any

from shared.api_fuzzing import fuzz_api


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(api: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id)
    report = await fuzz_api(
        api.app, api.tokens, {"staff": api.staff(), "consumer": api.consumer_user(consumer.consumer_id)},
        known={"consumer_id": [str(consumer.consumer_id)], "point_id": [point["id"]]}, max_examples=6,
    )
    report.assert_clean()
