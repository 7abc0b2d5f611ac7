"""Document throughput: invoice-like one-page PDFs (Cyrillic, DejaVu) rendered, and rendered + stored through the
documents service's service layer — bytes into S3 (a moto server this script starts), metadata row and
`DocumentStored` outbox event into PostgreSQL, one transaction per document, as a billing run would.

    python bench/documents.py [--pages 3000] [--concurrency 16] [--render-processes <cores>]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel

# this script shares its name with the service's package, which must win the import: bench/ goes last
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR] + [str(BENCH_DIR)]
from common import machine, start_moto

from documents.domain.render import TEMPLATES
from documents.domain.render.furniture import Party, amount_in_words, format_date, format_money
from documents.domain.render.layouts import Column, InvoiceLikePage, Signature, render_invoice_like
from documents.service import Documents, RenderedDocument, Runtime
from documents.settings import DocumentsSettings
from shared import migrations
from shared.auth import Principal, Role
from shared.db import Database, drop_database
from shared.migrations import migrations_dir_of

POSTGRES = os.environ.get("CABINET_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
SUPPLIER = Party(name="ТОВ «Дніпровська енергетична компанія»", edrpou="37456124", bank="АТ «Тестбанк»",
                 iban="UA213223130000026007233566001", address="49000, м. Дніпро, пр. Яворницького, 1")
ZONES = (("день", Decimal("4.31700")), ("ніч", Decimal("2.15850")), ("пік", Decimal("6.47550")))


class ElectricityInvoice(BaseModel):
    number: str
    issued_on: date
    period: str
    customer: Party
    #: kWh by zone name
    consumption: dict[str, int]


@TEMPLATES.template("bench_electricity_invoice", title="Рахунок за електричну енергію", data=ElectricityInvoice)
def electricity_invoice(data: ElectricityInvoice) -> bytes:
    rows, net = [], Decimal(0)
    for position, (zone, price) in enumerate(ZONES, start=1):
        kwh = data.consumption.get(zone, 0)
        amount = (price * kwh).quantize(Decimal("0.01"))
        net += amount
        rows.append([str(position), f"Активна електрична енергія, зона «{zone}», період {data.period}", "кВт·год",
                     f"{kwh:,}".replace(",", " "), f"{price}", format_money(amount)])
    vat = (net * Decimal("0.20")).quantize(Decimal("0.01"))
    return render_invoice_like(InvoiceLikePage(
        issuer=SUPPLIER.name, reference=f"Рахунок № {data.number} від {format_date(data.issued_on)}",
        title=f"Рахунок за активну електричну енергію № {data.number}", subtitle=f"від {format_date(data.issued_on)}",
        parties=[("Постачальник", SUPPLIER), ("Споживач", data.customer)],
        columns=[Column("№", "center"), Column("Найменування"), Column("Од.", "center"),
                 Column("Обсяг", "right"), Column("Ціна без ПДВ, грн", "right"),
                 Column("Сума без ПДВ, грн", "right")],
        rows=rows,
        totals=[("Разом без ПДВ", format_money(net)), ("ПДВ 20%", format_money(vat)),
                ("Всього до сплати", format_money(net + vat))],
        amount_in_words=amount_in_words(net + vat),
        notes=["Оплатіть рахунок до 20 числа місяця, що настає за розрахунковим. У призначенні платежу вкажіть "
               "номер рахунку та особовий рахунок."],
        signatures=[Signature("Від Постачальника", "уповноважена особа"), Signature("Від Споживача", "")],
    ))


def invoice_data(number: int) -> ElectricityInvoice:
    return ElectricityInvoice(
        number=f"{number:06d}/05", issued_on=date(2024, 6, 1), period="05.2024",
        customer=Party(name=f"ТОВ «Агрофірма Зоря-{number}»", edrpou="12345678",
                       address=f"52000, Дніпропетровська обл., с. Новоселівка, вул. Шевченка, {number % 200 + 1}"),
        consumption={"день": 1000 + number % 9000, "ніч": 500 + number % 3000, "пік": 200 + number % 700},
    )


def render_only(pages: int) -> float:
    template = TEMPLATES.get("bench_electricity_invoice")
    template.render(invoice_data(0))  # fonts, caches
    started = time.perf_counter()
    for number in range(pages):
        template.render(invoice_data(number))
    return pages / (time.perf_counter() - started)


async def render_and_store(pages: int, concurrency: int, render_processes: int, s3_endpoint: str) -> float:
    database_name = f"bench_documents_{secrets.token_hex(4)}"
    settings = DocumentsSettings(
        postgres_url=POSTGRES, database_name=database_name, service_token_secret=secrets.token_urlsafe(32),
        s3_endpoint=s3_endpoint, s3_access_key="bench", s3_secret_key=secrets.token_urlsafe(16),
        s3_bucket=f"bench-{secrets.token_hex(4)}", s3_connections=concurrency, render_processes=render_processes,
    )
    await migrations.upgrade(migrations_dir_of("documents"), settings.database_url)
    database = Database(settings.database_url, pool_size=concurrency)
    runtime = await Runtime.start(settings)
    billing = Principal(role=Role.SERVICE, issuer="billing")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(pages):
        queue.put_nowait(number)

    async def worker() -> None:
        while not queue.empty():
            number = queue.get_nowait()
            data = invoice_data(number)
            async with database.transaction() as session:
                await Documents(session, runtime).render_and_store(billing, RenderedDocument(
                    consumer_id=uuid.uuid4(), document_type="bench_electricity_invoice", period="2024-05",
                    title=f"Рахунок № {data.number}", file_name=f"Рахунок {number:06d}-05.pdf", data=data,
                ))

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return pages / (time.perf_counter() - started)
    finally:
        runtime.close()
        await database.dispose()
        await drop_database(settings.database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--render-processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(machine())
    print(f"render only (one core): {render_only(args.pages):.0f} pages/s")
    moto, endpoint = start_moto()
    try:
        rate = asyncio.run(render_and_store(args.pages, args.concurrency, args.render_processes, endpoint))
        print(f"render + store ({args.render_processes} render processes; S3 put, metadata row and outbox event "
              f"per page, {args.concurrency} in flight; moto's S3 server on the same machine): "
              f"{rate:.0f} pages/s over {args.pages} pages")
    finally:
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
