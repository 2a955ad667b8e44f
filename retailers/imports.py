"""Reading and checking master-data spreadsheets, one kind of sheet at a time: retailers,
products, orders (a row per order line) and compliance findings.

Each kind is a column map (Chinese template headers first, English accepted too) and two
functions: cross-row rules, and the plan (which rows create, update or leave a record as it is,
matched on the natural key). Cells are parsed and checked a column at a time with pandas, so a
100,000-row sheet is checked in about a second; every message names its column, in the UI
language. Nothing here writes: `import_check` is the dry run, and `retailers.services.import_apply`
carries out a checked sheet.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from retailers.models import (
    BusinessType,
    ComplianceKind,
    ComplianceRecord,
    CreditLevel,
    ImportJob,
    MarketType,
    Order,
    OrderLine,
    PriceClass,
    Product,
    Retailer,
    RetailerStatus,
    ServiceArea,
    Severity,
    ZoneType,
)
from retailers.validators import LANDLINE_RE, LICENSE_RE, MOBILE_RE, to_half_width, validate_credit_code

EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows below the header
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is fine
CHUNK = 5_000  # keys per IN (…) query
INTERN_SAMPLE = 1_000  # rows read before deciding which columns repeat enough to share their values
SEPARATOR = "；"


class ImportRefused(Exception):
    """The file as a whole cannot be read (not a spreadsheet, protected, no header …)."""


@dataclass(frozen=True)
class ImportColumn:
    field: str
    headers: tuple[str, ...]  # accepted headers, Chinese first (the template's), then English
    # text | date | choice | decimal | integer | boolean | phone | license | credit | area | retailer | product
    kind: str = "text"
    required: bool = False
    choices: type[models.Choices] | None = None
    model: type[models.Model] | None = None  # whose field gives lengths and digits; the kind's model by default

    @property
    def title(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class ImportKind:
    key: str  # one of ImportJob.Kind
    model: type[models.Model]
    columns: tuple[ImportColumn, ...]
    example: tuple
    preview_fields: tuple[str, str]  # the key and a label shown for each row of the preview
    check: Callable[[CheckedSheet], None]  # rules across rows and columns
    plan: Callable[[CheckedSheet], None]  # create / update / unchanged against the database
    note: str | Promise = ""  # what the upload form says about this kind
    max_rows: int = 200_000

    @property
    def label(self) -> str:
        return str(ImportJob.Kind(self.key).label)

    def column_title(self, field_name: str) -> str:
        return next(column.title for column in self.columns if column.field == field_name)

    def model_field(self, column: ImportColumn) -> models.Field:
        return (column.model or self.model)._meta.get_field(column.field)


@dataclass
class SheetData:
    columns: dict[str, list]  # field -> cell values of the data rows
    row_numbers: list[int]  # each data row's number as Excel shows it
    header_row: int


@dataclass
class CheckedSheet:
    """The parsed values (None where a cell is empty or wrong), the errors of each row, and after
    planning each row's action and the id of the record it matches. Positions are 0…n-1; the
    Excel row number of position i is row_numbers[i]."""

    kind: ImportKind
    values: pd.DataFrame
    row_numbers: np.ndarray
    errors: pd.Series  # "" or "column：message；column：message；"
    header_row: int = 1
    action: pd.Series = None  # create | update | unchanged | "" (invalid)
    pk: pd.Series = None  # id of the matched record, or NaN
    group: pd.Series = None  # rows that make one record (an order's lines); a row is its own group elsewhere
    current: pd.DataFrame = None  # the matched records' present values, aligned with values (for the preview)

    def __post_init__(self) -> None:
        n = len(self.values)
        self.action = pd.Series("", index=self.values.index, dtype=object)
        self.pk = pd.Series(np.nan, index=self.values.index)
        self.group = pd.Series(np.arange(n), index=self.values.index)

    @property
    def valid(self) -> pd.Series:
        return self.errors == ""

    def flag(self, bad: pd.Series, title: str, message: str | pd.Series) -> None:
        """Add `title：message` to the rows where `bad` holds."""
        if not bad.any():
            return
        text = message[bad] if isinstance(message, pd.Series) else message
        self.errors[bad] = self.errors[bad] + f"{title}：" + text + SEPARATOR

    def error_list(self, position: int) -> list[str]:
        return [part for part in self.errors.iat[position].split(SEPARATOR) if part]

    def title(self, field_name: str) -> str:
        return self.kind.column_title(field_name)

    def records(self, action: str) -> int:
        """How many records (shops, products, orders, findings) the rows with this action make."""
        return int(self.group[self.action == action].nunique())

    def changes(self, position: int) -> dict[str, tuple[Any, Any]]:
        """Field by field, what an update row changes (for the preview)."""
        if self.current is None or position not in self.current.index:
            return {}
        found: dict[str, tuple[Any, Any]] = {}
        for name in self.current.columns:
            if name in self.values.columns:
                new, old = self.values.at[position, name], self.current.at[position, name]
                if new is not None and new != old:
                    found[name] = (old, new)
        return found


# ------------------------------------------------------------------------------ reading


def _workbook_sheet(path: str | Path):
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except PasswordError as error:
        raise ImportRefused(_("The file is password-protected; save it without a password and try again.")) from error
    except (CalamineError, ValueError, OSError, IndexError) as error:
        raise ImportRefused(
            _("This file is not a spreadsheet Excel can open (.xlsx, .xls, .ods), or it is damaged.")
        ) from error


def _empty(cell: Any) -> bool:
    return cell is None or cell == ""


def sheet_rows(path: str | Path) -> Iterable[tuple[int, list]]:
    """(Excel row number, cells) of every non-empty row of the first sheet."""
    from python_calamine import CalamineError

    sheet = _workbook_sheet(path)
    try:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if not all(_empty(cell) for cell in row):
                yield number, row
    except (CalamineError, ValueError) as error:
        raise ImportRefused(_("The sheet could not be read to the end; the file is damaged.")) from error


def normalise_header(value: Any) -> str:
    return re.sub(r"\s+", " ", to_half_width(str(value or ""))).strip().lower()


def map_headers(header_row: list[Any], columns: tuple[ImportColumn, ...]) -> dict[str, int]:
    """field -> position in the sheet; order and extra columns do not matter."""
    accepted = {normalise_header(header): column.field for column in columns for header in column.headers}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header_row):
        field_name = accepted.get(normalise_header(cell))
        if field_name and field_name not in positions:
            positions[field_name] = index
    return positions


def read_sheet(path: str | Path, kind: ImportKind) -> SheetData:
    """The columns the kind knows, from the first sheet, read once; ImportRefused with a message
    for the user when the file cannot be read, has no header row or misses a required column."""
    rows = iter(sheet_rows(path))
    first_rows = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    best: tuple[int, dict[str, int]] | None = None
    for number, row in first_rows:
        positions = map_headers(row, kind.columns)
        if positions and (best is None or len(positions) > len(best[1])):
            best = (number, positions)
    if best is None:
        raise ImportRefused(_("No header row found: the first row must hold the column names of the template."))
    header_number, positions = best
    missing = [column.title for column in kind.columns if column.required and column.field not in positions]
    if missing:
        raise ImportRefused(_("Missing columns: %(columns)s") % {"columns": "、".join(missing)})
    fields, places = list(positions), list(positions.values())
    columns: list[list] = [[] for _ in fields]
    # Columns whose values repeat (dates, areas, kinds …) keep one object per distinct value.
    distinct: list[dict | None] = [{} for _ in fields]
    numbers: list[int] = []
    for number, row in itertools.chain(first_rows, rows):
        if number <= header_number:
            continue
        width = len(row)
        cells = [row[place] if place < width else None for place in places]
        if all(_empty(cell) for cell in cells):
            continue
        for column, seen, cell in zip(columns, distinct, cells, strict=True):
            column.append(cell if seen is None else seen.setdefault(cell, cell))
        numbers.append(number)
        if len(numbers) == INTERN_SAMPLE:
            distinct = [None if seen is None or len(seen) > INTERN_SAMPLE // 10 else seen for seen in distinct]
        if len(numbers) > kind.max_rows:
            raise ImportRefused(_("At most %(n)s rows can be imported at once.") % {"n": f"{kind.max_rows:,}"})
    if not numbers:
        raise ImportRefused(_("The sheet has a header row but no data rows."))
    return SheetData(columns=dict(zip(fields, columns, strict=True)), row_numbers=numbers, header_row=header_number)


# ------------------------------------------------------------------------------ cells

DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = datetime.date(1899, 12, 30)
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "无"}


def parse_date(value: Any) -> datetime.date | None:
    """A date from an Excel date cell, an Excel serial number, or text such as 2025-03-01,
    2025/3/1 or 2025年3月1日 (full-width digits too). Raises ValueError for anything else."""
    if _empty(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and 1 <= value < 2_958_466:
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = to_half_width(str(value)).strip().split(" ")[0]
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    raise ValueError(text)


# Full-width digits, letters and the ideographic space, as Chinese input methods type them; free
# text keeps its full-width punctuation (王记（新店）), codes and numbers are folded entirely.
FULL_WIDTH_ALPHANUMERICS = str.maketrans(
    {
        0x3000: " ",
        **{code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))},
    }
)


def cell_text(value: Any) -> str:
    """A cell as it reads: '' for an empty one, 13912345678 (not 13912345678.0) for a whole number."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_text(raw: list[Any], *, fold: str = "all") -> pd.Series:
    """Cells as normalised text, column at a time: numbers without '.0', full-width characters to
    ASCII (all of them, or with fold="alphanumerics" only digits, letters and spaces), trimmed."""
    texts = pd.Series([cell_text(value) for value in raw], dtype=object)
    if fold == "all":
        return texts.str.normalize("NFKC").str.strip()
    return texts.str.translate(FULL_WIDTH_ALPHANUMERICS).str.strip()


