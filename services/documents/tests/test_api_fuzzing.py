"""The documents API under Schemathesis (shared.api_fuzzing): no request, fitting its schema or not, as staff, as a
consumer or as another service, gets a server error or an answer its schema does not describe."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi import FastAPI

from shared.api_fuzzing import fuzz_api
from shared.auth import Principal, Role, ServiceTokens


async def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    app: FastAPI, client_for: Any, service_token_secret: str
) -> None:
    consumer_id = uuid.uuid4()
    service = Principal(role=Role.SERVICE, issuer="billing")
    stored = await client_for(service).post("/api/v1/documents", json={
        "consumer_id": str(consumer_id), "type": "invoice", "period": "2024-05", "title": "Рахунок за травень 2024",
        "file_name": "Рахунок.pdf", "content_type": "application/pdf",
        "content_base64": base64.b64encode(b"%PDF-1.4\n%fuzz\n").decode(),
    })
    assert stored.status_code == 201, stored.text
    report = await fuzz_api(
        app, ServiceTokens(service_token_secret),
        {"staff": Principal(user_id=uuid.uuid4(), role=Role.STAFF),
         "consumer": Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER),
         "service": service},
        known={"consumer_id": [str(consumer_id)], "document_id": [stored.json()["id"]]}, max_examples=6,
    )
    report.assert_clean()
