"""Excel export shared by every list: typed cells, Chinese headers, frozen header row, autofilter,
formula injection defused, bounded memory (xlsxwriter constant_memory), and an ExportLog row."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str | Promise
    width: int = 14
    kind: str = "text"  # text | number | money | date | datetime | percent


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]


def write_xlsx(path: str, sheets: Sequence[Sheet]) -> int:
    """Write the sheets one after the other (constant memory) and return the number of data rows."""
    workbook = xlsxwriter.Workbook(
        path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#F2E6E6", "border": 1}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "number": workbook.add_format({"num_format": "0"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        # Text that Excel would take for a formula is marked quote-prefixed: shown and kept as text.
        "quoted": workbook.add_format({"quote_prefix": True}),
    }
    total = sum(_write_sheet(workbook.add_worksheet(sheet.name[:31]), sheet, formats) for sheet in sheets)
    workbook.close()
    return total


def _write_sheet(worksheet, sheet: Sheet, formats: dict) -> int:
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
    return count


def xlsx_download(
    *, user, kind: str, filename: str, sheets: Sequence[Sheet], filters: dict | None = None
) -> FileResponse:
    """Write the workbook to a temporary file, log the export, and stream the file back."""
    from crm_site.models import ExportLog

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the FileResponse)
    count = write_xlsx(handle.name, sheets)
    ExportLog.objects.create(user=user, kind=kind, filters=filters or {}, row_count=count)
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(handle, as_attachment=True, filename=f"{filename}-{stamp}.xlsx")
