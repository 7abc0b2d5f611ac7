"""The demo consumer's meters, a half year of readings, invoices and payments, made the way they are made in life:
the supplier's staff register the meters and enter the readings of past months through the metering and billing
APIs, billing issues the invoices, and a RES system (the simulator) reports the payments over the bus.

`python -m devtools.demo --consumer-id ID` (the local run calls it after `identity.demo` and `billing.demo`).
Idempotent: a consumer that has metering points already is left as it is. The current month is left open for the
consumer to enter their own meter's readings (the RES substation meter's are entered by staff).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import httpx

from devtools.processes import Layout
from devtools.res_simulator import KYIV, NotRouted, publish_payments
from shared.auth import Principal, Role, ServiceTokens
from shared.contracts.res import PaymentReceived

#: the months of history before the current one
HISTORY_MONTHS = 6
#: the consumer's own two-zone meter, and the RES substation's meter with a current transformer 200/5; both were
#: installed new, showing 0 (the history's readings count from there)
POINTS = (
    {"meter_serial": "01234567", "zones": 2, "digits": 6, "ct_ratio": "1", "vt_ratio": "1",
     "location": "consumer_site", "consumer_reads": True, "registers": ["active"], "tariff_class": "class2_general",
     "installation_readings": [{"energy": "active", "zone": zone, "value": "0"} for zone in (1, 2)]},
    {"meter_serial": "07654321", "zones": 1, "digits": 5, "ct_ratio": "40", "vt_ratio": "1",
     "location": "res_substation", "consumer_reads": False, "registers": ["active", "reactive"],
     "tariff_class": "class2_general",
     "installation_readings": [{"energy": energy, "zone": 1, "value": "0"} for energy in ("active", "reactive")]},
)
#: monthly consumption on each meter (difference of the register), by meter, energy and zone
MONTHLY = {("01234567", "active", 1): 1450, ("01234567", "active", 2): 610,
           ("07654321", "active", 1): 38, ("07654321", "reactive", 1): 9}
#: how a month's consumption compares with the usual one, month by month of the history (then the open period)
SEASON = (Decimal("1.00"), Decimal("0.92"), Decimal("0.85"), Decimal("0.88"), Decimal("0.97"), Decimal("1.08"),
          Decimal("1.15"))
#: the supplier's account the consumer pays to, as the bank statement shows it
PAYER_BANK = ("UA833052990000026008046800583", "АТ КБ «ПриватБанк»", "305299")


def months_back(period: str, count: int) -> list[str]:
    """The `count` periods before `period` (`YYYY-MM`), oldest first."""
    year, month = int(period[:4]), int(period[5:])
    periods = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(f"{year:04d}-{month:02d}")
    return periods[::-1]


#: below the 5 s for which uvicorn keeps an idle connection open
KEEPALIVE_SECONDS = 2.0


class Staff:
    """Calls the services as the supplier's staff (the demo loader is one of them)."""

    def __init__(self, layout: Layout, secret: str) -> None:
        self.layout = layout
        self.tokens = ServiceTokens(secret, issuer="demo")
        self.principal = Principal(user_id=uuid.UUID(int=1), role=Role.ADMIN, issuer="demo")
        # one client for every call: a client per call builds an SSL context each time (25 ms of CPU), which
        # the load benchmark, loading many consumers at once, would spend most of its time on
        # idle connections are dropped well before uvicorn closes them (5 s): a request sent on a connection the
        # server is closing at that moment is reset, and a POST is not retried
        self.http = httpx.Client(timeout=30, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS))

    def __enter__(self) -> Staff:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def call(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.issue(self.principal, ttl=60)}"}
        return self.http.request(method, f"{self.layout.url(service)}/api/v1{path}", headers=headers, **kwargs)


