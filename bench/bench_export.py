"""Benchmark: the retailer list's Excel export at 100,000 shops, and the candidate xlsx writers side by side.

Seeds the database named by DATABASE_URL (`seed_demo`, one month of orders, no order lines) when it
holds fewer shops than asked for, then runs every step in a fresh Python process of its own, so
each peak RSS (VmHWM, else resource.getrusage) belongs to that step alone:

- reading: `retailer_export_rows` consumed into a list, and as an iterator that keeps nothing;
- writing the same rows (read into a list first, not timed) with each candidate writer, each with
  every feature `crm_site/excel.py` promises: typed cells and number formats, a bold, frozen header
  with an autofilter, column widths, and text that Excel would take for a formula quote-prefixed;
- the real export end to end: `write_xlsx(path, retailer_export_sheets(admin, {})[1])`, with the
  app's writer and, for comparison in the same run, with the xlsxwriter code it replaced.

Not a timed test: this is a shared two-core machine, so compare figures taken in one run.

    DATABASE_URL=sqlite:////tmp/bench_export.sqlite3 .venv/bin/python bench/bench_export.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_export .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")
os.environ.setdefault("DEBUG", "False")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm_site.excel import FORMULA_PREFIXES, Sheet, write_xlsx  # noqa: E402
from crm_site.models import User  # noqa: E402
from retailers.exports import retailer_export_sheets  # noqa: E402
from retailers.models import Retailer  # noqa: E402

NUMBER_FORMATS = {
    "money": "#,##0.00", "number": "0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "percent": "0.0%",
}  # fmt: skip


# --- candidate writers: each takes (path, sheets) like crm_site.excel.write_xlsx and returns the row count ---


def xlsxwriter_before(path: str, sheets) -> int:
    """crm_site/excel.py as it was: xlsxwriter constant_memory, one isinstance chain per cell."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = {kind: workbook.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
    formats["header"] = workbook.add_format({"bold": True, "bg_color": "#F2E6E6", "border": 1})
    formats["quoted"] = workbook.add_format({"quote_prefix": True})
    total = 0
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name[:31])
        columns = sheet.columns
        for index, column in enumerate(columns):
            worksheet.set_column(index, index, column.width)
            worksheet.write_string(0, index, str(column.header), formats["header"])
        worksheet.freeze_panes(1, 0)
        count = 0
        for count, row in enumerate(sheet.rows, start=1):
            for index, (column, value) in enumerate(zip(columns, row, strict=True)):
                if value is None or value == "":
                    worksheet.write_blank(count, index, None)
                elif isinstance(value, datetime.datetime):
                    worksheet.write_datetime(
                        count, index, timezone.localtime(value).replace(tzinfo=None), formats["datetime"]
                    )
                elif isinstance(value, datetime.date):
                    worksheet.write_datetime(count, index, value, formats["date"])
                elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    worksheet.write_number(count, index, float(value), formats.get(column.kind))
                else:
                    text = str(value)
                    worksheet.write_string(
                        count, index, text, formats["quoted"] if text.startswith(FORMULA_PREFIXES) else None
                    )
        worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
        total += count
    workbook.close()
    return total


