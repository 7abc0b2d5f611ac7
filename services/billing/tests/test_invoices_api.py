"""Calculation and invoices through the API: «Розрахувати» for consumers with the right, what is missing, one
invoice however many requests, each consumer only their own, invoices by year, correcting invoices, the events
issuing writes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from billing.models import Invoice
from documents.domain.render import TEMPLATES
from shared.auth import Principal, Role

PERIOD = "2013-08"


@pytest.fixture
async def consumer(api: Any) -> uuid.UUID:
    """№ 0789 with one one-zone meter read for August 2013 (240 kWh) and the class's tariff 1.444 UAH/kWh."""
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer()
    point = await api.add_point(consumer_id, "0123456")
    await api.accept(consumer_id, PERIOD, [(point, "active", 1, "1000", "1240")])
    return consumer_id


async def issue(api: Any, consumer_id: uuid.UUID, period: str = PERIOD, principal: Any = None) -> Any:
    return await api.call("POST", f"/consumers/{consumer_id}/invoices", principal or api.consumer_user(consumer_id),
                          json={"period": period})


async def test_self_calculation_issues_the_invoice_with_its_events(api: Any, consumer: uuid.UUID) -> None:
    response = await issue(api, consumer)
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert {key: invoice[key] for key in ("number", "kind", "period", "formed_on", "pay_by", "amount_excl_vat", "vat",
                                          "total", "paid", "balance", "document_id", "corrects_number")} == {
        "number": "0789/8/1", "kind": "regular", "period": PERIOD, "formed_on": "2013-08-26",
        "pay_by": "2013-09-05", "amount_excl_vat": "346.56", "vat": "69.31", "total": "415.87", "paid": "0.00",
        "balance": "415.87", "document_id": None, "corrects_number": None,
    }
    [line] = invoice["lines"]
    assert {key: line[key] for key in ("meter_serial", "energy", "zone", "previous", "current", "volume", "price",
                                       "amount")} == {
        "meter_serial": "0123456", "energy": "active", "zone": 1, "previous": "1000", "current": "1240",
        "volume": "240", "price": "1.444000", "amount": "346.56",
    }
    [issued] = await api.outbox("billing.invoice_issued.v1")
    assert (issued["invoice_id"], issued["number"], issued["total"]) == (invoice["id"], "0789/8/1", "415.87")
    [render] = await api.renders("invoice")
    assert (render["document_type"], render["source_event"], render["consumer_id"]) == (
        "invoice", f"billing.invoice/{invoice['id']}", str(consumer))
    # what billing sends is what the documents service's invoice template draws
    data = TEMPLATES.get("invoice").data_model.model_validate(render["data"])
    assert (data.supplier.iban, data.supplier.edrpou, data.total) == ("UA213052990000000026001234567", "31793056",
                                                                     invoice["total"] and data.total)
    assert str(data.total) == "415.87" and data.lines[0].meter_serial == "0123456"

    # asked again (a double click, a retried request): the same invoice, nothing new
    again = await issue(api, consumer)
    assert again.status_code == 200 and again.json()["id"] == invoice["id"]
    assert len(await api.outbox("billing.invoice_issued.v1")) == 1


async def test_concurrent_requests_issue_one_invoice(api: Any, consumer: uuid.UUID) -> None:
    responses = await asyncio.gather(*(issue(api, consumer) for _ in range(6)))
    assert sorted(response.status_code for response in responses) == [200] * 5 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await api.scalar("SELECT count(*) FROM invoices") == 1
    assert len(await api.renders("invoice")) == 1


async def test_the_database_refuses_a_second_regular_invoice_of_a_period(api: Any, consumer: uuid.UUID) -> None:
    invoice = (await issue(api, consumer)).json()
    async with api.database.sessionmaker() as session:
        original = await session.get(Invoice, uuid.UUID(invoice["id"]))
        assert original is not None
        copy = {column.key: getattr(original, column.key) for column in sa.inspect(Invoice).columns}
    with pytest.raises(IntegrityError, match="uq_invoices_regular_period"):
        async with api.database.transaction() as session:
            await session.execute(sa.insert(Invoice).values({**copy, "id": uuid.uuid4(), "number": "0789/8/2"}))


