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

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from retailers.models import BusinessType, CreditLevel, MarketType, Retailer, RetailerStatus, ServiceArea, ZoneType
from retailers.validators import (
    normalize_license_no,
    normalize_phone,
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


class _CellParser:
    """Parses one column's cells; lookups (areas, choices) are loaded once per import."""

    def __init__(self) -> None:
        self.areas = {}
        for pk, code, name in ServiceArea.objects.values_list("pk", "code", "name"):
            self.areas[code.lower()] = pk
            self.areas[name.lower()] = pk

    def parse(self, column: ImportColumn, raw: Any) -> Any:
        if column.kind == "date":
            try:
                return parse_date(raw)
            except ValueError as error:
                raise ValidationError(_("not a date (use 2025-03-01, 2025/3/1 or 2025年3月1日)")) from error
        text = clean_text(raw)
        if not text:
            return None
        if column.kind == "license":
            validate_license_no(text)
            return normalize_license_no(text)
        if column.kind == "phone":
            validate_phone(text)
            return normalize_phone(text)
        if column.kind == "credit":
            validate_credit_code(text)
            return text.upper()
        if column.kind == "choice":
            for code, label in column.choices:
                if text.lower() in (str(code).lower(), str(label).lower()):
                    return code
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s")
                % {"value": text, "choices": "、".join(str(label) for _code, label in column.choices)}
            )
        if column.kind == "area":
            area = self.areas.get(text.lower())
            if area is None:
                raise ValidationError(_("no service area with this code or name"))
            return area
        max_length = Retailer._meta.get_field(column.field).max_length
        if max_length and len(text) > max_length:
            raise ValidationError(_("longer than %(n)s characters") % {"n": max_length})
        return text


def check_rows(rows: list[list[Any]], columns: tuple[ImportColumn, ...] = RETAILER_COLUMNS) -> list[RowResult]:
    """Parse and validate every data row; each error names the row's column."""
    positions = map_headers(rows[0], columns)
    column_titles = {column.field: column.title for column in columns}
    parser = _CellParser()
    results, seen = [], {}
    for offset, row in enumerate(rows[1:], start=2):
        result = RowResult(row_number=offset)
        for column in columns:
            if column.field not in positions:
                continue
            raw = row[positions[column.field]] if positions[column.field] < len(row) else None
            try:
                value = parser.parse(column, raw)
            except ValidationError as error:
                result.errors.append(f"{column.title}：{' '.join(str(m) for m in error.messages)}")
                continue
            if value is None and column.required:
                required = _("required")
                result.errors.append(f"{column.title}：{required}")
                continue
            if value is not None:
                result.values[column.field] = value
        license_no = result.values.get("license_no")
        if license_no:
            if license_no in seen:
                message = _("the same licence is already in row %(row)s") % {"row": seen[license_no]}
                result.errors.append(f"{columns[0].title}：{message}")
            seen.setdefault(license_no, offset)
        issued, expires = result.values.get("license_issued_on"), result.values.get("license_expires_on")
        if issued and expires and issued > expires:
            late = _("after the expiry date")
            result.errors.append(f"{column_titles['license_issued_on']}：{late}")
        results.append(result)
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
