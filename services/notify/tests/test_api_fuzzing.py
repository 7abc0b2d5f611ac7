"""The notify API under Schemathesis (shared.api_fuzzing): no request, fitting its schema or not, as staff or as
a consumer, gets a server error or an answer its schema does not describe."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from shared.api_fuzzing import fuzz_api
from shared.auth import Principal, Role, ServiceTokens


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    run_notify: Any, service_token_secret: str
) -> None:
    consumer = Principal(user_id=uuid4(), consumer_id=uuid4(), role=Role.CONSUMER, ip="198.51.100.7")
    staff = Principal(user_id=uuid4(), role=Role.STAFF, ip="198.51.100.7")
    tokens = ServiceTokens(service_token_secret)
    async with run_notify() as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify",
                                     headers={"Authorization": f"Bearer {tokens.issue(consumer)}"}) as client:
            letter = await client.post("/api/v1/correspondence/letters", json={
                "addressee_type": "settlements", "letter_type": "question", "subject": "Рахунок за травень",
                "text": "Прошу пояснити суму в рахунку за травень."})
            feedback = await client.post("/api/v1/feedback",
                                         json={"page_url": "/readings", "text": "Дякуємо за кабінет"})
        assert letter.status_code == feedback.status_code == 201, (letter.text, feedback.text)
        report = await fuzz_api(
            app, tokens, {"staff": staff, "consumer": consumer},
            known={"consumer_id": [str(consumer.consumer_id)], "letter_id": [letter.json()["id"]],
                   "message_id": [feedback.json()["id"]]}, max_examples=6,
        )
    report.assert_clean()
