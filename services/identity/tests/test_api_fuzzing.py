"""The identity API under Schemathesis (shared.api_fuzzing): no request, fitting its schema or not, as an anonymous
visitor, staff or a consumer's user, gets a server error or an answer its schema does not describe."""

from __future__ import annotations

from typing import Any

from shared.api_fuzzing import fuzz_api


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(api: Any, world: Any) -> None:
    user = await api.register(world)
    report = await fuzz_api(
        api.app, api.tokens,
        {"anonymous": api.anonymous(), "staff": world.staff_a, "consumer": api.principal_of(user)},
        known={"consumer_id": [world.consumer["id"]], "token": [world.link_token]}, max_examples=6,
    )
    report.assert_clean()
