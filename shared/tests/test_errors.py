"""An error nobody expected is answered with the API's error body and logged inside the request's trace."""

from __future__ import annotations

import io
import json
import logging

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from shared.errors import install_error_handlers
from shared.telemetry import JsonFormatter, setup_tracing


async def test_an_unexpected_error_is_logged_with_its_trace_id_and_answered_500() -> None:
    setup_tracing("test", None)
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/v1/explode")
    async def explode() -> None:
        raise RuntimeError("the disk is on fire")

    FastAPIInstrumentor.instrument_app(app)
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("shared.errors").addHandler(handler)
    try:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post("/api/v1/explode")
    finally:
        logging.getLogger("shared.errors").removeHandler(handler)
    assert answer.status_code == 500
    assert answer.json()["detail"]["code"] == "internal_error"
    assert "fire" not in answer.text  # the details are for the log, not for the caller
    entry = json.loads(written.getvalue().splitlines()[0])
    assert entry["level"] == "error" and "/api/v1/explode" in entry["message"]
    assert len(entry["trace_id"]) == 32 and "the disk is on fire" in entry["exception"]
