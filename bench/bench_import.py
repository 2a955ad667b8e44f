"""Benchmark: the retailer sheet import (read, dry-run check, import, re-import of the same file).

Writes an N-row, 15-column Chinese retailer sheet, then times each step on the database named by
DATABASE_URL (seeded with the demo prefecture for its service areas when empty).

    DATABASE_URL=sqlite:////tmp/imp.sqlite3 .venv/bin/python bench/bench_import.py 20000
"""

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")

import django

django.setup()

import xlsxwriter  # noqa: E402
from django.core.management import call_command  # noqa: E402

from crm_site.models import User  # noqa: E402
from retailers.imports import RETAILER_COLUMNS, check_rows, plan_changes, read_sheet  # noqa: E402
from retailers.models import ServiceArea  # noqa: E402
from retailers.services import retailer_import_apply  # noqa: E402


def write_sheet(path: str, n: int, areas: list[str]) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [column.title for column in RETAILER_COLUMNS])
    for i in range(n):
        sheet.write_row(i + 1, 0, [
            f"3399{i:08d}", f"测试{i % 977}便利店", "张三", f"139{i:08d}", f"中山路{i}号", "2030-06-30", "2025/7/1",
            "便利店", "城镇", "居民区", areas[i % len(areas)], "正常", "A", "", "2019年3月1日",
        ])  # fmt: skip
    workbook.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    call_command("migrate", verbosity=0)
    if not ServiceArea.objects.exists():
        call_command("seed_demo", retailers=50, months=1, verbosity=0)
    path = str(Path(tempfile.mkdtemp()) / "retailers.xlsx")
    write_sheet(path, n, list(ServiceArea.objects.values_list("code", flat=True)))
    admin = User.objects.get(username="admin")

    started = time.perf_counter()
    rows = read_sheet(path)
    read = time.perf_counter() - started
    started = time.perf_counter()
    results = check_rows(rows)
    plan_changes(results)
    check = time.perf_counter() - started
    tracemalloc.start()  # a second, traced pass for the memory figure (tracing slows Python down)
    plan_changes(check_rows(read_sheet(path)))
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"read {n:,} rows: {read:.1f} s; check + plan: {check:.1f} s")
    print(f"dry run: {n / (read + check):,.0f} rows/s; peak {peak:.0f} MB for reading and checking")
    started = time.perf_counter()
    outcome = retailer_import_apply(results=results, imported_by=admin)
    apply = time.perf_counter() - started
    print(f"import ({outcome.created:,} created): {apply:.1f} s -> {n / (read + check + apply):,.0f} rows/s end to end")
    started = time.perf_counter()
    results = check_rows(read_sheet(path))
    plan_changes(results)
    outcome = retailer_import_apply(results=results, imported_by=admin)
    again = time.perf_counter() - started
    print(f"re-import ({outcome.unchanged:,} unchanged): {again:.1f} s -> {n / again:,.0f} rows/s")


if __name__ == "__main__":
    main()
