"""Benchmark: importing an order sheet (one row per order line) with the real import path.

Seeds the demo prefecture (shops and products) when the database is empty, writes an N-line
sheet (default 1,000,000 lines: 50,000 orders of 20 lines over the demo shops), then times each
step on the database named by DATABASE_URL: read, check + plan (the dry run), the write (COPY on
PostgreSQL), and a re-import of the same file (every order unchanged). Peak memory is the
process's maximum resident set size after each step.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_orders \
        .venv/bin/python bench/bench_order_import.py 1000000
"""

import datetime
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")

import django

django.setup()

import numpy as np  # noqa: E402
import xlsxwriter  # noqa: E402
from django.core.management import call_command  # noqa: E402

from crm_site.models import User  # noqa: E402
from retailers.imports import IMPORT_KINDS, check_sheet, import_check, read_sheet  # noqa: E402
from retailers.models import Order, OrderLine, Product, Retailer  # noqa: E402
from retailers.services import import_apply  # noqa: E402

LINES_PER_ORDER = 20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_sheet(path: str, lines: int) -> None:
    rng = np.random.default_rng(7)
    licences = list(Retailer.objects.order_by("pk").values_list("license_no", flat=True))
    codes = list(Product.objects.order_by("pk").values_list("code", flat=True))
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["订单号", "许可证号", "订货日期", "卷烟编码", "数量（条）"])
    monday = datetime.date(2026, 1, 5)
    row = 1
    for order in range(lines // LINES_PER_ORDER):
        licence = licences[order % len(licences)]
        day = (monday + datetime.timedelta(weeks=order // len(licences))).isoformat()
        for code in rng.choice(len(codes), LINES_PER_ORDER, replace=False):
            sheet.write_row(row, 0, [f"BX{order:09d}", licence, day, codes[code], int(rng.integers(1, 30))])
            row += 1
    workbook.close()


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    call_command("migrate", verbosity=0)
    if not Retailer.objects.exists():
        call_command("seed_demo", retailers=2000, months=1, line_weeks=0, verbosity=0)
    OrderLine.objects.filter(order__order_no__startswith="BX").delete()
    Order.objects.filter(order_no__startswith="BX").delete()
    kind = IMPORT_KINDS["orders"]
    admin = User.objects.get(username="admin")
    path = str(Path(tempfile.mkdtemp()) / "orders.xlsx")
    started = time.perf_counter()
    write_sheet(path, lines)
    print(
        f"wrote a {lines:,}-line sheet in {time.perf_counter() - started:.1f} s ({os.path.getsize(path) / 1e6:.0f} MB)"
    )

    started = time.perf_counter()
    sheet = read_sheet(path, kind)
    read = time.perf_counter() - started
    print(f"read: {read:.1f} s ({lines / read:,.0f} rows/s); peak {peak_mb():.0f} MB")
    started = time.perf_counter()
    checked = check_sheet(sheet, kind)
    kind.plan(checked)
    check = time.perf_counter() - started
    print(f"check + plan: {check:.1f} s; dry run {lines / (read + check):,.0f} rows/s; peak {peak_mb():.0f} MB")
    assert checked.valid.all(), checked.errors[checked.errors != ""].head()
    started = time.perf_counter()
    outcome = import_apply(checked=checked, imported_by=admin)
    write = time.perf_counter() - started
    print(
        f"write ({outcome.created:,} orders, {lines:,} lines): {write:.1f} s -> {lines / write:,.0f} lines/s; "
        f"end to end {lines / (read + check + write):,.0f} lines/s; peak {peak_mb():.0f} MB"
    )
    del sheet, checked
    started = time.perf_counter()
    again = import_check(path, kind)
    outcome = import_apply(checked=again, imported_by=admin)
    reimport = time.perf_counter() - started
    print(f"re-import ({outcome.unchanged:,} orders unchanged): {reimport:.1f} s -> {lines / reimport:,.0f} lines/s")
    print(f"lines in the database: {OrderLine.objects.filter(order__order_no__startswith='BX').count():,}")


if __name__ == "__main__":
    main()