async def test_without_the_right_of_self_calculation_only_staff_form_the_invoice(api: Any) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer("0064", self_calculation=False)
    point = await api.add_point(consumer_id, "777")
    await api.accept(consumer_id, PERIOD, [(point, "active", 1, "0", "100")])
    refused = await issue(api, consumer_id)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "self_calculation_forbidden"
    state = await api.ok("GET", f"/consumers/{consumer_id}/calculation", api.consumer_user(consumer_id))
    assert (state["self_calculation"], state["ready"], state["invoice"]) == (False, True, None)
    formed = await issue(api, consumer_id, principal=api.staff())
    assert formed.status_code == 201 and formed.json()["number"] == "0064/8/1"


async def test_missing_readings_are_named_and_nothing_is_issued(api: Any) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer()
    read = await api.add_point(consumer_id, "A-1", zones=2)
    unread = await api.add_point(consumer_id, "B-2")
    await api.add_point(consumer_id, "C-3", active=False)  # retired: not needed
    await api.accept(consumer_id, PERIOD, [(read, "active", 1, "0", "10")])  # the night zone is missing
    user = api.consumer_user(consumer_id)
    state = await api.ok("GET", f"/consumers/{consumer_id}/calculation", user, params={"period": PERIOD})
    assert state["ready"] is False
    assert state["missing"] == [
        {"point_id": str(read), "meter_serial": "A-1", "reason": "no_readings"},
        {"point_id": str(unread), "meter_serial": "B-2", "reason": "no_readings"},
    ]
    refused = await issue(api, consumer_id)
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "readings_missing"
    assert [item["meter_serial"] for item in refused.json()["detail"]["missing"]] == ["A-1", "B-2"]
    assert await api.scalar("SELECT count(*) FROM invoices") == 0
    assert await api.outbox() == []


async def test_a_class_without_a_tariff_in_force_is_refused(api: Any) -> None:
    await api.add_tariff("class1_general", "active", "1.100000", date(2013, 9, 1))  # only from September
    consumer_id = await api.add_consumer()
    point = await api.add_point(consumer_id, "A-1", tariff_class="class1_general")
    await api.accept(consumer_id, PERIOD, [(point, "active", 1, "0", "10")])
    refused = await issue(api, consumer_id)
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "tariff_missing"
    assert refused.json()["detail"]["fields"] == {"tariff_class": "class1_general/active"}


@pytest.mark.parametrize("period", ["2013-13", "2013-8", "август", "2013-09"])
async def test_a_period_that_is_not_a_past_or_current_month_is_invalid(api: Any, consumer: uuid.UUID,
                                                                        period: str) -> None:
    refused = await issue(api, consumer, period)
    assert refused.status_code == 422
    assert refused.json()["detail"]["fields"] == {"period": "period_invalid"}


async def test_each_consumer_sees_only_their_own(api: Any, consumer: uuid.UUID) -> None:
    invoice = (await issue(api, consumer)).json()
    other = await api.add_consumer("0064")
    stranger = api.consumer_user(other)
    for method, path in (("GET", f"/consumers/{consumer}/invoices"), ("GET", f"/consumers/{consumer}/calculation"),
                         ("POST", f"/consumers/{consumer}/invoices")):
        refused = await api.call(method, path, stranger, json={"period": PERIOD} if method == "POST" else None)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "other_consumer", path
    hidden = await api.call("GET", f"/invoices/{invoice['id']}", stranger)
    assert hidden.status_code == 404 and hidden.json()["detail"]["code"] == "invoice_not_found"
    assert (await api.ok("GET", f"/invoices/{invoice['id']}", api.consumer_user(consumer)))["id"] == invoice["id"]
    assert (await api.ok("GET", f"/invoices/{invoice['id']}", api.staff()))["id"] == invoice["id"]
    mine = await api.ok("GET", f"/consumers/{other}/invoices", stranger)
    assert mine == {"years": [], "items": []}
    anonymous = await api.call("GET", f"/consumers/{consumer}/invoices", Principal(role=Role.ANONYMOUS))
    assert anonymous.status_code == 403


async def test_invoices_are_listed_by_year_newest_first(api: Any) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2012, 1, 1))
    consumer_id = await api.add_consumer()
    point = await api.add_point(consumer_id, "0123456")
    user = api.consumer_user(consumer_id)
    for period, (previous, current), today in (("2012-11", ("0", "100"), date(2012, 11, 25)),
                                               ("2012-12", ("100", "300"), date(2012, 12, 27)),
                                               ("2013-01", ("300", "310"), date(2013, 1, 25))):
        api.set_today(today)
        await api.accept(consumer_id, period, [(point, "active", 1, previous, current)])
        issued = await issue(api, consumer_id, period)
        assert issued.status_code == 201, issued.text
    everything = await api.ok("GET", f"/consumers/{consumer_id}/invoices", user)
    assert everything["years"] == [2013, 2012]
    assert [item["number"] for item in everything["items"]] == ["0789/1/1", "0789/12/1", "0789/11/1"]
    in_2012 = await api.ok("GET", f"/consumers/{consumer_id}/invoices", user, params={"year": "2012"})
    assert [item["formed_on"] for item in in_2012["items"]] == ["2012-12-27", "2012-11-25"]
    assert [item["pay_by"] for item in in_2012["items"]] == ["2013-01-06", "2012-12-05"]


