"""Demo tariffs in the billing database, made through the use case staff use: `python -m billing.demo`.

Idempotent: a price already there (same class, energy and date) is left as it is. The zone coefficients come with
the migrations. Prices are demo values without VAT (UAH per kWh, reactive per kvarh), with a history so that the
tariffs page and the calculation of old periods have something to show.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from decimal import Decimal

from billing.invoices import Invoices
from billing.models import Invoice
from billing.repositories import tax_invoices as tax_invoice_repository
from billing.runtime import Runtime, utcnow
from billing.settings import BillingSettings, get_settings
from billing.tariffs import NewTariff, Tariffs
from billing.tax import TaxInvoicing
from shared import migrations
from shared.auth import Principal, Role
from shared.db import Database
from shared.errors import Conflict

CLASSES = {
    "class1_general": "Непобутові споживачі, 1 клас напруги (від 27,5 кВ)",
    "class2_general": "Непобутові споживачі, 2 клас напруги (до 27,5 кВ)",
}
#: class → energy → [(effective from, price)]
PRICES = {
    "class1_general": {"active": [(date(2013, 1, 1), "0.982000"), (date(2023, 1, 1), "5.410000"),
                                  (date(2024, 6, 1), "6.120000")],
                       "reactive": [(date(2013, 1, 1), "0.098200"), (date(2024, 6, 1), "0.612000")]},
    "class2_general": {"active": [(date(2013, 1, 1), "1.444000"), (date(2023, 1, 1), "6.020000"),
                                  (date(2024, 6, 1), "6.840000")],
                       "reactive": [(date(2013, 1, 1), "0.144400"), (date(2024, 6, 1), "0.684000")]},
}


async def load(settings: BillingSettings) -> int:
    """Adds the demo prices missing; how many were added."""
    await migrations.upgrade(migrations.migrations_dir_of("billing"), settings.database_url)
    database = Database(settings.database_url, pool_size=1)
    staff = Principal(role=Role.ADMIN)
    added = 0
    try:
        for tariff_class, energies in PRICES.items():
            for energy, history in energies.items():
                for effective_from, price in history:
                    try:
                        async with database.transaction() as session:
                            await Tariffs(session).add(staff, NewTariff(
                                tariff_class, energy, Decimal(price), effective_from, CLASSES[tariff_class]))
                        added += 1
                    except Conflict:
                        pass
    finally:
        await database.dispose()
    return added


if __name__ == "__main__":
    print(f"billing: {asyncio.run(load(get_settings()))} demo tariff prices added")


class History:
    """The demo consumer's past invoices, formed through the use case as of the day they were formed (`devtools.demo`
    calls it in its own process; the running service relays the events)."""

    def __init__(self, settings: BillingSettings) -> None:
        self.database = Database(settings.database_url, pool_size=2)
        self.runtime = Runtime.create(settings)

    async def close(self) -> None:
        await self.runtime.close()
        await self.database.dispose()

    async def ready(self, consumer_id: uuid.UUID, period: str) -> bool:
        """Whether billing has the period's accepted readings of every meter (they travel from metering)."""
        async with self.database.transaction() as session:
            state = await Invoices(session, self.runtime).calculation(Principal(role=Role.SERVICE), consumer_id, period)
        return state.ready

    async def calculate(self, principal: Principal, consumer_id: uuid.UUID, period: str, *, at: datetime
                        ) -> Invoice:
        """«Розрахувати» pressed at `at` by `principal` (the consumer's user): the period's invoice. The consumer
        downloads its tax invoice too, so documents draws that PDF (it is drawn on the first download)."""
        self.runtime.now = lambda: at
        try:
            async with self.database.transaction() as session:
                details, _ = await Invoices(session, self.runtime).issue(principal, consumer_id, period)
            async with self.database.transaction() as session:
                tax_invoices = await tax_invoice_repository.tax_invoices_of_invoices(session, [details.invoice.id])
                for tax_invoice in tax_invoices.values():
                    await TaxInvoicing(session, self.runtime).pdf(principal, tax_invoice.id)
        finally:
            self.runtime.now = utcnow
        return details.invoice