def until(attempt: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Events travel through the bus: asked again until the other service knows."""
    deadline = time.monotonic() + timeout
    while True:
        result = attempt()
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo: {what} did not happen within {timeout:.0f}s")
        time.sleep(0.3)


def load(layout: Layout, secret: str, consumer_id: str, *, amqp_url: str, namespace: str,
         serial_suffix: str = "") -> dict[str, Any]:
    """`serial_suffix` follows the meters' serials: a serial is one active point's only, so each consumer loaded
    into one system needs a suffix of its own (the load benchmark's many consumers)."""
    with Staff(layout, secret) as staff:
        return _history(staff, consumer_id, amqp_url=amqp_url, namespace=namespace, serial_suffix=serial_suffix)


def _history(staff: Staff, consumer_id: str, *, amqp_url: str, namespace: str, serial_suffix: str) -> dict[str, Any]:
    points_path = f"/consumers/{consumer_id}/points"
    # metering learns the consumer from identity's event
    existing = until(lambda: _ok(staff.call("metering", "GET", points_path)), "metering knowing the consumer")
    if existing.json():
        return {"loaded": False}
    points: dict[str, str] = {}
    # points are known here by POINTS' serials, which MONTHLY's consumption is keyed by
    for point in POINTS:
        created = staff.call("metering", "POST", points_path,
                             json={**point, "meter_serial": f"{point['meter_serial']}{serial_suffix}"})
        created.raise_for_status()
        points[str(point["meter_serial"])] = created.json()["id"]
    # the history ends before the period whose readings window is open now (this month's from the billing day
    # on, else last month's); billing learns the points from metering's events before it can calculate them
    window = staff.call("metering", "GET", f"/consumers/{consumer_id}/window")
    window.raise_for_status()
    current = window.json()["period"]
    periods = months_back(current, HISTORY_MONTHS)
    invoices = []
    for month, period in enumerate(periods, start=1):
        staff.call("metering", "POST", f"/consumers/{consumer_id}/readings", json={
            "period": period, "confirm": True,
            "readings": [_reading(points, key, month) for key in MONTHLY],
        }).raise_for_status()
        until(partial(_ready, staff, consumer_id, period), f"billing's readings of {period}")
        issued = staff.call("billing", "POST", f"/consumers/{consumer_id}/invoices", json={"period": period})
        issued.raise_for_status()
        invoices.append(issued.json())
    # the open period: the substation meter is read by staff; the consumer's own meter waits for the consumer
    staff.call("metering", "POST", f"/consumers/{consumer_id}/readings", json={
        "period": current, "confirm": True,
        "readings": [_reading(points, key, len(periods) + 1) for key in MONTHLY if key[0] == "07654321"],
    }).raise_for_status()
    paid = _pay(invoices, amqp_url, namespace)
    return {"loaded": True, "invoices": [invoice["number"] for invoice in invoices], "payments": paid}


def _ok(response: httpx.Response) -> httpx.Response | None:
    return response if response.status_code == 200 else None


def _ready(staff: Staff, consumer_id: str, period: str) -> bool:
    answer = staff.call("billing", "GET", f"/consumers/{consumer_id}/calculation", params={"period": period})
    return answer.status_code == 200 and bool(answer.json()["ready"])


def _reading(points: dict[str, str], key: tuple[str, str, int], month: int) -> dict[str, Any]:
    """The register's reading at the end of the `month`-th month: the meters were new (reading 0) at the start."""
    serial, energy, zone = key
    value = sum((round(MONTHLY[key] * factor) for factor in SEASON[:month]), 0)
    return {"point_id": points[serial], "energy": energy, "zone": zone, "value": str(value)}


def _pay(invoices: list[dict[str, Any]], amqp_url: str, namespace: str) -> int:
    """Every invoice but the latest paid in full by its pay-by date, naming it in the purpose as accountants do."""
    iban, bank, mfo = PAYER_BANK
    # the history's invoices are all formed today, so their pay-by dates are still to come: paid today
    today = datetime.now(KYIV).date()
    payments = [
        PaymentReceived(
            res_payment_id=f"demo-{invoice['number']}", account_number=invoice["account_number"],
            amount=Decimal(invoice["total"]), paid_on=min(date.fromisoformat(invoice["pay_by"]), today),
            payer_iban=iban, bank=bank, mfo=mfo, document_number=str(1000 + number),
            purpose=f"Оплата за електроенергію згідно рах. № {invoice['number']}, у т.ч. ПДВ 20%",
        )
        for number, invoice in enumerate(invoices[:-1])
    ]
    try:
        return asyncio.run(publish_payments(amqp_url, namespace, payments))
    except NotRouted:
        print("demo: billing takes no payments yet; none published")
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consumer-id", required=True)
    parser.add_argument("--base-port", type=int, default=8000)
    arguments = parser.parse_args()
    result = load(
        Layout(base_port=arguments.base_port), os.environ["CABINET_SERVICE_TOKEN_SECRET"], arguments.consumer_id,
        amqp_url=os.environ.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        namespace=os.environ.get("CABINET_BUS_NAMESPACE", "cabinet"),
    )
    if result["loaded"]:
        print(f"demo: invoices {', '.join(result['invoices'])}; {result['payments']} payments published")
    else:
        print("demo: the consumer's meters and history are there already")


if __name__ == "__main__":
    main()