async def test_the_calculation_page_starts_at_the_oldest_period_not_invoiced(api: Any, consumer: uuid.UUID) -> None:
    user = api.consumer_user(consumer)
    state = await api.ok("GET", f"/consumers/{consumer}/calculation", user)
    assert (state["period"], state["ready"], state["missing"], state["invoice"]) == (PERIOD, True, [], None)
    await issue(api, consumer)
    # everything read is invoiced: the current period (the billing day, the 25th, has passed)
    state = await api.ok("GET", f"/consumers/{consumer}/calculation", user)
    assert state["period"] == PERIOD and state["invoice"]["number"] == "0789/8/1"
    api.set_today(date(2013, 9, 20))
    state = await api.ok("GET", f"/consumers/{consumer}/calculation", user)
    assert (state["period"], state["ready"], state["invoice"]) == (PERIOD, True, state["invoice"])
    api.set_today(date(2013, 9, 25))
    state = await api.ok("GET", f"/consumers/{consumer}/calculation", user)
    assert (state["period"], state["ready"], state["invoice"]) == ("2013-09", False, None)


async def test_a_staff_correction_of_an_invoiced_period_issues_a_correcting_invoice(api: Any,
                                                                                   consumer: uuid.UUID) -> None:
    invoice = (await issue(api, consumer)).json()
    point = uuid.UUID(invoice["lines"][0]["point_id"])
    api.set_today(date(2013, 9, 2))
    [corrected] = await api.accept(consumer, PERIOD, [(point, "active", 1, "1000", "1250")],
                                   correction_reason="misread digit")
    correcting = await api.ok("GET", f"/invoices/{corrected}", api.consumer_user(consumer))
    assert {key: correcting[key] for key in ("number", "kind", "corrects_invoice_id", "corrects_number", "formed_on",
                                             "amount_excl_vat", "vat", "total", "balance")} == {
        "number": "0789/8/1/П1", "kind": "correcting", "corrects_invoice_id": invoice["id"],
        "corrects_number": "0789/8/1", "formed_on": "2013-09-02", "amount_excl_vat": "14.44", "vat": "2.89",
        "total": "17.33", "balance": "17.33",
    }
    [line] = correcting["lines"]
    assert (line["current"], line["volume"], line["amount"]) == ("1250", "10", "14.44")
    issued = await api.outbox("billing.invoice_issued.v1")
    assert [(event["number"], event["kind"], event["corrects_invoice_id"]) for event in issued] == [
        ("0789/8/1", "regular", None), ("0789/8/1/П1", "correcting", invoice["id"])]
    renders = await api.renders("invoice")
    assert renders[-1]["data"]["corrects_number"] == "0789/8/1"
    TEMPLATES.get("invoice").data_model.model_validate(renders[-1]["data"])

    # the same readings accepted again change nothing; lower ones are credited back
    assert await api.accept(consumer, PERIOD, [(point, "active", 1, "1000", "1250")], correction_reason="again") == []
    [credit] = await api.accept(consumer, PERIOD, [(point, "active", 1, "1000", "1200")],
                                correction_reason="the first reading was right after all")
    credited = await api.ok("GET", f"/invoices/{credit}", api.staff())
    assert (credited["number"], credited["amount_excl_vat"], credited["vat"], credited["total"]) == (
        "0789/8/1/П2", "-72.20", "-14.44", "-86.64")
    listed = await api.ok("GET", f"/consumers/{consumer}/invoices", api.consumer_user(consumer))
    assert [item["number"] for item in listed["items"]] == ["0789/8/1/П2", "0789/8/1/П1", "0789/8/1"]


async def test_readings_of_a_period_not_invoiced_are_only_kept(api: Any, consumer: uuid.UUID) -> None:
    point = await api.scalar("SELECT id FROM metering_points")
    assert await api.accept(consumer, PERIOD, [(point, "active", 1, "1000", "1300")], correction_reason="typo") == []
    invoice = (await issue(api, consumer)).json()
    assert invoice["lines"][0]["volume"] == "300"
