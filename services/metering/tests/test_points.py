"""Metering points: staff manage them, every change is published, each consumer sees only their own."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.auth import Principal, Role


async def test_staff_add_a_point_and_it_is_published(api: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, meter_serial=" 0123456 ", zones="3", ct_ratio="40.50",
                                registers=["reactive", "active"], location="res_substation", consumer_reads=False)
    assert point | {"id": None, "created_at": None} == {
        "id": None, "consumer_id": str(consumer.consumer_id), "meter_serial": "0123456", "zones": 3, "digits": 5,
        "ct_ratio": "40.5", "vt_ratio": "1", "location": "res_substation", "consumer_reads": False,
        "registers": ["active", "reactive"], "tariff_class": "class2_general", "active": True, "created_at": None,
        "installation_readings": api.installation(3, ["active", "reactive"]),
    }
    [event] = await api.outbox("metering.metering_point_changed.v1")
    assert event | {"occurred_at": None} == {
        "occurred_at": None, "point_id": point["id"], "consumer_id": str(consumer.consumer_id),
        "meter_serial": "0123456", "zones": 3, "digits": 5, "ct_ratio": "40.5", "vt_ratio": "1",
        "location": "res_substation", "consumer_reads": False, "registers": ["active", "reactive"],
        "tariff_class": "class2_general", "active": True,
    }


@pytest.mark.parametrize(("changes", "fields"), [
    ({"meter_serial": "  "}, {"meter_serial": "required"}),
    ({"meter_serial": "x" * 33}, {"meter_serial": "too_long"}),
    ({"zones": 4, "digits": 13}, {"zones": "zones_invalid", "digits": "digits_invalid"}),
    ({"zones": "two", "digits": "0"}, {"zones": "zones_invalid", "digits": "digits_invalid"}),
    ({"ct_ratio": "0", "vt_ratio": "-1"}, {"ct_ratio": "ratio_invalid", "vt_ratio": "ratio_invalid"}),
    ({"ct_ratio": "1.12345", "vt_ratio": "abc"}, {"ct_ratio": "ratio_invalid", "vt_ratio": "ratio_invalid"}),
    ({"registers": ["reactive"]}, {"registers": "registers_invalid"}),
    ({"registers": ["active", "active"]}, {"registers": "registers_invalid"}),
    ({"registers": ["active", "apparent"]}, {"registers": "registers_invalid"}),
    ({"tariff_class": "Class 2"}, {"tariff_class": "tariff_class_invalid"}),
    ({"location": "roof"}, {"location": "location_invalid"}),
])
async def test_bad_fields_are_refused_with_their_codes(api: Any, changes: dict[str, Any], fields: dict[str, str]
                                                       ) -> None:
    consumer = await api.add_consumer()
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/points", api.staff(),
                               json=api.point_body(**changes))
    assert (detail["code"], detail["fields"]) == ("invalid", fields)


async def test_an_active_meter_belongs_to_one_point_of_any_consumer(api: Any) -> None:
    first, second = await api.add_consumer(), await api.add_consumer()
    point = await api.add_point(first.consumer_id, meter_serial="SN-1")
    detail = await api.refused(409, "POST", f"/consumers/{second.consumer_id}/points", api.staff(),
                               json=api.point_body(meter_serial="SN-1"))
    assert detail["code"] == "meter_serial_taken"
    # once retired, the meter may be installed elsewhere; the retired point keeps its serial and history
    await api.ok("DELETE", f"/points/{point['id']}", api.staff())
    await api.add_point(second.consumer_id, meter_serial="SN-1")
    other = await api.add_point(second.consumer_id, meter_serial="SN-2")
    detail = await api.refused(409, "PATCH", f"/points/{other['id']}", api.staff(), json={"meter_serial": "SN-1"})
    assert detail["code"] == "meter_serial_taken"


async def test_staff_change_and_retire_points_and_each_change_is_published(api: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, meter_serial="SN-A")
    changed = await api.ok("PATCH", f"/points/{point['id']}", api.staff(), json={
        "ct_ratio": "60", "registers": ["active", "reactive"], "consumer_reads": False,
        "installation_readings": api.installation(2, ["active", "reactive"]),
    })
    assert (changed["ct_ratio"], changed["registers"], changed["consumer_reads"]) == (
        "60", ["active", "reactive"], False)
    # the same values again change nothing and publish nothing
    await api.ok("PATCH", f"/points/{point['id']}", api.staff(), json={"ct_ratio": "60.00"})
    retired = await api.ok("DELETE", f"/points/{point['id']}", api.staff())
    assert retired["active"] is False
    await api.ok("DELETE", f"/points/{point['id']}", api.staff())
    events = await api.outbox("metering.metering_point_changed.v1")
    assert [(event["ct_ratio"], event["active"]) for event in events] == [("40", True), ("60", True), ("60", False)]

    listed = await api.ok("GET", f"/consumers/{consumer.consumer_id}/points", api.staff())
    assert listed == []
    listed = await api.ok("GET", f"/consumers/{consumer.consumer_id}/points", api.staff(),
                          params={"include_retired": "true"})
    assert [found["id"] for found in listed] == [point["id"]]


async def test_the_meter_itself_cannot_change_once_read(api: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, zones=1, registers=["active"])
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(), json={
        "period": "2026-11", "readings": [{"point_id": point["id"], "energy": "active", "zone": 1, "value": "5"}],
    })
    # the volume accepted was counted from the installation reading: it stays, as zones, digits and registers do
    for change in ({"zones": 2, "installation_readings": api.installation(2, ["active"])}, {"digits": 6},
                   {"registers": ["active", "reactive"], "installation_readings": api.installation(1, [
                       "active", "reactive"])},
                   {"installation_readings": api.installation(1, ["active"], value="3")}):
        detail = await api.refused(409, "PATCH", f"/points/{point['id']}", api.staff(), json=change)
        assert detail["code"] == "point_has_readings"
    # what is not the meter may still change
    assert (await api.ok("PATCH", f"/points/{point['id']}", api.staff(), json={"tariff_class": "class1"}))[
        "tariff_class"] == "class1"


async def test_points_are_sorted_by_serial_and_each_consumer_sees_only_their_own(api: Any) -> None:
    mine, theirs = await api.add_consumer(), await api.add_consumer()
    for serial in ("B-2", "A-1"):
        await api.add_point(mine.consumer_id, meter_serial=serial)
    stranger = await api.add_point(theirs.consumer_id)
    me = api.consumer_user(mine.consumer_id)
    assert [point["meter_serial"] for point in await api.ok("GET", f"/consumers/{mine.consumer_id}/points", me)] == [
        "A-1", "B-2"]
    other = await api.refused(403, "GET", f"/consumers/{theirs.consumer_id}/points", me)
    assert other["code"] == "other_consumer"
    # a consumer manages no points, not even their own
    for method, path, body in (
        ("POST", f"/consumers/{mine.consumer_id}/points", api.point_body()),
        ("PATCH", f"/points/{stranger['id']}", {"ct_ratio": "1"}),
        ("DELETE", f"/points/{stranger['id']}", None),
    ):
        assert (await api.refused(403, method, path, me, json=body))["code"] == "role_forbidden"
    service = Principal(role=Role.SERVICE, issuer="billing")
    assert len(await api.ok("GET", f"/consumers/{mine.consumer_id}/points", service)) == 2
    assert (await api.refused(403, "POST", f"/consumers/{mine.consumer_id}/points", service,
                              json=api.point_body()))["code"] == "role_forbidden"


async def test_unknown_points_and_consumers(api: Any) -> None:
    assert (await api.refused(404, "PATCH", f"/points/{uuid.uuid4()}", api.staff(), json={}))["code"] == (
        "point_not_found")
    assert (await api.refused(404, "GET", f"/consumers/{uuid.uuid4()}/points", api.staff()))["code"] == (
        "consumer_not_found")
    response = await api.client.get(f"/api/v1/consumers/{uuid.uuid4()}/points")
    assert response.status_code == 401


async def test_a_point_is_added_with_its_meters_installation_readings(api: Any) -> None:
    consumer = await api.add_consumer()
    installation = [
        {"energy": "active", "zone": 1, "value": "045231"}, {"energy": "reactive", "zone": 2, "value": "7,5"},
        {"energy": "active", "zone": 2, "value": "1200.25"}, {"energy": "reactive", "zone": 1, "value": "0"},
    ]
    point = await api.add_point(consumer.consumer_id, digits=6, registers=["active", "reactive"],
                                installation_readings=installation)
    # as the meter shows them, in the order of registers and zones
    expected = [{"energy": "active", "zone": 1, "value": "45231"}, {"energy": "active", "zone": 2, "value": "1200.25"},
                {"energy": "reactive", "zone": 1, "value": "0"}, {"energy": "reactive", "zone": 2, "value": "7.5"}]
    assert point["installation_readings"] == expected
    [listed] = await api.ok("GET", f"/consumers/{consumer.consumer_id}/points", api.consumer_user(
        consumer.consumer_id))
    assert listed["installation_readings"] == expected
    stored = await api.scalar("SELECT string_agg(energy || zone || '=' || value, ' ' ORDER BY energy, zone) "
                              "FROM installation_readings WHERE point_id = :point", point=uuid.UUID(point["id"]))
    assert stored == "active1=45231.0000 active2=1200.2500 reactive1=0.0000 reactive2=7.5000"


def _line(energy: str, zone: int, value: str) -> dict[str, Any]:
    return {"energy": energy, "zone": zone, "value": value}


@pytest.mark.parametrize(("changes", "fields"), [
    ({"installation_readings": None}, {"installation_readings": "required"}),
    ({"installation_readings": [_line("active", 1, "045231"), _line("active", 2, " ")]},
     {"installation_readings[1].value": "required"}),
    ({"installation_readings": [_line("active", 1, "12a"), _line("active", 2, "-3")]},
     {"installation_readings[0].value": "not_a_number", "installation_readings[1].value": "negative"}),
    # five digits: 100000 is not on the meter, nor are five digits after the point
    ({"installation_readings": [_line("active", 1, "100000"), _line("active", 2, "1.12345")]},
     {"installation_readings[0].value": "too_many_digits", "installation_readings[1].value": "too_many_digits"}),
    ({"installation_readings": [_line("active", 1, "1"), _line("active", 2, "2"), _line("reactive", 1, "3"),
                                _line("active", 3, "4")]},
     {"installation_readings[2].energy": "energy_invalid", "installation_readings[3].zone": "zone_invalid"}),
    ({"installation_readings": [_line("active", 1, "1"), _line("active", 1, "2")]},
     {"installation_readings": "line_repeated"}),
    ({"installation_readings": [_line("active", 1, "1")]}, {"installation_readings": "lines_missing"}),
    # values are strings, as readings' are
    ({"installation_readings": [{"energy": "active", "zone": 1, "value": 0}, _line("active", 2, "0")]},
     {"installation_readings.0.value": "string_type"}),
    # a wrong meter's installation readings are checked as far as they can be
    ({"zones": 4, "digits": 0, "installation_readings": [_line("active", 4, "x"), _line("apparent", 1, "1")]},
     {"zones": "zones_invalid", "digits": "digits_invalid", "installation_readings[0].zone": "zone_invalid",
      "installation_readings[0].value": "not_a_number", "installation_readings[1].energy": "energy_invalid"}),
])
async def test_installation_readings_are_checked_as_readings_are(api: Any, changes: dict[str, Any],
                                                                  fields: dict[str, str]) -> None:
    """A two-zone meter of five digits counting active energy."""
    consumer = await api.add_consumer()
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/points", api.staff(),
                               json=api.point_body(**changes))
    assert (detail["code"], detail["fields"]) == ("invalid", fields)


async def test_installation_readings_are_needed_even_when_the_body_leaves_them_out(api: Any) -> None:
    consumer = await api.add_consumer()
    body = api.point_body()
    del body["installation_readings"]
    detail = await api.refused(422, "POST", f"/consumers/{consumer.consumer_id}/points", api.staff(), json=body)
    assert detail["fields"] == {"installation_readings": "required"}


async def test_installation_readings_change_with_the_meter_until_it_is_read(api: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, zones=2, digits=6,
                                installation_readings=[_line("active", 1, "500"), _line("active", 2, "123456")])
    path = f"/points/{point['id']}"
    # a typo corrected alone
    changed = await api.ok("PATCH", path, api.staff(), json={
        "installation_readings": [_line("active", 1, "501"), _line("active", 2, "123456")]})
    assert changed["installation_readings"] == [_line("active", 1, "501"), _line("active", 2, "123456")]
    # left out, they are kept, and must still fit the changed meter
    detail = await api.refused(422, "PATCH", path, api.staff(), json={"digits": 5})
    assert detail["fields"] == {"installation_readings[1].value": "too_many_digits"}
    detail = await api.refused(422, "PATCH", path, api.staff(), json={"zones": 3})
    assert detail["fields"] == {"installation_readings": "lines_missing"}
    changed = await api.ok("PATCH", path, api.staff(), json={
        "zones": 1, "registers": ["active", "reactive"],
        "installation_readings": [_line("reactive", 1, "40"), _line("active", 1, "502")]})
    assert changed["installation_readings"] == [_line("active", 1, "502"), _line("reactive", 1, "40")]
    assert await api.scalar("SELECT count(*) FROM installation_readings WHERE point_id = :point",
                            point=uuid.UUID(point["id"])) == 2
    # the same values again change nothing
    events = len(await api.outbox("metering.metering_point_changed.v1"))
    await api.ok("PATCH", path, api.staff(), json={
        "installation_readings": [_line("active", 1, "502.0"), _line("reactive", 1, "040")]})
    assert len(await api.outbox("metering.metering_point_changed.v1")) == events