def _validator_message(validator, sample: str) -> str:
    """The message a validator gives (in the active language)."""
    from django.core.exceptions import ValidationError

    try:
        validator(sample)
    except ValidationError as error:
        return " ".join(str(message) for message in error.messages)
    return ""


def _choice_lookup(choices: type[models.Choices]) -> dict[str, Any]:
    """Codes and labels, in Chinese and in English, folded and lower case -> code. A label with a
    short name in brackets, such as 跨区域销售（串货）, is found by 串货 too."""
    lookup: dict[str, Any] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in choices.choices:
                text = to_half_width(str(label)).lower()
                lookup[text] = code
                short = re.fullmatch(r".+\((.+)\)", text)
                if short:
                    lookup.setdefault(short.group(1), code)
    for code in choices.values:
        lookup[str(code).lower()] = code
    return lookup


def _decimal_text(raw: list[Any], places: int) -> pd.Series:
    """Numbers as text; a float that Excel stored as 12.299999999 is read as 12.30."""
    scale = 10**places
    return _as_text(
        [f"{v:.{places}f}" if isinstance(v, float) and abs(v * scale - round(v * scale)) < 1e-6 else v for v in raw]
    ).str.replace(r"[,，¥￥元\s]", "", regex=True)


@dataclass
class _Parsed:
    values: pd.Series  # parsed values; anything where the cell is empty or bad is ignored
    bad: pd.Series  # bool
    message: str | pd.Series = ""