def xlsxwriter_tuned(path: str, sheets) -> int:
    """The best the xlsxwriter path does: writers looked up by the value's class, blanks skipped,
    the private per-type writers called directly (no A1-notation decorator per cell)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = {kind: workbook.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
    header = workbook.add_format({"bold": True, "bg_color": "#F2E6E6", "border": 1})
    quoted = workbook.add_format({"quote_prefix": True})
    total = 0
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name[:31])
        columns = sheet.columns
        for index, column in enumerate(columns):
            worksheet.set_column(index, index, column.width)
            worksheet.write_string(0, index, str(column.header), header)
        worksheet.freeze_panes(1, 0)
        string, number, date = worksheet._write_string, worksheet._write_number, worksheet._write_datetime
        number_formats = [formats.get(column.kind) for column in columns]
        width = len(columns)
        count = 0
        for count, row in enumerate(sheet.rows, start=1):
            if len(row) != width:
                raise ValueError(f"row {count} has {len(row)} cells for {width} columns")
            for index, value in enumerate(row):
                kind = value.__class__
                if kind is str:
                    if value:
                        string(count, index, value, quoted if value.startswith(FORMULA_PREFIXES) else None)
                elif kind is int or kind is float or kind is Decimal:
                    number(count, index, float(value), number_formats[index])
                elif kind is datetime.date:
                    date(count, index, value, formats["date"])
                elif value is None:
                    pass
                elif kind is datetime.datetime:
                    date(count, index, timezone.localtime(value).replace(tzinfo=None), formats["datetime"])
                else:
                    text = str(value)
                    string(count, index, text, quoted if text.startswith(FORMULA_PREFIXES) else None)
        worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
        total += count
    workbook.close()
    return total


def pyexcelerate_writer(path: str, sheets) -> int:
    """PyExcelerate 0.13: the whole sheet is held in memory; a string starting with "=" is written as a
    formula unless its cell gets a style that forces inline text, so each such cell gets one."""
    from pyexcelerate import Fill, Font, Format, Panes, Style, Workbook
    from pyexcelerate.Color import Color
    from pyexcelerate.DataTypes import DataTypes

    workbook = Workbook()
    quoted = Style(data_type=DataTypes.INLINE_STRING, quote_prefix=True)
    total = 0
    for sheet in sheets:
        columns = sheet.columns
        data = [[str(column.header) for column in columns]]
        quoted_cells = []
        for count, row in enumerate(sheet.rows, start=2):
            cells = list(row)
            for index, value in enumerate(cells):
                if value.__class__ is str:
                    if value.startswith(FORMULA_PREFIXES):
                        quoted_cells.append((count, index + 1))
                elif value.__class__ is datetime.datetime:
                    cells[index] = timezone.localtime(value).replace(tzinfo=None)
            data.append(cells)
        worksheet = workbook.new_sheet(sheet.name[:31], data=data)
        for index, column in enumerate(columns, start=1):
            code = NUMBER_FORMATS.get(column.kind)
            worksheet.set_col_style(index, Style(size=column.width, format=Format(code) if code else None))
        worksheet.set_row_style(1, Style(font=Font(bold=True), fill=Fill(background=Color(0xF2, 0xE6, 0xE6))))
        for x, y in quoted_cells:
            worksheet.set_cell_style(x, y, quoted)
        worksheet.panes = Panes(0, 1)
        worksheet.auto_filter = True
        total += len(data) - 1
    workbook.save(path)
    return total


def rustpy_writer(path: str, sheets) -> int:
    """rustpy-xlsxwriter 0.8 (rust_xlsxwriter): rows as dicts keyed by header, formats per column,
    rows streamed from the iterator (constant memory); text columns quote-prefixed as a whole."""
    import rustpy_xlsxwriter as rx

    def column_format(kind: str):
        code = NUMBER_FORMATS.get(kind)
        return rx.Format().set_num_format(code) if code else rx.Format().set_quote_prefix()

    counts = []

    def records(sheet, keys, localise):
        count = 0
        for count, row in enumerate(sheet.rows, start=1):  # noqa: B007
            record = dict(zip(keys, row, strict=True))
            for key in localise:
                if record[key] is not None:
                    record[key] = timezone.localtime(record[key]).replace(tzinfo=None)
            yield record
        counts.append(count)

    entries, widths, formats, headers = [], {}, {}, {}
    for sheet in sheets:
        name = sheet.name[:31]
        keys = [str(column.header) for column in sheet.columns]
        localise = [key for key, column in zip(keys, sheet.columns, strict=True) if column.kind == "datetime"]
        entries.append((name, records(sheet, keys, localise)))
        widths[name] = [column.width for column in sheet.columns]
        formats[name] = [column_format(column.kind) for column in sheet.columns]
        headers[name] = rx.Format().set_bold().set_background_color("#F2E6E6").set_border("thin").set_quote_prefix()
    rx.write_worksheets(
        entries, path, freeze_panes={"general": {"row": 1, "col": 0}}, column_widths=widths,
        column_formats=formats, header_format=headers, autofilter={"general": True},
    )  # fmt: skip
    return sum(counts)


WRITERS = {
    "xlsxwriter constant_memory (before)": xlsxwriter_before,
    "xlsxwriter, tuned loop": xlsxwriter_tuned,
    "pyexcelerate 0.13.0": pyexcelerate_writer,
    "rustpy-xlsxwriter 0.8.0": rustpy_writer,
}
MODULES = {"pyexcelerate 0.13.0": "pyexcelerate"}  # a candidate only this benchmark needs


# --- steps, each run in a fresh process ---


def export_sheet() -> Sheet:
    admin = User.objects.get(username="admin")
    return retailer_export_sheets(admin, {})[1][0]


def peak_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the memory of this program alone, while Linux's
    ru_maxrss also carries the peak of the parent it was forked from (here: the seeder)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_step(step: str, path: str) -> dict:
    if step == "read list":
        started = time.perf_counter()
        rows = list(export_sheet().rows)
        return {"seconds": time.perf_counter() - started, "rows": len(rows), "peak_mb": peak_mb()}
    if step == "read iterator":
        started = time.perf_counter()
        count = sum(1 for _row in export_sheet().rows)
        return {"seconds": time.perf_counter() - started, "rows": count, "peak_mb": peak_mb()}
    if step.startswith("end to end"):
        writer = xlsxwriter_before if step.endswith("(before)") else write_xlsx
        started = time.perf_counter()
        count = writer(path, retailer_export_sheets(User.objects.get(username="admin"), {})[1])
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "rows": count, "peak_mb": peak_mb(), "file_mb": os.path.getsize(path) / 1e6}
    sheet = export_sheet()
    rows = list(sheet.rows)
    base = peak_mb()
    started = time.perf_counter()
    count = WRITERS[step](path, [Sheet(sheet.name, sheet.columns, iter(rows))])
    seconds = time.perf_counter() - started
    size = os.path.getsize(path) / 1e6
    return {"seconds": seconds, "rows": count, "peak_mb": peak_mb(), "base_mb": base, "file_mb": size}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=100_000)
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step in this process
    args = parser.parse_args()
    if args.step:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(run_step(args.step, str(Path(folder) / "export.xlsx"))))
        return

    call_command("migrate", verbosity=0)
    if Retailer.objects.count() < args.retailers:
        started = time.perf_counter()
        call_command("seed_demo", retailers=args.retailers, months=1, line_weeks=0, seed=1, reset=True, verbosity=0)
        print(f"seed_demo: {time.perf_counter() - started:.1f} s")
    print(f"database: {connection.vendor}; retailers: {Retailer.objects.count():,}")
    connection.close()

    missing = [step for step, module in MODULES.items() if importlib.util.find_spec(module) is None]
    for step in missing:
        print(f"{step}: not installed, skipped (.venv/bin/pip install {step.replace(' ', '==')})")
    writers = [step for step in WRITERS if step not in missing]
    steps = ["read list", "read iterator", *writers, "end to end (before)", "end to end"]
    results = {}
    for step in steps:
        command = [sys.executable, __file__, "--step", step]
        output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600).stdout  # noqa: S603
        results[step] = figures = json.loads(output.strip().splitlines()[-1])
        rate = figures["rows"] / figures["seconds"]
        extra = f", {figures['base_mb']:.0f} MB before writing" if "base_mb" in figures else ""
        size = f", file {figures['file_mb']:.1f} MB" if "file_mb" in figures else ""
        seconds, peak = figures["seconds"], figures["peak_mb"]
        print(f"{step:<40} {seconds:6.2f} s  {rate:9,.0f} rows/s  peak {peak:4.0f} MB{extra}{size}")
    base = results["xlsxwriter constant_memory (before)"]["seconds"]
    print("writers against xlsxwriter constant_memory (before), same rows:")
    for step in writers:
        print(f"  {step:<38} {base / results[step]['seconds']:5.1f}x as fast")
    before, after = results["end to end (before)"]["seconds"], results["end to end"]["seconds"]
    print(f"end to end: {before:.1f} s -> {after:.1f} s ({before / after:.1f}x); app writer: {write_xlsx.__module__}")


if __name__ == "__main__":
    main()
