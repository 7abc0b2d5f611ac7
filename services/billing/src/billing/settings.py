from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import StringConstraints

from shared.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    service_name: str = "billing"

    #: calendar days between an invoice's formation and its pay-by date
    pay_by_days: int = 10
    #: where supplier branch details (name, EDRPOU, IBAN, address) for invoices come from
    identity_url: str = "http://127.0.0.1:8001"
    #: who renders a tax invoice's PDF when it is first asked for
    documents_url: str = "http://127.0.0.1:8004"
    service_timeout_seconds: float = 10.0
    #: how long the branches read from identity are kept before they are asked for again
    branches_cache_seconds: float = 300.0
    #: consumers a billing run issues in one transaction
    billing_run_batch: int = 1000
    #: a running billing run whose worker has not reported for this long is taken over by another worker
    billing_run_stale_seconds: float = 120.0
    # The supplier as the seller on tax invoices; its name and tax number (ЄДРПОУ) are the branch's (identity).
    # Left unset, tax invoices are still issued and their completeness check names what is missing.
    #: the seller's VAT payer number (ІПН), 12 digits
    seller_ipn: str | None = None
    #: the code of the tax office the supplier files with (4 digits)
    seller_tax_office: str | None = None
    #: who compiles the tax invoices, and their РНОКПП (10 digits)
    seller_compiler_name: str | None = None
    seller_compiler_tax_number: str | None = None
    #: the code of kvar·h in the classifier of units (КСПОВО, ДК 011-96) as the supplier's tax invoices write it
    #: (4 digits; kWh is 0415); unset, rows of reactive energy name their unit code as missing
    reactive_energy_unit_code: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] | None = None


@lru_cache
def get_settings() -> BillingSettings:
    return BillingSettings()  # the secret comes from the environment