class _Cells:
    """Parses one column at a time. Lookups (service areas, retailers, products) are loaded once
    per sheet, for the keys the sheet holds."""

    def __init__(self, kind: ImportKind) -> None:
        self.kind = kind

    def parse(self, column: ImportColumn, raw: list[Any]) -> tuple[pd.Series, pd.Series, str | pd.Series]:
        if column.kind == "date":
            parsed = self.dates(raw)
            return parsed.values, _empty_mask(raw), parsed.bad, parsed.message
        text = _as_text(raw, fold="alphanumerics" if column.kind == "text" else "all")
        if column.kind == "decimal":
            field_ = self.kind.model_field(column)
            text = _decimal_text(raw, field_.decimal_places)
            parsed = self.decimals(text, field_)
        else:
            parsed = getattr(self, column.kind)(text, column)
        return parsed.values, text == "", parsed.bad, parsed.message

    def text(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        max_length = self.kind.model_field(column).max_length
        if max_length is None:
            return _Parsed(text, pd.Series(False, index=text.index))
        return _Parsed(text, text.str.len() > max_length, _("longer than %(n)s characters") % {"n": max_length})

    def license(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        values = text.str.replace(r"[\s\-]", "", regex=True)
        return _Parsed(values, (text != "") & ~values.str.fullmatch(LICENSE_RE.pattern), _("must be 12 or 15 digits"))

    def phone(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        values = text.str.replace(r"[\s()（）]", "", regex=True).str.replace(r"^(\+86|0086)", "", regex=True)
        ok = values.str.fullmatch(MOBILE_RE.pattern) | values.str.fullmatch(LANDLINE_RE.pattern)
        message = _("a mobile number (11 digits starting with 1) or a landline such as 025-84561234")
        return _Parsed(values, (text != "") & ~ok, message)

    def credit(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        values = text.str.upper()
        message = values.map(lambda code: _validator_message(validate_credit_code, code) if code else "")
        return _Parsed(values, message != "", message)

    def choice(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        lookup = _choice_lookup(column.choices)
        values = pd.Series([lookup.get(value) for value in text.str.lower()], dtype=object)
        bad = (text != "") & values.isna()
        allowed = "、".join(str(label) for _code, label in column.choices.choices)
        template = _("“%(value)s” is not one of: %(choices)s")
        message = text[bad].map(lambda value: template % {"value": value, "choices": allowed})
        return _Parsed(values, bad, message.reindex(text.index, fill_value=""))

    def boolean(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        lowered = text.str.lower()
        values = pd.Series(np.where(lowered.isin(TRUE_WORDS), True, np.where(lowered.isin(FALSE_WORDS), False, None)))
        return _Parsed(values, (text != "") & values.isna(), _("write 是 (yes) or 否 (no)"))

    def integer(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        numbers = pd.to_numeric(text.where(text.str.fullmatch(r"\d+"), None), errors="coerce")
        bad = (text != "") & (numbers.isna() | (numbers < 1) | (numbers > 1_000_000))
        return _Parsed(numbers.astype("Int64").astype(object), bad, _("a whole number from 1 to 1,000,000"))

    def decimals(self, text: pd.Series, field_: models.DecimalField) -> _Parsed:
        pattern = rf"\d{{1,{field_.max_digits - field_.decimal_places}}}(\.\d{{1,{field_.decimal_places}}})?"
        ok = text.str.fullmatch(pattern)
        unique = {
            value: Decimal(value).quantize(Decimal(1).scaleb(-field_.decimal_places)) for value in text[ok].unique()
        }
        message = _("a number ≥ 0 with at most %(places)s decimals") % {"places": field_.decimal_places}
        return _Parsed(text.map(unique), (text != "") & ~ok, message)

    def area(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        lookup = {}
        for pk, code, name in ServiceArea.objects.values_list("pk", "code", "name"):
            lookup[name.lower()] = pk
            lookup[code.lower()] = pk
        values = text.str.lower().map(lookup).astype("Int64")
        return _Parsed(values, (text != "") & values.isna(), _("no service area with this code or name"))

    def retailer(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        licences = text.str.replace(r"[\s\-]", "", regex=True)
        ids = ids_by_key(Retailer, "license_no", licences[licences != ""].unique())
        values = licences.map(ids).astype("Int64")
        return _Parsed(values, (text != "") & values.isna(), _("no retailer with this licence number"))

    def product(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        codes = dict(Product.objects.values_list("code", "pk"))
        values = text.map(codes).astype("Int64")
        return _Parsed(values, (text != "") & values.isna(), _("no product with this code"))

    @staticmethod
    def dates(raw: list[Any]) -> _Parsed:
        cache: dict[Any, Any] = {}
        parsed, bad = [], []
        for value in raw:
            key = value if isinstance(value, str | int | float) else repr(value)
            if key not in cache:
                try:
                    cache[key] = parse_date(value)
                except ValueError:
                    cache[key] = ValueError
            result = cache[key]
            bad.append(result is ValueError)
            parsed.append(None if result is ValueError else result)
        message = _("not a date (use 2025-03-01, 2025/3/1 or 2025年3月1日)")
        return _Parsed(pd.Series(parsed, dtype=object), pd.Series(bad, dtype=bool), message)


def _empty_mask(raw: list[Any]) -> pd.Series:
    return pd.Series([_empty(value) for value in raw], dtype=bool)


def ids_by_key(model: type[models.Model], key: str, keys: Iterable) -> dict[Any, int]:
    """key -> id for the given keys, a few thousand per query."""
    keys = list(keys)
    found: dict[Any, int] = {}
    for start in range(0, len(keys), CHUNK):
        found.update(model._base_manager.filter(**{f"{key}__in": keys[start : start + CHUNK]}).values_list(key, "pk"))
    return found


def check_sheet(sheet: SheetData, kind: ImportKind) -> CheckedSheet:
    """Parse and validate every data row, a column at a time, then the kind's cross-row rules."""
    n = len(sheet.row_numbers)
    errors = pd.Series("", index=range(n), dtype=object)
    checked = CheckedSheet(
        kind=kind,
        values=pd.DataFrame(index=range(n)),
        row_numbers=np.array(sheet.row_numbers),
        errors=errors,
        header_row=sheet.header_row,
    )
    cells = _Cells(kind)
    required = _("required")
    for column in kind.columns:
        if column.field not in sheet.columns:
            continue
        values, empty, bad, message = cells.parse(column, sheet.columns[column.field])
        values.index = errors.index
        empty.index = bad.index = errors.index
        if isinstance(message, pd.Series):
            message.index = errors.index
        checked.flag(bad, column.title, message)
        if column.required:
            checked.flag(empty, column.title, required)
        checked.values[column.field] = values.astype(object).where(~empty & ~bad, None)
    kind.check(checked)
    return checked


def import_check(path: str | Path, kind: ImportKind) -> CheckedSheet:
    """The dry run: read, check and plan; nothing is written."""
    checked = check_sheet(read_sheet(path, kind), kind)
    kind.plan(checked)
    return checked


# ------------------------------------------------------------------------------ shared rules


def _flag_repeats(checked: CheckedSheet, keys: pd.Series, title: str, message: str) -> None:
    """Rows whose key already stands in an earlier row (the message gets that row as %(row)s)."""
    present = keys.notna()
    shown = keys[present]
    repeated = shown.duplicated(keep="first")
    if not repeated.any():
        return
    first_row = pd.Series(checked.row_numbers[present.to_numpy()], index=shown.index).groupby(shown).transform("min")
    texts = first_row[repeated].map(lambda row: message % {"row": row})
    bad = pd.Series(False, index=keys.index)
    bad[texts.index] = True
    checked.flag(bad, title, texts.reindex(keys.index, fill_value=""))


def _present_values(model: type[models.Model], key: str, fields: list[str]) -> Callable[[list], pd.DataFrame]:
    """A fetcher: keys -> the current values of the records with these keys, indexed by key."""
    names = ["pk", key, *fields]

    def fetch(keys: list) -> pd.DataFrame:
        rows = model._base_manager.filter(**{f"{key}__in": keys}).values_list(*names)
        return pd.DataFrame.from_records(list(rows), columns=names).drop_duplicates(key).set_index(key)

    return fetch


def _plan_against(checked: CheckedSheet, keys: pd.Series, fetch: Callable[[list], pd.DataFrame]) -> None:
    """create where no record has the key; update where a non-empty cell differs; unchanged
    otherwise. Records are fetched and compared a chunk of keys at a time, so memory stays bounded;
    the present values are kept only for the rows that change (for the preview)."""
    values, valid = checked.values, checked.valid
    keys = keys.where(valid)
    pk = pd.Series(np.nan, index=values.index)
    changed = pd.Series(False, index=values.index)
    kept: list[pd.DataFrame] = []
    distinct = keys.dropna().unique().tolist()
    for start in range(0, len(distinct), CHUNK):
        present = fetch(distinct[start : start + CHUNK])
        rows = keys.isin(present.index)
        current = present.reindex(keys[rows].tolist())
        current.index = values.index[rows]
        pk[rows] = current["pk"]
        differs = pd.Series(False, index=current.index)
        for name in present.columns.drop("pk"):
            if name in values.columns:
                new = values.loc[rows, name]
                differs |= (new.notna() & (new != current[name])).astype(bool)
        changed[rows] = differs.to_numpy(dtype=bool)
        kept.append(current[differs].drop(columns="pk"))
    matched = pk.notna()
    checked.pk = pk
    checked.action = pd.Series(
        np.select([~valid, ~matched, changed], ["", "create", "update"], "unchanged"), index=values.index
    )
    checked.current = pd.concat(kept) if kept else None


# ------------------------------------------------------------------------------ retailers

RETAILER_FIELDS = [
    "name", "owner_name", "phone", "address", "license_expires_on", "license_issued_on", "business_type",
    "market_type", "zone_type", "service_area_id", "status", "credit_level", "credit_code", "partner_since",
]  # fmt: skip


def _retailer_rules(checked: CheckedSheet) -> None:
    values = checked.values
    _flag_repeats(
        checked, values["license_no"], checked.title("license_no"), _("the same licence is already in row %(row)s")
    )
    if "license_issued_on" in values:
        issued, expires = values["license_issued_on"], values["license_expires_on"]
        late = issued.notna() & expires.notna()
        late[late] = issued[late] > expires[late]
        checked.flag(late, checked.title("license_issued_on"), _("after the expiry date"))


def _retailer_plan(checked: CheckedSheet) -> None:
    checked.values = checked.values.rename(columns={"service_area": "service_area_id"})
    fields = [name for name in RETAILER_FIELDS if name in checked.values.columns]
    _plan_against(checked, checked.values["license_no"], _present_values(Retailer, "license_no", fields))


RETAILERS = ImportKind(
    key="retailers",
    model=Retailer,
    columns=(
        ImportColumn("license_no", ("许可证号", "licence number", "license number", "license_no"), "license", True),
        ImportColumn("name", ("店名", "shop name", "name"), required=True),
        ImportColumn("owner_name", ("负责人", "owner"), required=True),
        ImportColumn("phone", ("电话", "phone"), "phone", True),
        ImportColumn("address", ("经营地址", "address"), required=True),
        ImportColumn(
            "license_expires_on", ("许可证有效期至", "licence expires on", "license expires on"), "date", True
        ),
        ImportColumn("license_issued_on", ("许可证发证日期", "licence issued on", "license issued on"), "date"),
        ImportColumn("business_type", ("业态", "business type"), "choice", True, BusinessType),
        ImportColumn("market_type", ("市场类型", "market type"), "choice", True, MarketType),
        ImportColumn("zone_type", ("商圈", "business circle"), "choice", True, ZoneType),
        ImportColumn("service_area", ("营销片区", "service area"), "area", True),
        ImportColumn("status", ("状态", "status"), "choice", False, RetailerStatus),
        ImportColumn("credit_level", ("信用等级", "credit level"), "choice", False, CreditLevel),
        ImportColumn("credit_code", ("统一社会信用代码", "unified social credit code", "credit code"), "credit"),
        ImportColumn("partner_since", ("建档日期", "partner since"), "date"),
    ),
    example=(
        "320102100123",
        "王记便利店",
        "王建国",
        "13912345678",
        "玄武区中山路1号",
        "2030-06-30",
        "2025-07-01",
        "便利店",
        "城镇",
        "居民区",
        "A0001",
        "正常",
        "A",
        "",
        "2019-03-01",
    ),
    preview_fields=("license_no", "name"),
    check=_retailer_rules,
    plan=_retailer_plan,
    note=gettext_lazy("Rows are matched on the licence number."),
)

# ------------------------------------------------------------------------------ products

PRODUCT_FIELDS = [
    "brand", "name", "price_class", "wholesale_price", "retail_price", "tar_mg", "is_high_end", "launched_on",
    "is_scarce", "is_active",
]  # fmt: skip


def _product_rules(checked: CheckedSheet) -> None:
    values = checked.values
    _flag_repeats(checked, values["code"], checked.title("code"), _("the same product code is already in row %(row)s"))
    wholesale, retail = values["wholesale_price"], values["retail_price"]
    checked.flag(wholesale.notna() & (wholesale == 0), checked.title("wholesale_price"), _("must be more than 0"))
    both = wholesale.notna() & retail.notna()
    below = both.copy()
    below[both] = retail[both] < wholesale[both]
    checked.flag(below, checked.title("retail_price"), _("below the wholesale price"))


def _product_plan(checked: CheckedSheet) -> None:
    fields = [name for name in PRODUCT_FIELDS if name in checked.values.columns]
    _plan_against(checked, checked.values["code"], _present_values(Product, "code", fields))


PRODUCTS = ImportKind(
    key="products",
    model=Product,
    columns=(
        ImportColumn("code", ("卷烟编码", "product code", "code"), required=True),
        ImportColumn("brand", ("品牌", "brand"), required=True),
        ImportColumn("name", ("规格名称", "name", "product name"), required=True),
        ImportColumn("price_class", ("价类", "price class"), "choice", True, PriceClass),
        ImportColumn("wholesale_price", ("批发价（元/条）", "wholesale price"), "decimal", True),
        ImportColumn("retail_price", ("零售价（元/条）", "retail price"), "decimal", True),
        ImportColumn("tar_mg", ("焦油量（mg）", "tar (mg)", "tar"), "decimal", True),
        ImportColumn("is_high_end", ("高端", "high-end", "high end"), "boolean"),
        ImportColumn("launched_on", ("上市日期", "launched on"), "date"),
        ImportColumn("is_scarce", ("紧俏", "scarce"), "boolean"),
        ImportColumn("is_active", ("在销", "active"), "boolean"),
    ),
    example=("6901028001001", "中华", "中华（硬）", "一类", "450.00", "500.00", "11", "是", "2020-01-01", "是", "是"),
    preview_fields=("code", "name"),
    check=_product_rules,
    plan=_product_plan,
    note=gettext_lazy("Rows are matched on the product code."),
)

# ------------------------------------------------------------------------------ orders

CENT = Decimal("0.01")


def _order_rules(checked: CheckedSheet) -> None:
    """Lines of one order (the same order number, or the same shop and date when there is no
    number) must agree on shop and date, name each product once, and have an amount that is
    quantity × unit price. An order is imported whole or not at all: when one of its lines is
    wrong, its other lines are reported too."""
    values = checked.values
    if "order_no" not in values:
        values["order_no"] = None
    if "unit_price" not in values:
        values["unit_price"] = None
    numbered = values["order_no"].notna()
    shop_day = values["retailer"].astype(str) + "|" + values["ordered_on"].astype(str)
    checked.group = ("N:" + values["order_no"].astype(str)).where(numbered, "S:" + shop_day)
    first = checked.group.drop_duplicates(keep="first")
    first_of_group = pd.Series(first.index, index=first.values).reindex(checked.group).to_numpy()
    header = values[["retailer", "ordered_on"]].to_numpy()[first_of_group]
    differs = (values["retailer"].to_numpy() != header[:, 0]) | (values["ordered_on"].to_numpy() != header[:, 1])
    other_header = numbered & pd.Series(differs.astype(bool), index=values.index)
    first_rows = pd.Series(checked.row_numbers[first_of_group], index=values.index)[other_header]
    message = first_rows.map(
        lambda row: _("row %(row)s has the same order number with another shop or date") % {"row": row}
    )
    checked.flag(other_header, checked.title("order_no"), message.astype(object).reindex(values.index, fill_value=""))
    line_key = checked.group + "#" + values["product"].astype(str)
    _flag_repeats(
        checked, line_key.where(values["product"].notna()), checked.title("product"),
        _("this order already has this product in row %(row)s"),
    )  # fmt: skip
    products = pd.DataFrame.from_records(
        list(Product.objects.values_list("pk", "wholesale_price")), columns=["pk", "price"]
    ).set_index("pk")["price"]
    price = values["unit_price"].where(values["unit_price"].notna(), values["product"].map(products))
    values["unit_price"] = price
    if "amount" in values:
        known = values["amount"].notna() & price.notna() & values["quantity"].notna()
        expected = pd.Series(None, index=values.index, dtype=object)
        expected[known] = [(q * p).quantize(CENT) for q, p in zip(values["quantity"][known], price[known], strict=True)]
        wrong = known & (expected != values["amount"])
        template = _("should be quantity × unit price = %(value)s")
        text = expected[wrong].map(lambda value: template % {"value": value})
        checked.flag(wrong, checked.title("amount"), text.reindex(values.index, fill_value=""))
    spoiled = ~checked.valid.groupby(checked.group).transform("all") & checked.valid
    if spoiled.any():
        bad_rows = pd.Series(checked.row_numbers, index=values.index)[~checked.valid].groupby(checked.group).min()
        text = (
            checked.group[spoiled]
            .map(bad_rows)
            .map(
                lambda row: _("another line of this order (row %(row)s) is wrong, so the order is not imported")
                % {"row": row}
            )
        )
        checked.flag(spoiled, checked.title("order_no"), text.reindex(values.index, fill_value=""))


def order_signature(frame: pd.DataFrame, group: str) -> pd.Series:
    """One text per order saying what it holds (shop, date, each product × quantity @ price), to
    tell an unchanged order from a changed one."""
    line = (
        frame["product"].astype("int64").astype(str) + "×" + frame["quantity"].astype("int64").astype(str)
        + "@" + frame["unit_price"].map({price: f"{price:.2f}" for price in frame["unit_price"].unique()})
    )  # fmt: skip
    head = frame["retailer"].astype("int64").astype(str) + "|" + frame["ordered_on"].astype(str)
    ordered = pd.DataFrame({"group": frame[group], "line": line, "head": head}).sort_values(["group", "line"])
    return ordered.groupby("group", sort=False).agg(head=("head", "first"), lines=("line", ",".join)).sum(axis=1)


def _order_plan(checked: CheckedSheet) -> None:
    values, valid = checked.values, checked.valid
    groups = checked.group
    numbered = values["order_no"].notna()
    existing = pd.Series(np.nan, index=values.index)
    numbers = values["order_no"][valid & numbered].unique()
    by_number = ids_by_key(Order, "order_no", numbers)
    existing[valid & numbered] = values["order_no"][valid & numbered].map(by_number)
    unnumbered = valid & ~numbered
    if unnumbered.any():
        shops = values["retailer"][unnumbered].unique().tolist()
        dates = values["ordered_on"][unnumbered].unique().tolist()
        found = pd.DataFrame.from_records(
            [
                row
                for start in range(0, len(shops), CHUNK)
                for row in Order.objects.filter(
                    retailer_id__in=shops[start : start + CHUNK], ordered_on__in=dates
                ).values_list("retailer_id", "ordered_on", "pk")
            ],
            columns=["retailer", "ordered_on", "pk"],
        )
        key = found["retailer"].astype(str) + "|" + found["ordered_on"].astype(str)
        several = key[key.duplicated(keep=False)].unique()
        one = found.assign(key=key).drop_duplicates("key", keep=False).set_index("key")["pk"]
        shop_day = values["retailer"].astype(str) + "|" + values["ordered_on"].astype(str)
        existing[unnumbered] = shop_day[unnumbered].map(one)
        ambiguous = unnumbered & shop_day.isin(several)
        checked.flag(
            ambiguous, checked.title("order_no"), _("this shop has several orders on this date; give the order number")
        )
        valid = checked.valid
    matched = existing.notna() & valid
    signature_new = order_signature(values[valid].assign(group=groups[valid]), "group")
    changed_groups: set = set()
    if matched.any():
        ids = existing[matched].astype("int64").unique().tolist()
        lines = pd.DataFrame.from_records(
            [
                row
                for start in range(0, len(ids), CHUNK)
                for row in OrderLine.objects.filter(order_id__in=ids[start : start + CHUNK]).values_list(
                    "order_id", "product_id", "quantity", "unit_price", "order__retailer_id", "order__ordered_on"
                )
            ],
            columns=["order", "product", "quantity", "unit_price", "retailer", "ordered_on"],
        )
        signature_old = order_signature(lines, "order") if len(lines) else pd.Series(dtype=object)
        group_order = existing[matched].groupby(groups[matched]).first().astype("int64")
        old = group_order.map(signature_old)
        changed_groups = set(group_order.index[old.to_numpy() != signature_new.reindex(group_order.index).to_numpy()])
    checked.pk = existing.where(matched)
    changed = groups.isin(changed_groups)
    checked.action = pd.Series(
        np.select([~valid, ~matched, changed], ["", "create", "update"], "unchanged"), index=values.index
    )


ORDERS = ImportKind(
    key="orders",
    model=Order,
    columns=(
        ImportColumn("order_no", ("订单号", "order number", "order no"), "text"),
        ImportColumn("retailer", ("许可证号", "licence number", "license number"), "retailer", True),
        ImportColumn("ordered_on", ("订货日期", "order date"), "date", True),
        ImportColumn("product", ("卷烟编码", "product code"), "product", True),
        ImportColumn("quantity", ("数量（条）", "quantity", "cartons"), "integer", True, model=OrderLine),
        ImportColumn("unit_price", ("单价（元/条）", "unit price"), "decimal", model=OrderLine),
        ImportColumn("amount", ("金额（元）", "amount"), "decimal", model=OrderLine),
    ),
    example=("DD20250301000001", "320102100123", "2025-03-01", "6901028001001", "2", "450.00", "900.00"),
    preview_fields=("order_no", "ordered_on"),
    check=_order_rules,
    plan=_order_plan,
    note=gettext_lazy(
        "One row per order line. Lines are grouped by order number, or by shop and date when there is no number; "
        "an order in the file replaces that order's lines. The unit price defaults to the wholesale price."
    ),
    max_rows=EXCEL_MAX_ROWS,
)

# ------------------------------------------------------------------------------ compliance


def _compliance_key(values: pd.DataFrame) -> pd.Series:
    return values["retailer"].astype(str) + "|" + values["found_on"].astype(str) + "|" + values["kind"].astype(str)


def _compliance_rules(checked: CheckedSheet) -> None:
    key = _compliance_key(checked.values).where(checked.values[["retailer", "found_on", "kind"]].notna().all(axis=1))
    _flag_repeats(
        checked, key, checked.title("kind"), _("the same finding (shop, date, kind) is already in row %(row)s")
    )


def _compliance_plan(checked: CheckedSheet) -> None:
    values = checked.values
    shops = values["retailer"][checked.valid].unique().tolist()
    fields = ["retailer_id", "found_on", "kind", "severity", "source_department", "notes"]
    records = pd.DataFrame.from_records(
        [
            row
            for start in range(0, len(shops), CHUNK)
            for row in ComplianceRecord.objects.filter(retailer_id__in=shops[start : start + CHUNK])
            .order_by("pk")
            .values_list("pk", *fields)
        ],
        columns=["pk", *fields],
    ).rename(columns={"retailer_id": "retailer"})
    records["key"] = _compliance_key(records)
    present = records.drop_duplicates("key", keep="first").set_index("key")[
        ["pk", "severity", "source_department", "notes"]
    ]
    _plan_against(checked, _compliance_key(values), lambda keys: present.loc[present.index.intersection(keys)])


COMPLIANCE = ImportKind(
    key="compliance",
    model=ComplianceRecord,
    columns=(
        ImportColumn("retailer", ("许可证号", "licence number", "license number"), "retailer", True),
        ImportColumn("found_on", ("发现日期", "date found"), "date", True),
        ImportColumn("kind", ("违规类型", "kind"), "choice", True, ComplianceKind),
        ImportColumn("severity", ("严重程度", "severity"), "choice", True, Severity),
        ImportColumn("source_department", ("来源部门", "source department"), required=True),
        ImportColumn("notes", ("说明", "notes")),
    ),
    example=("320102100123", "2025-03-01", "串货", "一般", "专卖稽查科", "查获外省卷烟2条"),
    preview_fields=("found_on", "kind"),
    check=_compliance_rules,
    plan=_compliance_plan,
    note=gettext_lazy("Rows are matched on shop, date and kind of finding."),
)

IMPORT_KINDS: dict[str, ImportKind] = {kind.key: kind for kind in (RETAILERS, PRODUCTS, ORDERS, COMPLIANCE)}
