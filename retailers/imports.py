"""Reading and checking master-data spreadsheets: the retailer import's column map, cell parsing
(Excel dates, 2025/3/1, 2025年3月1日, full-width characters), per-row validation with messages
that name the column, and the plan (create / update with field changes / unchanged).

Nothing here writes to the database: `retailer_import_plan` is the dry run, and the service
`retailer_import_apply` in services.py carries out a plan.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from retailers.models import BusinessType, CreditLevel, MarketType, Retailer, RetailerStatus, ServiceArea, ZoneType
from retailers.validators import (
    LANDLINE_RE,
    LICENSE_RE,
    MOBILE_RE,
    to_half_width,
    validate_credit_code,
    validate_license_no,
    validate_phone,
)

MAX_ROWS = 200_000


class ImportRefused(Exception):
    """The file as a whole cannot be read (not a spreadsheet, protected, no header …)."""


@dataclass(frozen=True)
class ImportColumn:
    field: str
    headers: tuple[str, ...]  # accepted headers, Chinese first (the template's), then English
    kind: str = "text"  # text | date | choice | area | phone | license | credit
    required: bool = False
    choices: tuple = ()

    @property
    def title(self) -> str:
        return self.headers[0]


RETAILER_COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("license_no", ("许可证号", "licence number", "license number", "license_no"), "license", True),
    ImportColumn("name", ("店名", "shop name", "name"), required=True),
    ImportColumn("owner_name", ("负责人", "owner"), required=True),
    ImportColumn("phone", ("电话", "phone"), "phone", True),
    ImportColumn("address", ("经营地址", "address"), required=True),
    ImportColumn("license_expires_on", ("许可证有效期至", "licence expires on", "license expires on"), "date", True),
    ImportColumn("license_issued_on", ("许可证发证日期", "licence issued on", "license issued on"), "date"),
    ImportColumn("business_type", ("业态", "business type"), "choice", True, tuple(BusinessType.choices)),
    ImportColumn("market_type", ("市场类型", "market type"), "choice", True, tuple(MarketType.choices)),
    ImportColumn("zone_type", ("商圈", "business circle"), "choice", True, tuple(ZoneType.choices)),
    ImportColumn("service_area", ("营销片区", "service area"), "area", True),
    ImportColumn("status", ("状态", "status"), "choice", False, tuple(RetailerStatus.choices)),
    ImportColumn("credit_level", ("信用等级", "credit level"), "choice", False, tuple(CreditLevel.choices)),
    ImportColumn("credit_code", ("统一社会信用代码", "unified social credit code", "credit code"), "credit"),
    ImportColumn("partner_since", ("建档日期", "partner since"), "date"),
)
EXAMPLE_ROW = (
    "320102100123", "王记便利店", "王建国", "13912345678", "玄武区中山路1号", "2030-06-30", "2025-07-01",
    "便利店", "城镇", "居民区", "A0001", "正常", "A", "", "2019-03-01",
)  # fmt: skip

DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def normalise_header(value: Any) -> str:
    return re.sub(r"\s+", " ", to_half_width(str(value or ""))).strip().lower()


def clean_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13912345678 read as a number
    return to_half_width(str(value)).strip()


def parse_date(value: Any) -> datetime.date | None:
    """A date from an Excel date cell, an Excel serial number, or text such as 2025-03-01,
    2025/3/1 or 2025年3月1日. Raises ValueError for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and 1 <= value < 2_958_466:
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = clean_text(value)
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    raise ValueError(text)


