"""Tariffs and zone coefficients: staff keep their history; a consumer sees the classes of their points."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest


def tariff(**changes: Any) -> dict[str, Any]:
    return {"tariff_class": "class2_general", "energy": "active", "price": "1.444000", "effective_from": "2013-08-01",
            "title": "Непобутові споживачі, 2 клас напруги"} | changes


async def test_staff_keep_a_history_and_a_consumer_sees_their_classes(api: Any) -> None:
    staff = api.staff()
    for body in (tariff(price="1.2", effective_from="2013-01-01"), tariff(), tariff(energy="reactive", price="0.15"),
                 tariff(tariff_class="class1_general", price="0.98", title="1 клас напруги")):
        created = await api.call("POST", "/tariffs", staff, json=body)
        assert created.status_code == 201, created.text
    assert created.json()["price"] == "0.980000"
    consumer_id = await api.add_consumer()
    await api.add_point(consumer_id, "A-1", zones=2)
    mine = await api.ok("GET", "/tariffs", api.consumer_user(consumer_id))
    [only] = mine["classes"]
    assert only["tariff_class"] == "class2_general" and only["title"] == "Непобутові споживачі, 2 клас напруги"
    assert [(item["energy"], item["price"], item["effective_from"]) for item in only["history"]] == [
        ("active", "1.444000", "2013-08-01"), ("reactive", "0.150000", "2013-08-01"),
        ("active", "1.200000", "2013-01-01"),
    ]
    # the coefficients of the zone schemes of their points (two zones)
    assert [(item["zones"], item["zone"], item["coefficient"]) for item in only["zone_coefficients"]] == [
        (2, 1, "1.5"), (2, 2, "0.4")]
    everything = await api.ok("GET", "/tariffs", staff)
    assert [item["tariff_class"] for item in everything["classes"]] == ["class1_general", "class2_general"]
    assert len(everything["classes"][0]["zone_coefficients"]) == 6
    other = await api.add_consumer("0064")
    refused = await api.call("GET", "/tariffs", api.consumer_user(other), params={"consumer_id": str(consumer_id)})
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "other_consumer"
    assert (await api.ok("GET", "/tariffs", staff, params={"consumer_id": str(consumer_id)}))["classes"] == \
        mine["classes"]


@pytest.mark.parametrize(("changes", "fields"), [
    ({"price": "0"}, {"price": "price_invalid"}),
    ({"price": "-1.5"}, {"price": "price_invalid"}),
    ({"price": "1.1234567"}, {"price": "price_invalid"}),
    ({"price": "1e9"}, {"price": "price_invalid"}),
    ({"effective_from": "2013-08-15"}, {"effective_from": "date_invalid"}),
    ({"tariff_class": "Class 2"}, {"tariff_class": "tariff_class_invalid"}),
    ({"title": "   "}, {"title": "title_invalid"}),
])
async def test_a_wrong_tariff_is_refused_field_by_field(api: Any, changes: dict[str, Any],
                                                       fields: dict[str, str]) -> None:
    refused = await api.call("POST", "/tariffs", api.staff(), json=tariff(**changes))
    assert refused.status_code == 422 and refused.json()["detail"]["fields"] == fields
    assert await api.scalar("SELECT count(*) FROM tariffs") == 0


async def test_one_price_per_class_energy_and_date_and_only_staff_set_them(api: Any) -> None:
    assert (await api.call("POST", "/tariffs", api.staff(), json=tariff())).status_code == 201
    again = await api.call("POST", "/tariffs", api.staff(), json=tariff(price="2"))
    assert again.status_code == 409 and again.json()["detail"]["code"] == "tariff_exists"
    consumer_id = await api.add_consumer()
    forbidden = await api.call("POST", "/tariffs", api.consumer_user(consumer_id), json=tariff(effective_from=str(
        date(2014, 1, 1))))
    assert forbidden.status_code == 403


async def test_zone_coefficients_are_data_staff_maintain(api: Any) -> None:
    seeded = await api.ok("GET", "/zone-coefficients", api.consumer_user(await api.add_consumer()))
    assert [(item["zones"], item["zone"], item["coefficient"]) for item in seeded] == [
        (1, 1, "1"), (2, 1, "1.5"), (2, 2, "0.4"), (3, 1, "1.68"), (3, 2, "1.02"), (3, 3, "0.35")]
    body = {"zones": 2, "zone": 2, "coefficient": "0.5", "effective_from": "2021-04-01"}
    created = await api.call("POST", "/zone-coefficients", api.staff(), json=body)
    assert created.status_code == 201 and created.json()["coefficient"] == "0.5"
    again = await api.call("POST", "/zone-coefficients", api.staff(), json=body)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "coefficient_exists"
    wrong = await api.call("POST", "/zone-coefficients", api.staff(),
                           json={**body, "zone": 3, "coefficient": "0", "effective_from": "2021-04-02"})
    assert wrong.status_code == 422 and wrong.json()["detail"]["fields"] == {
        "zone": "zone_invalid", "coefficient": "coefficient_invalid", "effective_from": "date_invalid"}
