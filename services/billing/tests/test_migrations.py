"""The hand-written revisions build exactly the tables the models describe, and can be undone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from billing.models import Base
from shared.testing import assert_migrations_match_models


async def test_migrations_match_the_models_and_downgrade_cleanly(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    await assert_migrations_match_models(
        await database_factory("billing_migrations"), "billing", Base.metadata,
        {"ck_consumers_billing_day", "ck_metering_points_zones", "ck_metering_points_digits", "ck_readings_period",
         "ck_readings_energy", "ck_readings_zone", "ck_tariffs_energy", "ck_tariffs_price", "ck_zone_coefficients_zone",
         "ck_zone_coefficients_coefficient", "ck_invoices_period", "ck_invoices_kind", "ck_invoices_correction",
         "ck_invoices_total", "ck_invoice_lines_energy", "ck_billing_runs_period", "ck_billing_runs_state",
         "ck_invoices_paid", "ck_payments_state", "ck_payments_amount", "ck_payments_credit",
         "ck_payments_applied_consumer", "ck_payments_parked_consumer", "ck_allocations_amount",
         "ck_allocations_source", "ck_tax_invoices_kind", "ck_tax_invoices_registration"},
    )