def read_sheet(path: str | Path) -> list[list[Any]]:
    """Every row of the first sheet, or ImportRefused with a message for the user."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=True)
    except PasswordError as error:
        raise ImportRefused(_("The file is password-protected; save it without a password and try again.")) from error
    except (CalamineError, ValueError, OSError) as error:
        raise ImportRefused(
            _("This file is not a spreadsheet Excel can open (.xlsx, .xls, .ods), or it is damaged.")
        ) from error
    rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
    if not rows:
        raise ImportRefused(_("The sheet is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRefused(_("At most %(n)s rows can be imported at once.") % {"n": f"{MAX_ROWS:,}"})
    return rows


def map_headers(header_row: list[Any], columns: tuple[ImportColumn, ...]) -> dict[str, int]:
    """field -> position in the sheet; order and extra columns do not matter."""
    accepted = {normalise_header(header): column.field for column in columns for header in column.headers}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header_row):
        field_name = accepted.get(normalise_header(cell))
        if field_name and field_name not in positions:
            positions[field_name] = index
    missing = [column.title for column in columns if column.required and column.field not in positions]
    if not positions:
        raise ImportRefused(_("No header row found: the first row must hold the column names of the template."))
    if missing:
        raise ImportRefused(_("Missing columns: %(columns)s") % {"columns": "、".join(missing)})
    return positions


@dataclass
class RowResult:
    row_number: int  # as Excel shows it (the header is row 1)
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    action: str = ""  # create | update | unchanged
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def _messages(validator, sample: str) -> str:
    """The message a validator gives (in the active language), asked once per import."""
    try:
        validator(sample)
    except ValidationError as error:
        return " ".join(str(message) for message in error.messages)
    return ""


def _as_text(raw: list[Any]) -> pd.Series:
    """Cells as normalised text, column at a time: numbers without '.0', full-width to ASCII, trimmed."""
    texts = pd.Series(
        ["" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in raw],
        dtype=object,
    )
    return texts.str.normalize("NFKC").str.strip()


class _ColumnChecker:
    """Checks a whole column at once (vectorised text work, lookups loaded once per import) and
    returns the parsed values and, per bad row, the message."""

    def __init__(self) -> None:
        self.areas = {}
        for pk, code, name in ServiceArea.objects.values_list("pk", "code", "name"):
            self.areas[code.lower()] = pk
            self.areas[name.lower()] = pk

    def check(self, column: ImportColumn, raw: list[Any]) -> tuple[list[Any], dict[int, str]]:
        if column.kind == "date":
            return self._dates(raw)
        text = _as_text(raw)
        empty = text == ""
        bad = pd.Series(False, index=text.index)
        message: str | pd.Series = ""
        values: pd.Series = text
        if column.kind == "license":
            values = text.str.replace(r"[\s\-]", "", regex=True)
            bad = ~empty & ~values.str.fullmatch(LICENSE_RE.pattern)
            message = _messages(validate_license_no, "x")
        elif column.kind == "phone":
            values = text.str.replace(r"[\s()（）]", "", regex=True).str.replace(r"^(\+86|0086)", "", regex=True)
            bad = ~empty & ~(values.str.fullmatch(MOBILE_RE.pattern) | values.str.fullmatch(LANDLINE_RE.pattern))
            message = _messages(validate_phone, "x")
        elif column.kind == "credit":
            values = text.str.upper()
            message = values.where(~empty, "").map(lambda code: _messages(validate_credit_code, code) if code else "")
            bad = message != ""
        elif column.kind == "choice":
            lookup = {str(key).lower(): code for code, label in column.choices for key in (code, label)}
            values = text.str.lower().map(lookup)
            bad = ~empty & values.isna()
            allowed = "、".join(str(label) for _code, label in column.choices)
            template = _("“%(value)s” is not one of: %(choices)s")
            message = text.where(bad, "").map(lambda value: template % {"value": value, "choices": allowed})
        elif column.kind == "area":
            values = text.str.lower().map(self.areas)
            bad = ~empty & values.isna()
            message = _("no service area with this code or name")
        else:
            max_length = Retailer._meta.get_field(column.field).max_length
            bad = text.str.len() > max_length
            message = _("longer than %(n)s characters") % {"n": max_length}
        parsed = values.where(~empty & ~bad, None).tolist()
        bad_rows = bad[bad].index
        if isinstance(message, pd.Series):
            return parsed, {int(i): message[i] for i in bad_rows}
        return parsed, dict.fromkeys((int(i) for i in bad_rows), message)

    @staticmethod
    def _dates(raw: list[Any]) -> tuple[list[Any], dict[int, str]]:
        parsed, bad, cache = [], {}, {}
        message = _("not a date (use 2025-03-01, 2025/3/1 or 2025年3月1日)")
        for index, value in enumerate(raw):
            key = value if isinstance(value, str | int | float) else repr(value)
            if key not in cache:
                try:
                    cache[key] = (parse_date(value), False)
                except ValueError:
                    cache[key] = (None, True)
            date, failed = cache[key]
            parsed.append(date)
            if failed:
                bad[index] = message
        return parsed, bad


def check_rows(rows: list[list[Any]], columns: tuple[ImportColumn, ...] = RETAILER_COLUMNS) -> list[RowResult]:
    """Parse and validate every data row, a column at a time; each error names its column."""
    positions = map_headers(rows[0], columns)
    data = rows[1:]
    results = [RowResult(row_number=offset) for offset in range(2, len(data) + 2)]
    checker = _ColumnChecker()
    required = _("required")
    for column in columns:
        if column.field not in positions:
            continue
        position = positions[column.field]
        parsed, bad = checker.check(column, [row[position] if position < len(row) else None for row in data])
        for index, (result, value) in enumerate(zip(results, parsed, strict=True)):
            if index in bad:
                result.errors.append(f"{column.title}：{bad[index]}")
            elif value is None:
                if column.required:
                    result.errors.append(f"{column.title}：{required}")
            else:
                result.values[column.field] = value
    titles = {column.field: column.title for column in columns}
    seen: dict[str, int] = {}
    late = _("after the expiry date")
    for result in results:
        license_no = result.values.get("license_no")
        if license_no:
            if license_no in seen:
                message = _("the same licence is already in row %(row)s") % {"row": seen[license_no]}
                result.errors.append(f"{titles['license_no']}：{message}")
            seen.setdefault(license_no, result.row_number)
        issued, expires = result.values.get("license_issued_on"), result.values.get("license_expires_on")
        if issued and expires and issued > expires:
            result.errors.append(f"{titles['license_issued_on']}：{late}")
    return results


def plan_changes(results: list[RowResult]) -> None:
    """Mark each valid row create / update (with its field changes) / unchanged, against the
    retailers already there (one query)."""
    licences = [result.values["license_no"] for result in results if not result.errors]
    fields = sorted({name for result in results for name in result.values} - {"license_no", "service_area"})
    existing = {
        row["license_no"]: row
        for row in Retailer.objects.filter(license_no__in=licences).values(
            "pk", "license_no", "service_area_id", *fields
        )
    }
    for result in results:
        if result.errors:
            continue
        current = existing.get(result.values["license_no"])
        if current is None:
            result.action = "create"
            continue
        result.values["pk"] = current["pk"]
        for name, value in result.values.items():
            if name in ("pk", "license_no"):
                continue
            key = "service_area_id" if name == "service_area" else name
            if current[key] != value:
                result.changes[name] = (current[key], value)
        result.action = "update" if result.changes else "unchanged"
