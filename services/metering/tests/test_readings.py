"""Readings through the API: the window, every validation code, confirmation of unusual volumes, acts and their
acceptance, corrections, imports; refused requests store nothing; each consumer reaches only their own data.

The app's clock stands at noon of 25 November 2026 in Kyiv unless a test moves it; consumers' billing day is 25.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY

from documents.domain.render import TEMPLATES
from metering.acts import Acts
from metering.window import keep_invoiced_period
from shared.auth import Principal, Role
from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import DocumentStored, Party
from shared.contracts.identity import ConsumerAccountCreated


def line(point: dict[str, Any], value: str, energy: str = "active", zone: int = 1, **extra: Any) -> dict[str, Any]:
    return {"point_id": point["id"], "energy": energy, "zone": zone, "value": value, **extra}


def body(period: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"period": period, "readings": list(lines), **extra}


async def invoice(api: Any, consumer_id: uuid.UUID, period: str) -> None:
    async with api.database.transaction() as session:
        await keep_invoiced_period(session, InvoiceIssued(
            invoice_id=uuid.uuid4(), consumer_id=consumer_id, account_number="0789", number="0789/11/1",
            kind="regular", corrects_invoice_id=None, period=period, formed_on="2026-11-26", pay_by="2026-12-06",
            amount_excl_vat="100.00", vat="20.00", total="120.00",
        ))


async def document_stored(api: Any, act: dict[str, Any]) -> uuid.UUID:
    """The documents service's answer to the act's render request."""
    document_id = uuid.uuid4()
    async with api.database.transaction() as session:
        await Acts(session).document_stored(DocumentStored(
            document_id=document_id, consumer_id=uuid.UUID(act["consumer_id"]), document_type="readings_act",
            period=act["period"], title="Акт", file_name="act.pdf", content_type="application/pdf", size=100,
            sha256="0" * 64, replaces=None, source_event=f"metering.act/{act['id']}",
        ))
    return document_id


@pytest.fixture
async def consumer(api: Any) -> ConsumerAccountCreated:
    event: ConsumerAccountCreated = await api.add_consumer()
    return event


@pytest.fixture
async def point(api: Any, consumer: ConsumerAccountCreated) -> dict[str, Any]:
    """Two zones, active only, five digits, read by the consumer."""
    found: dict[str, Any] = await api.add_point(consumer.consumer_id, zones=2, digits=5)
    return found


def me(api: Any, consumer: ConsumerAccountCreated) -> Any:
    return api.consumer_user(consumer.consumer_id)


async def test_the_window_by_the_billing_day_and_the_invoices(api: Any, consumer: ConsumerAccountCreated,
                                                              clock: Any) -> None:
    path = f"/consumers/{consumer.consumer_id}/window"
    assert await api.ok("GET", path, me(api, consumer)) == {
        "period": "2026-11", "state": "open", "reason": None, "opens_on": None, "billing_day": 25}
    clock.set(2026, 11, 24)
    assert (await api.ok("GET", path, me(api, consumer)))["period"] == "2026-10"  # late readings still taken
    await invoice(api, consumer.consumer_id, "2026-10")
    assert await api.ok("GET", path, me(api, consumer)) == {
        "period": "2026-10", "state": "closed", "reason": "before_billing_day", "opens_on": "2026-11-25",
        "billing_day": 25}
    clock.set(2026, 11, 30)
    await invoice(api, consumer.consumer_id, "2026-11")
    assert await api.ok("GET", path, me(api, consumer)) == {
        "period": "2026-11", "state": "closed", "reason": "invoice_issued", "opens_on": "2026-12-25",
        "billing_day": 25}


async def test_the_consumer_enters_readings_and_an_act_is_prepared(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    answer = await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer),
                          json=body("2026-11", line(point, "120.5"), line(point, "0042", zone=2)))
    act = answer["act"]
    assert answer["warnings"] == []
    assert (act["state"], act["source"], act["period"], act["document_id"], act["accepted_by"]) == (
        "preparing", "consumer", "2026-11", None, None)
    [render] = await api.outbox("documents.render_requested.v1")
    assert (render["document_type"], render["source_event"], render["period"]) == (
        "readings_act", f"metering.act/{act['id']}", "2026-11")
    assert render["data"]["consumer"] == Party(name=consumer.name, edrpou="12345678").model_dump(mode="json")
    assert render["data"]["lines"] == [
        {"meter_serial": point["meter_serial"], "energy": "active", "zone": zone, "zones": 2, "previous": "0",
         "current": current, "rollover": False, "volume": current, "ct_ratio": "40", "vt_ratio": "1"}
        for zone, current in ((1, "120.5"), (2, "42"))
    ]
    # what the documents service draws the act with takes it as it is
    assert TEMPLATES.get("readings_act").render(render["data"]).startswith(b"%PDF-")
    # not accepted until signed: nothing for billing yet
    assert await api.outbox("metering.readings_accepted.v1") == []

    form = await api.ok("GET", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer))
    assert (form["period"], form["window"]["state"]) == ("2026-11", "open")
    assert [(shown["id"], shown["meter_serials"]) for shown in form["acts"]] == [(act["id"], [point["meter_serial"]])]
    [shown] = form["points"]
    assert shown["lines"] == [
        {"point_id": point["id"], "meter_serial": point["meter_serial"], "energy": "active", "zone": 1,
         "previous": "0", "previous_period": None, "current": "120.5", "rollover": False, "volume": "120.5",
         "usual_volume": None, "state": "pending", "act_id": act["id"]},
        {"point_id": point["id"], "meter_serial": point["meter_serial"], "energy": "active", "zone": 2,
         "previous": "0", "previous_period": None, "current": "42", "rollover": False, "volume": "42",
         "usual_volume": None, "state": "pending", "act_id": act["id"]},
    ]


async def test_each_bad_field_has_its_code_and_nothing_is_stored(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    other = await api.add_consumer()
    strangers = await api.add_point(other.consumer_id)
    staff_read = await api.add_point(consumer.consumer_id, zones=1, consumer_reads=False)
    # accepted earlier: the meter showed 500 in October
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(),
                 json=body("2026-10", line(point, "500"), line(point, "500", zone=2)))
    path = f"/consumers/{consumer.consumer_id}/readings"
    cases = [
        (line(point, "12a"), "readings[0].value", "not_a_number"),
        (line(point, "-1"), "readings[0].value", "negative"),
        (line(point, "100000"), "readings[0].value", "too_many_digits"),
        (line(point, "600.12345"), "readings[0].value", "too_many_digits"),
        (line(point, "499"), "readings[0].value", "below_previous"),
        (line(point, "501", rollover=True), "readings[0].value", "rollover_not_possible"),
        (line(point, "600", zone=3), "readings[0].zone", "zone_invalid"),
        (line(point, "600", energy="reactive"), "readings[0].energy", "energy_invalid"),
        (line(strangers, "600"), "readings[0].point_id", "point_not_found"),
        (line(staff_read, "600"), "readings[0].point_id", "not_consumer_read"),
        (line(point, "600") | {"point_id": str(uuid.uuid4())}, "readings[0].point_id", "point_not_found"),
    ]
    for sent, key, code in cases:
        detail = await api.refused(422, "POST", path, me(api, consumer),
                                   json=body("2026-11", sent, line(point, "600", zone=2)))
        assert detail["code"] == "readings_invalid"
        assert detail["fields"][key] == code, (sent, detail)

    for readings, code in (
        ([line(point, "600"), line(point, "601"), line(point, "600", zone=2)], "line_repeated"),
        ([line(point, "600")], "lines_missing"),
        ([], "empty"),
    ):
        detail = await api.refused(422, "POST", path, me(api, consumer), json=body("2026-11", *readings))
        assert detail["fields"] == {"readings": code}
    for period in ("2026-13", "11.2026", "2026-12"):
        detail = await api.refused(422, "POST", path, api.staff(), json=body(period, line(point, "600")))
        assert detail["fields"] == {"period": "period_invalid"}
    # numbers are strings: a JSON number is refused as the wrong type
    detail = await api.refused(422, "POST", path, me(api, consumer),
                               json=body("2026-11", line(point, 600), line(point, "600", zone=2)))
    assert detail["fields"] == {"readings.0.value": "string_type"}


async def test_a_retired_point_takes_no_readings(api: Any, consumer: ConsumerAccountCreated,
                                                 point: dict[str, Any]) -> None:
    await api.ok("DELETE", f"/points/{point['id']}", api.staff())
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(),
                               json=body("2026-11", line(point, "1"), line(point, "1", zone=2)))
    assert detail["fields"] == {"readings[0].point_id": "point_retired", "readings[1].point_id": "point_retired"}


async def test_outside_the_window_only_staff_enter_readings(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any], clock: Any
) -> None:
    path = f"/consumers/{consumer.consumer_id}/readings"
    readings = (line(point, "10"), line(point, "10", zone=2))
    # the window is November's: October is past for the consumer
    detail = await api.refused(409, "POST", path, me(api, consumer), json=body("2026-10", *readings))
    assert (detail["code"], detail["window"]["period"]) == ("window_closed", "2026-11")
    clock.set(2026, 11, 24)
    await invoice(api, consumer.consumer_id, "2026-10")
    detail = await api.refused(409, "POST", path, me(api, consumer), json=body("2026-10", *readings))
    assert detail["window"] == {"period": "2026-10", "state": "closed", "reason": "before_billing_day",
                                "opens_on": "2026-11-25", "billing_day": 25}
    # staff are not bound by the window; what they enter is accepted at once
    answer = await api.ok("POST", path, api.staff(), json=body("2026-10", *readings))
    assert (answer["act"]["state"], answer["act"]["source"], answer["act"]["accepted_by"]) == (
        "accepted", "staff", "staff")
    [accepted] = await api.outbox("metering.readings_accepted.v1")
    assert accepted["act_id"] == answer["act"]["id"] and accepted["source"] == "staff"
    assert accepted["readings"] == [
        {"point_id": point["id"], "energy": "active", "zone": zone, "previous": "0", "current": "10",
         "rollover": False} for zone in (1, 2)]


async def test_a_new_meter_is_read_from_its_installation_readings(
    api: Any, consumer: ConsumerAccountCreated
) -> None:
    # installed showing 045231 by day and 99990 by night (five digits)
    point = await api.add_point(consumer.consumer_id, zones=2, digits=5, installation_readings=[
        {"energy": "active", "zone": 1, "value": "045231"}, {"energy": "active", "zone": 2, "value": "99990"}])
    path = f"/consumers/{consumer.consumer_id}/readings"
    form = await api.ok("GET", path, api.staff(), params={"period": "2026-10"})
    assert [(shown["previous"], shown["previous_period"], shown["volume"]) for shown in form["points"][0]["lines"]
            ] == [("45231", None, None), ("99990", None, None)]
    detail = await api.refused(422, "POST", path, api.staff(), json=body(
        "2026-10", line(point, "45000"), line(point, "40", zone=2)))
    assert detail["fields"] == {"readings[0].value": "below_previous", "readings[1].value": "below_previous"}
    # by day 69 kWh, not 45300; by night the drums went past 99999: 100000 − 99990 + 40
    await api.ok("POST", path, api.staff(), json=body(
        "2026-10", line(point, "45300"), line(point, "40", zone=2, rollover=True)))
    [accepted] = await api.outbox("metering.readings_accepted.v1")
    assert [(sent["previous"], sent["current"], sent["rollover"]) for sent in accepted["readings"]] == [
        ("45231", "45300", False), ("99990", "40", True)]
    form = await api.ok("GET", path, api.staff(), params={"period": "2026-10"})
    assert [(shown["previous"], shown["previous_period"], shown["volume"]) for shown in form["points"][0]["lines"]
            ] == [("45231", None, "69"), ("99990", None, "50")]
    # the next period counts from the reading accepted, as before
    await api.ok("POST", path, me(api, consumer), json=body(
        "2026-11", line(point, "45400"), line(point, "90", zone=2)))
    render = (await api.outbox("documents.render_requested.v1"))[-1]
    assert [(sent["previous"], sent["volume"]) for sent in render["data"]["lines"]] == [("45300", "100"),
                                                                                        ("40", "50")]
    form = await api.ok("GET", path, me(api, consumer))
    assert [(shown["previous"], shown["previous_period"]) for shown in form["points"][0]["lines"]] == [
        ("45300", "2026-10"), ("40", "2026-10")]


async def test_roll_over_and_unusual_volumes_through_the_api(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    path = f"/consumers/{consumer.consumer_id}/readings"
    # a new meter installed at 0: August's volumes are 99700 and 100
    for period, values in (("2026-08", ("99700", "100")), ("2026-09", ("99800", "200")),
                           ("2026-10", ("99900", "300"))):
        await api.ok("POST", path, api.staff(), json=body(period, line(point, values[0]),
                                                          line(point, values[1], zone=2)))
    # zone 1 went past 99999: 100000 − 99900 + 50 = 150; zone 2 jumped from 300 to 800: 500 > 3 × 100
    readings = (line(point, "50", rollover=True), line(point, "800", zone=2))
    detail = await api.refused(409, "POST", path, me(api, consumer), json=body("2026-11", *readings))
    assert detail["code"] == "confirmation_needed"
    assert detail["warnings"] == [{"point_id": point["id"], "energy": "active", "zone": 2, "code": "volume_high",
                                   "volume": "500", "usual_volume": "100"}]
    answer = await api.ok("POST", path, me(api, consumer), json=body("2026-11", *readings, confirm=True))
    assert [warning["zone"] for warning in answer["warnings"]] == [2]
    form = await api.ok("GET", path, me(api, consumer))
    assert [(shown["previous"], shown["previous_period"], shown["current"], shown["rollover"], shown["volume"],
             shown["usual_volume"]) for shown in form["points"][0]["lines"]] == [
        ("99900", "2026-10", "50", True, "150", "33300"), ("300", "2026-10", "800", False, "500", "100")]


async def test_submitting_again_supersedes_the_unsigned_act(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    path = f"/consumers/{consumer.consumer_id}/readings"
    first = await api.ok("POST", path, me(api, consumer), json=body("2026-11", line(point, "1"),
                                                                      line(point, "1", zone=2)))
    second = await api.ok("POST", path, me(api, consumer), json=body("2026-11", line(point, "2"),
                                                                       line(point, "2", zone=2)))
    acts = await api.ok("GET", f"/consumers/{consumer.consumer_id}/acts", me(api, consumer),
                        params={"period": "2026-11"})
    assert [(act["id"], act["state"]) for act in acts] == [(second["act"]["id"], "preparing"),
                                                          (first["act"]["id"], "superseded")]
    form = await api.ok("GET", path, me(api, consumer))
    assert [shown["id"] for shown in form["acts"]] == [second["act"]["id"]]
    assert [shown["current"] for shown in form["points"][0]["lines"]] == ["2", "2"]


async def test_staff_readings_of_a_point_supersede_the_consumers_unsigned_act_only_where_they_meet(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    path = f"/consumers/{consumer.consumer_id}/readings"
    substation = await api.add_point(consumer.consumer_id, zones=1, consumer_reads=False)
    mine = await api.ok("POST", path, me(api, consumer), json=body("2026-11", line(point, "1"),
                                                                     line(point, "1", zone=2)))
    await api.ok("POST", path, api.staff(), json=body("2026-11", line(substation, "5")))
    assert (await api.ok("GET", f"/acts/{mine['act']['id']}", api.staff()))["state"] == "preparing"
    await api.ok("POST", path, api.staff(), json=body("2026-11", line(point, "2"), line(point, "2", zone=2)))
    assert (await api.ok("GET", f"/acts/{mine['act']['id']}", api.staff()))["state"] == "superseded"


async def test_the_substation_meter_read_by_staff_leaves_the_consumers_own_meter_open_to_them(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    """The demo's month: staff enter the substation meter (accepted, nobody signs it); the consumer still enters
    their own meter in the window; staff may enter a meter nobody has read yet without calling it a correction."""
    path = f"/consumers/{consumer.consumer_id}/readings"
    substation = await api.add_point(consumer.consumer_id, zones=1, consumer_reads=False)
    by_staff = await api.ok("POST", path, api.staff(), json=body("2026-11", line(substation, "5")))
    [render] = [event for event in await api.outbox("documents.render_requested.v1")
                if event["source_event"] == f"metering.act/{by_staff['act']['id']}"]
    assert (render["signers"], render["issued_on"]) == ([], "2026-11-25")

    form = await api.ok("GET", path, me(api, consumer))
    states = {shown["point"]["meter_serial"]: {line["state"] for line in shown["lines"]} for shown in form["points"]}
    assert states == {point["meter_serial"]: {"missing"}, substation["meter_serial"]: {"accepted"}}
    assert [(act["state"], act["meter_serials"]) for act in form["acts"]] == [
        ("accepted", [substation["meter_serial"]])]

    mine = await api.ok("POST", path, me(api, consumer), json=body("2026-11", line(point, "1"),
                                                                     line(point, "1", zone=2)))
    [render] = [event for event in await api.outbox("documents.render_requested.v1")
                if event["source_event"] == f"metering.act/{mine['act']['id']}"]
    assert render["signers"] == ["consumer", "supplier"]
    form = await api.ok("GET", path, me(api, consumer))
    assert [(act["id"], act["meter_serials"]) for act in form["acts"]] == [
        (mine["act"]["id"], [point["meter_serial"]]), (by_staff["act"]["id"], [substation["meter_serial"]])]
    # a correction is of accepted readings only; the consumer's pending meter is entered by staff as new readings
    refused = await api.refused(409, "POST", f"{path}/corrections", api.staff(),
                                json=body("2026-11", line(point, "3"), line(point, "3", zone=2), reason="typo"))
    assert refused["code"] == "readings_not_accepted"
    await api.ok("POST", path, api.staff(), json=body("2026-11", line(point, "3"), line(point, "3", zone=2)))
    form = await api.ok("GET", path, me(api, consumer))
    assert {line["state"] for shown in form["points"] for line in shown["lines"]} == {"accepted"}


def accepted_acts_counted() -> float:
    value = REGISTRY.get_sample_value(
        "cabinet_business_events_total", {"service": "metering", "kind": "reading_accepted"})
    return value or 0.0


async def test_a_paper_act_is_accepted_when_staff_receive_it(api: Any) -> None:
    consumer = await api.add_consumer(api.account(e_signature=False))
    point = await api.add_point(consumer.consumer_id, zones=1)
    submitted = await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer),
                             json=body("2026-11", line(point, "7")))
    act_path = f"/acts/{submitted['act']['id']}/paper-received"
    # not before its PDF exists
    assert (await api.refused(409, "POST", act_path, api.staff()))["code"] == "act_not_awaiting_paper"
    document_id = await document_stored(api, submitted["act"])
    act = await api.ok("GET", f"/acts/{submitted['act']['id']}", me(api, consumer))
    assert (act["state"], act["document_id"]) == ("awaiting_paper", str(document_id))
    assert (await api.refused(403, "POST", act_path, me(api, consumer)))["code"] == "role_forbidden"
    counted = accepted_acts_counted()
    accepted = await api.ok("POST", act_path, api.staff())
    assert (accepted["state"], accepted["accepted_by"]) == ("accepted", "paper")
    assert accepted_acts_counted() == counted + 1  # the dashboards' «readings accepted»
    [event] = await api.outbox("metering.readings_accepted.v1")
    assert (event["act_id"], event["source"], event["readings"][0]["current"]) == (act["id"], "consumer", "7")
    assert (await api.refused(409, "POST", act_path, api.staff()))["code"] == "act_not_awaiting_paper"
    # accepted: the consumer may not send the period's readings again
    detail = await api.refused(409, "POST", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer),
                               json=body("2026-11", line(point, "8")))
    assert detail["code"] == "readings_accepted"


async def test_staff_correct_accepted_readings_with_a_reason(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    path = f"/consumers/{consumer.consumer_id}/readings/corrections"
    readings = (line(point, "30"), line(point, "40", zone=2))
    detail = await api.refused(409, "POST", path, api.staff(), json=body("2026-11", *readings, reason="typo"))
    assert detail["code"] == "readings_not_accepted"
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(),
                 json=body("2026-11", line(point, "300"), line(point, "40", zone=2)))
    assert (await api.refused(422, "POST", path, api.staff(), json=body("2026-11", *readings, reason=" ")))[
        "fields"] == {"reason": "required"}
    assert (await api.refused(403, "POST", path, me(api, consumer), json=body("2026-11", *readings,
                                                                               reason="typo")))["code"] == (
        "role_forbidden")
    corrected = await api.ok("POST", path, api.staff(), json=body("2026-11", *readings, reason="  a typo: 300  "))
    assert (corrected["act"]["state"], corrected["act"]["correction_reason"]) == ("accepted", "a typo: 300")
    events = await api.outbox("metering.readings_accepted.v1")
    assert [(event["correction_reason"], event["readings"][0]["current"]) for event in events] == [
        (None, "300"), ("a typo: 300", "30")]
    form = await api.ok("GET", f"/consumers/{consumer.consumer_id}/readings", api.staff())
    assert [shown["current"] for shown in form["points"][0]["lines"]] == ["30", "40"]
    # the correction's readings are in force: the act it replaced no longer counts
    assert [shown["id"] for shown in form["acts"]] == [corrected["act"]["id"]]


async def test_consumers_reach_only_their_own_readings_and_acts(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    other = await api.add_consumer()
    their_point = await api.add_point(other.consumer_id, zones=1)
    theirs = await api.ok("POST", f"/consumers/{other.consumer_id}/readings", api.consumer_user(other.consumer_id),
                          json=body("2026-11", line(their_point, "5")))
    mine = me(api, consumer)
    for method, path, kwargs in (
        ("GET", f"/consumers/{other.consumer_id}/readings", {}),
        ("GET", f"/consumers/{other.consumer_id}/window", {}),
        ("GET", f"/consumers/{other.consumer_id}/acts", {}),
        ("POST", f"/consumers/{other.consumer_id}/readings", {"json": body("2026-11", line(their_point, "6"))}),
        ("POST", f"/consumers/{other.consumer_id}/readings/import",
         {"data": {"period": "2026-11"}, "files": {"file": ("r.csv", b"meter_serial;energy;zone;value\n")}}),
    ):
        assert (await api.refused(403, method, path, mine, **kwargs))["code"] == "other_consumer"
    assert (await api.refused(404, "GET", f"/acts/{theirs['act']['id']}", mine))["code"] == "act_not_found"
    assert (await api.refused(404, "GET", f"/acts/{uuid.uuid4()}", api.staff()))["code"] == "act_not_found"
    # their point in my submission is a point I do not have
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/readings", mine,
                               json=body("2026-11", line(their_point, "6")))
    assert detail["fields"] == {"readings[0].point_id": "point_not_found"}
    # services read, but enter nothing
    service = Principal(role=Role.SERVICE, issuer="billing")
    assert (await api.ok("GET", f"/acts/{theirs['act']['id']}", service))["id"] == theirs["act"]["id"]
    assert (await api.refused(403, "POST", f"/consumers/{consumer.consumer_id}/readings", service,
                              json=body("2026-11", line(point, "1"))))["code"] == "role_forbidden"


# imports

def csv_file(*rows: str, header: str = "meter_serial;energy;zone;value;rollover") -> bytes:
    return "\n".join((header, *rows)).encode()


async def test_a_csv_file_is_taken_as_typed_readings(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    serial = point["meter_serial"]
    content = csv_file(f"{serial};A;1;12,5;", f"{serial};active;2;3;0")
    answer = await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                          data={"period": "2026-11"}, files={"file": ("readings.csv", content)})
    assert answer["act"]["state"] == "preparing"
    form = await api.ok("GET", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer))
    assert [shown["current"] for shown in form["points"][0]["lines"]] == ["12.5", "3"]


async def test_an_xml_file_is_taken_as_typed_readings(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    xml = f"""<readings period="2026-11"><meter serial="{point['meter_serial']}">
<value energy="active" zone="1">10</value><value energy="active" zone="2" rollover="false">20</value>
</meter></readings>"""
    answer = await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                          data={"period": "2026-11"}, files={"file": ("readings.xml", xml.encode())})
    [render] = await api.outbox("documents.render_requested.v1")
    assert render["source_event"] == f"metering.act/{answer['act']['id']}"
    assert [row["current"] for row in render["data"]["lines"]] == ["10", "20"]


async def test_a_file_with_any_bad_line_is_refused_whole_with_every_bad_line(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    other = await api.add_consumer()
    strangers = await api.add_point(other.consumer_id, zones=1)
    serial = point["meter_serial"]
    content = csv_file(
        f"{serial};active;1;12.5;",       # 2: fine
        f"{serial};active;2;abc;",        # 3: not a number
        f"{strangers['meter_serial']};active;1;5;",  # 4: another consumer's meter
        "NO-SUCH;active;1;5;",            # 5: no such meter
        f"{serial};active;1;13;",         # 6: zone 1 again
        f"{serial};active;x;1;",          # 7: zone not a number
    )
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                               data={"period": "2026-11"}, files={"file": ("r.csv", content)})
    assert detail["code"] == "import_invalid"
    assert detail["lines"] == [
        {"line": 3, "field": "value", "code": "not_a_number"},
        {"line": 4, "field": "meter_serial", "code": "point_not_found"},
        {"line": 5, "field": "meter_serial", "code": "point_not_found"},
        {"line": 6, "field": "readings", "code": "line_repeated"},
        {"line": 7, "field": "zone", "code": "zone_invalid"},
    ]
    # bad lines only where the file alone tells: still refused whole
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                               data={"period": "2026-11"},
                               files={"file": ("r.csv", csv_file(f"{serial};active;1;1;", f"{serial};active;2;1;x"))})
    assert detail["lines"] == [{"line": 3, "field": "rollover", "code": "rollover_invalid"}]


@pytest.mark.parametrize(("name", "content", "fields", "lines"), [
    ("r.pdf", b"%PDF-", {"file": "file_type_invalid"}, []),
    ("r.csv", b"serial;value\n", {"file": "header_invalid"}, [{"line": 1, "field": "file", "code": "header_invalid"}]),
    ("r.xml", b"<readings><meter>", {"file": "xml_invalid"}, [{"line": 1, "field": "file", "code": "xml_invalid"}]),
    ("r.csv", b"x" * (1024 * 1024 + 1), {"file": "file_too_large"}, []),
])
async def test_files_that_cannot_be_read(api: Any, consumer: ConsumerAccountCreated, name: str, content: bytes,
                                         fields: dict[str, str], lines: list[dict[str, Any]]) -> None:
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                               data={"period": "2026-11"}, files={"file": (name, content)})
    assert (detail["code"], detail["fields"], detail["lines"]) == ("import_invalid", fields, lines)


async def test_an_import_answers_the_window_and_the_volumes_as_typing_does(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    serial = point["meter_serial"]
    content = csv_file(f"{serial};active;1;1;", f"{serial};active;2;1;")
    detail = await api.refused(409, "POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                               data={"period": "2026-10"}, files={"file": ("r.csv", content)})
    assert detail["code"] == "window_closed"
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(),
                 json=body("2026-10", line(point, "1"), line(point, "1", zone=2)))
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(),
                 json=body("2026-09", line(point, "0"), line(point, "0", zone=2)))
    content = csv_file(f"{serial};active;1;100;", f"{serial};active;2;2;")
    detail = await api.refused(409, "POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                               data={"period": "2026-11"}, files={"file": ("r.csv", content)})
    assert detail["code"] == "confirmation_needed"
    answer = await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings/import", me(api, consumer),
                          data={"period": "2026-11", "confirm": "true"}, files={"file": ("r.csv", content)})
    assert answer["warnings"][0]["volume"] == "99"


async def test_the_form_of_a_closed_period_shows_its_accepted_readings(
    api: Any, consumer: ConsumerAccountCreated, point: dict[str, Any]
) -> None:
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(),
                 json=body("2026-10", line(point, "5"), line(point, "6", zone=2)))
    form = await api.ok("GET", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer),
                        params={"period": "2026-10"})
    assert (form["period"], form["window"]["period"]) == ("2026-10", "2026-11")
    assert [(shown["state"], shown["source"]) for shown in form["acts"]] == [("accepted", "staff")]
    assert [(shown["current"], shown["state"]) for shown in form["points"][0]["lines"]] == [
        ("5", "accepted"), ("6", "accepted")]
    november = await api.ok("GET", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer))
    assert november["acts"] == []
    assert {shown["state"] for shown in november["points"][0]["lines"]} == {"missing"}
    assert [(shown["previous"], shown["previous_period"], shown["current"]) for shown in
            november["points"][0]["lines"]] == [("5", "2026-10", None), ("6", "2026-10", None)]
    assert (await api.refused(422, "GET", f"/consumers/{consumer.consumer_id}/readings", me(api, consumer),
                              params={"period": "2026-1"}))["fields"] == {"period": "period_invalid"}


async def test_a_consumer_metering_has_not_heard_of_yet(api: Any) -> None:
    unknown = uuid.uuid4()
    detail = await api.refused(404, "GET", f"/consumers/{unknown}/window", api.consumer_user(unknown))
    assert detail["code"] == "consumer_not_found"
