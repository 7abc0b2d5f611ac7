"""Every service refuses text PostgreSQL cannot store, and integers it cannot hold, as the caller's error (422
naming the field), before an endpoint sees them; its schema documents the refusals as they are sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from shared.auth import Anyone, Principal, Role, ServiceTokens
from shared.inputs import MAX_BIGINT, Offset
from shared.service import ServiceParts, create_service_app
from shared.settings import ServiceSettings


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


class Reading(BaseModel):
    value: str
    zone: int = 1


class Readings(BaseModel):
    period: str
    readings: list[Reading]
    labels: dict[str, str] = {}


router = APIRouter(prefix="/api/v1")


@router.get("/things/{name}")
async def thing(_: Anyone, name: str, query: str = "", offset: Offset = 0) -> dict[str, Any]:
    return {"name": name, "query": query, "offset": offset}


@router.post("/readings")
async def readings(_: Anyone, body: Readings) -> dict[str, Any]:
    return body.model_dump()


@router.post("/letters")
async def letter(_: Anyone, subject: Annotated[str, Form()]) -> dict[str, str]:
    return {"subject": subject}


@router.post("/imports")
async def upload(_: Anyone, file: Annotated[UploadFile, File()], period: Annotated[str, Form()]) -> dict[str, Any]:
    return {"period": period, "size": len(await file.read())}


@pytest.fixture
async def probe() -> AsyncIterator[httpx.AsyncClient]:
    secret = "probe-secret-0123456789abcdef-0123456789"
    settings = ProbeSettings(service_token_secret=secret, log_format="console")
    app = create_service_app(ServiceParts(settings=settings, routers=[router], migrations_dir=Path(".")))
    # the routes serve anyone, as every route names whom it serves; a visitor's token, as the gateway mints one
    token = ServiceTokens(secret, issuer="probe").issue(Principal(role=Role.ANONYMOUS))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def refused_fields(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail["code"] == "invalid"
    fields: dict[str, str] = detail["fields"]
    return fields


async def test_a_nul_in_the_path_or_the_query_is_refused_naming_the_parameter(probe: httpx.AsyncClient) -> None:
    assert refused_fields(await probe.get("/api/v1/things/a%00b")) == {"name": "invalid_characters"}
    assert refused_fields(await probe.get("/api/v1/things/a", params={"query": "x\x00"})) == {
        "query": "invalid_characters"}
    # a parameter nobody declared is looked at too, and its unstorable name is not echoed back
    assert refused_fields(await probe.get("/api/v1/things/a?%00=1")) == {"query": "invalid_characters"}
    assert (await probe.get("/api/v1/things/Автомобіліст", params={"query": "№ 0789 «ДТЕК»"})).status_code == 200


async def test_a_nul_or_a_lone_surrogate_anywhere_in_json_is_refused_at_its_path(probe: httpx.AsyncClient) -> None:
    def sent(body: dict[str, Any]) -> Any:
        # json.dumps escapes both as \u0000 and \ud800, as any client's JSON would
        return probe.post("/api/v1/readings", content=json.dumps(body), headers={"content-type": "application/json"})

    good = {"period": "2026-11", "readings": [{"value": "12"}, {"value": "7"}]}
    assert (await sent(good)).status_code == 200
    nul_deep = {**good, "readings": [{"value": "12"}, {"value": "7\x00"}]}
    assert refused_fields(await sent(nul_deep)) == {"readings.1.value": "invalid_characters"}
    surrogate = {**good, "period": "2026-\ud800"}
    assert refused_fields(await sent(surrogate)) == {"period": "invalid_characters"}
    in_a_key = {**good, "labels": {"a\x00": "b"}}
    assert refused_fields(await sent(in_a_key)) == {"labels": "invalid_characters"}


async def test_form_fields_are_looked_at_but_an_uploaded_files_bytes_are_not(probe: httpx.AsyncClient) -> None:
    assert refused_fields(await probe.post("/api/v1/letters", data={"subject": "Тема\x00"})) == {
        "subject": "invalid_characters"}
    binary = {"file": ("readings.xml", b"\x00\x01binary\x00", "application/octet-stream")}
    accepted = await probe.post("/api/v1/imports", data={"period": "2026-11"}, files=binary)
    assert accepted.json() == {"period": "2026-11", "size": len(b"\x00\x01binary\x00")}
    assert refused_fields(await probe.post("/api/v1/imports", data={"period": "2026\x00"}, files=binary)) == {
        "period": "invalid_characters"}


async def test_an_integer_past_bigint_anywhere_in_json_is_refused_at_its_path(probe: httpx.AsyncClient) -> None:
    def readings(zone: int) -> dict[str, Any]:
        return {"period": "2026-11", "readings": [{"value": "12", "zone": zone}]}

    assert (await probe.post("/api/v1/readings", json=readings(MAX_BIGINT))).status_code == 200
    assert refused_fields(await probe.post("/api/v1/readings", json=readings(MAX_BIGINT + 1))) == {
        "readings.0.zone": "out_of_range"}
    assert refused_fields(await probe.post("/api/v1/readings", json=readings(-(2**63) - 1))) == {
        "readings.0.zone": "out_of_range"}


async def test_an_offset_beyond_what_postgresql_holds_is_refused(probe: httpx.AsyncClient) -> None:
    assert (await probe.get("/api/v1/things/a", params={"offset": MAX_BIGINT})).status_code == 200
    assert refused_fields(await probe.get("/api/v1/things/a", params={"offset": MAX_BIGINT + 1})) == {
        "offset": "less_than_equal"}
    assert refused_fields(await probe.get("/api/v1/things/a", params={"offset": -1})) == {
        "offset": "greater_than_equal"}


async def test_the_routers_own_refusals_come_in_the_apis_error_body(probe: httpx.AsyncClient) -> None:
    missing = await probe.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "http_404"
    wrong_method = await probe.delete("/api/v1/readings")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["detail"]["code"] == "http_405"


def test_the_schema_documents_the_refusals_as_they_are_sent() -> None:
    settings = ProbeSettings(service_token_secret="probe-secret-0123456789abcdef-0123456789", log_format="console")
    schema = create_service_app(ServiceParts(settings=settings, routers=[router], migrations_dir=Path("."))).openapi()
    responses = schema["paths"]["/api/v1/readings"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422", "429"} <= set(responses)
    body = responses["422"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    detail = schema["components"]["schemas"][body]["properties"]["detail"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][detail]["required"]) == {"code", "message"}
