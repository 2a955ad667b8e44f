"""Reading and checking master-data spreadsheets, one kind of sheet at a time: retailers,
products, orders (a row per order line) and compliance findings.

Each kind is a column map (Chinese template headers first, English accepted too) and two
functions: cross-row rules, and the plan (which rows create, update or leave a record as it is,
matched on the natural key). Cells are parsed and checked a column at a time with pandas, so a
100,000-row sheet is checked in about a second. Nothing here writes: `import_check` is the dry
run, and `retailers.services.import_apply` carries out a checked sheet.

Messages are kept as a code, the column they name and their parameters, one entry per distinct
message (a row's errors are the numbers of its entries), and are put into words when somebody
reads them (`describe`, `row_message`), in that person's language: their templates and the kinds of
their parameters are registered in retailers.messages (crm_site.stored_messages).
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.formatting import format_list
from crm_site.stored_messages import render
from retailers.messages import IMPORT_MESSAGES
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
from retailers.validators import (
    LANDLINE_RE,
    LICENSE_RE,
    MOBILE_RE,
    credit_code_error,
    to_half_width,
)

EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows below the header
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is fine
CHUNK = 5_000  # keys per IN (…) query
INTERN_SAMPLE = 1_000  # rows read before deciding which columns repeat enough to share their values
SEPARATOR = ";"  # between the message numbers of a row's errors
MB = 1024 * 1024


def describe_stored(
    stored: dict | None, kind: ImportKind | None, *, column: ImportColumn | None = None, fallback: str = ""
) -> str:
    """A stored import message (retailers.messages) in the active language, through
    crm_site.stored_messages.render(), with first what only the kind of sheet can put into words:
    the titles of the columns a "columns" parameter names, and the choices of the column a
    "choice" message is about."""
    if not stored:
        return fallback
    shown = dict(stored.get("params") or {})
    if kind is not None and isinstance(shown.get("columns"), list):
        shown["columns"] = format_list(kind.column(name).label for name in shown["columns"])
    if column is not None and column.choices is not None and stored.get("code") == IMPORT_MESSAGES["choice"].code:
        shown["choices"] = format_list(str(label) for _code, label in column.choices.choices)
    return render({**stored, "params": shown}, fallback)


def describe(code: str, params: dict | None = None, kind: ImportKind | None = None) -> str:
    """A message given by its short code ("too_long") and parameters, in the active language; the
    code itself when this version of the import does not know it."""
    return describe_stored(_stored(code, params), kind, fallback=code)


def row_message(kind: ImportKind, field_name: str, code: str, params: dict | None = None) -> str:
    """A row's error as the page and the error report show it: the column, then what is wrong."""
    column = kind.column(field_name)
    message = describe_stored(_stored(code, params), kind, column=column, fallback=code)
    return _("%(column)s: %(message)s") % {"column": column.label, "message": message}


def _stored(code: str, params: dict | None) -> dict | None:
    """A message kept as (short code, parameters) as crm_site.stored_messages keeps one."""
    message = IMPORT_MESSAGES.get(code)
    return {"code": message.code, "params": params or {}} if message else None


class ImportRefused(Exception):
    """The file as a whole cannot be read (not a spreadsheet, protected, too big, no header …):
    a message code and its parameters."""

    def __init__(self, code: str, kind: ImportKind | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code, self.kind, self.params = code, kind, params

    def __str__(self) -> str:
        return describe(self.code, self.params, self.kind)


@dataclass(frozen=True)
class ImportColumn:
    field: str
    headers: tuple[str, ...]  # accepted headers, Chinese first (the template's), then English
    # text | date | choice | decimal | integer | boolean | phone | license | credit | area | retailer | product
    kind: str = "text"
    required: bool = False  # the column must be in the sheet and filled in every row
    for_new: bool = False  # optional, but a row that creates a record must fill it (the model has no default)
    choices: type[models.Choices] | None = None
    model: type[models.Model] | None = None  # whose field gives lengths and digits; the kind's model by default

    @property
    def title(self) -> str:
        """The template's (Chinese) header."""
        return self.headers[0]

    @property
    def label(self) -> str:
        """The column as a message names it: its template header, with the English name on an English page."""
        if translation.get_language() and translation.get_language().startswith("zh"):
            return self.title
        return f"{self.headers[1][:1].upper()}{self.headers[1][1:]} ({self.title})"


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

    def column(self, field_name: str) -> ImportColumn:
        return next(column for column in self.columns if column.field == field_name)

    def model_field(self, column: ImportColumn) -> models.Field:
        return (column.model or self.model)._meta.get_field(column.field)


@dataclass
class SheetData:
    columns: dict[str, list]  # field -> cell values of the data rows
    row_numbers: list[int]  # each data row's number as Excel shows it
    header_row: int


def _plain(value: Any) -> Any:
    """A message parameter as JSON keeps it."""
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating) and value.is_integer():  # a row number that passed through NaN
        return int(value)
    return str(value)


@dataclass
class CheckedSheet:
    """The parsed values (None where a cell is empty or wrong), the errors of each row, and after
    planning each row's action and the id of the record it matches. Positions are 0…n-1; the
    Excel row number of position i is row_numbers[i]."""

    kind: ImportKind
    values: pd.DataFrame
    row_numbers: np.ndarray
    errors: pd.Series  # "" or the numbers of the row's messages, each followed by SEPARATOR: "0;3;"
    header_row: int = 1
    action: pd.Series = None  # create | update | unchanged | "" (invalid)
    pk: pd.Series = None  # id of the matched record, or NaN
    group: pd.Series = None  # rows that make one record (an order's lines); a row is its own group elsewhere
    current: pd.DataFrame = None  # the matched records' present values, aligned with values (for the preview)
    messages: list[tuple[str, str, dict]] = field(default_factory=list)  # (field, code, params), each once
    _numbers: dict[tuple, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.values)
        self.action = pd.Series("", index=self.values.index, dtype=object)
        self.pk = pd.Series(np.nan, index=self.values.index)
        self.group = pd.Series(np.arange(n), index=self.values.index)

    @property
    def valid(self) -> pd.Series:
        return self.errors == ""

    def _number(self, field_name: str, code: str, params: dict) -> str:
        params = {name: _plain(value) for name, value in params.items()}
        key = (field_name, code, tuple(sorted(params.items())))
        if key not in self._numbers:
            self._numbers[key] = len(self.messages)
            self.messages.append((field_name, code, params))
        return f"{self._numbers[key]}{SEPARATOR}"

    def flag(
        self, bad: pd.Series, field_name: str, code: str, params: dict | None = None,
        vary: tuple[str, pd.Series] | None = None,
    ) -> None:  # fmt: skip
        """Give the rows where `bad` holds the message `code` about the column; `vary` names a
        parameter whose value differs by row (a Series over the rows) and stores one message per
        distinct value."""
        if not bad.any():
            return
        params = params or {}
        if vary is None:
            self.errors[bad] = self.errors[bad] + self._number(field_name, code, params)
            return
        name, per_row = vary
        shown = per_row[bad]
        numbers = {value: self._number(field_name, code, {**params, name: value}) for value in shown.unique()}
        self.errors[bad] = self.errors[bad] + shown.map(numbers)

    def error_list(self, position: int) -> list[tuple[str, str, dict]]:
        """The row's errors as (field, code, params)."""
        return [self.messages[int(number)] for number in self.errors.iat[position].split(SEPARATOR) if number]

    def error_texts(self, position: int) -> list[str]:
        """The row's errors in the active language."""
        return [row_message(self.kind, *error) for error in self.error_list(position)]

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

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or a password-protected .xlsx
SMALL_PART = MB  # parts below this size are not held to the inflate ratio (tiny XML compresses a lot)
SPARSE_CELLS = 1_000_000  # above this many declared cells, a sheet of under 2 bytes a cell is read row by row
DIMENSION_RE = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?\""
)
SHEET_DATA_RE = re.compile(rb"<(?:\w+:)?sheetData[\s>/]")
# The workbook's parts that name its sheets are read with patterns, not an XML parser (no entity tricks).
SHEET_TAG_RE = re.compile(rb"<(?:\w+:)?sheet\s[^>]*>")
RELATION_TAG_RE = re.compile(rb"<(?:\w+:)?Relationship\s[^>]*>")
ATTRIBUTE_RE = re.compile(rb"(?:^|\s)(?:\w+:)?(\w+)=\"([^\"]*)\"")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            if error.start >= len(head) - 4:  # a character cut at the end of the sample
                return True
        else:
            return True
    return False


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The zip member holding the workbook's first sheet (None for .ods and .xlsb, whose first sheet
    is found otherwise); ImportRefused when the zip holds no workbook."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        if "content.xml" in names or "xl/workbook.bin" in names:
            return None
        raise ImportRefused("file_zip_no_workbook")
    try:
        with archive.open("xl/workbook.xml") as workbook, archive.open("xl/_rels/workbook.xml.rels") as relations:
            sheet = SHEET_TAG_RE.search(workbook.read(MB))
            targets = {}
            for tag in RELATION_TAG_RE.findall(relations.read(MB)):
                attributes = dict(ATTRIBUTE_RE.findall(tag[1:]))
                targets[attributes.get(b"Id")] = attributes.get(b"Target", b"").decode()
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError) as error:
        raise ImportRefused("file_damaged") from error
    if sheet is None:
        raise ImportRefused("file_damaged")
    target = targets.get(dict(ATTRIBUTE_RE.findall(sheet.group(0)[1:])).get(b"id"), "")
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return part if part in names else None


def _declared_cells(archive: zipfile.ZipFile, part: str) -> tuple[int, str] | None:
    """(cells, ref) of the sheet's <dimension>, read from the first bytes of the part (it comes
    before the data), or None when the sheet declares none."""
    head = b""
    with archive.open(part) as stream:
        while len(head) < 256 * 1024:
            chunk = stream.read(16 * 1024)
            if not chunk:
                break
            head += chunk
            match = DIMENSION_RE.search(head)
            if match:
                first_col, first_row, last_col, last_row = match.groups()
                last_col, last_row = last_col or first_col, last_row or first_row
                rows = int(last_row) - int(first_row) + 1
                cols = _column_number(last_col) - _column_number(first_col) + 1
                return max(rows, 1) * max(cols, 1), match.group(0).split(b'"')[1].decode()
            if SHEET_DATA_RE.search(head):
                break
    return None


def _inspect(path: str | Path) -> bool:
    """Refuse, before reading it, a file that is no workbook or holds more than the limits allow;
    say whether its first sheet is to be read row by row (it declares far more cells than it can
    hold, such as a stray cell in row 1,048,576) rather than whole."""
    size = os.path.getsize(path)
    if size == 0:
        raise ImportRefused("file_empty")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(OLE_MAGIC):
        return False  # .xls is bounded by the upload size; a protected workbook is told by the reader
    if not head.startswith(ZIP_MAGIC):
        raise ImportRefused("file_text" if _looks_like_text(head) else "file_unknown")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportRefused("file_damaged") from error
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
            raise ImportRefused(
                "file_unpacked_too_big", mb=-(-unpacked // MB), limit_mb=settings.IMPORT_MAX_UNPACKED_BYTES // MB
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > SMALL_PART and ratio > settings.IMPORT_MAX_INFLATE_RATIO:
                raise ImportRefused("file_bomb", ratio=int(ratio), limit=settings.IMPORT_MAX_INFLATE_RATIO)
        part = _first_sheet_part(archive)
        if part is None:
            return False
        part_size = archive.getinfo(part).file_size
        if part_size > settings.IMPORT_MAX_SHEET_BYTES:
            raise ImportRefused(
                "file_sheet_too_big", mb=-(-part_size // MB), limit_mb=settings.IMPORT_MAX_SHEET_BYTES // MB
            )
        try:
            declared = _declared_cells(archive, part)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ImportRefused("file_damaged") from error
    if declared is None:
        return False
    cells, ref = declared
    if cells > SPARSE_CELLS and part_size < 2 * cells:
        return True  # mostly empty: the whole grid would cost far more than the cells it holds
    if cells > settings.IMPORT_MAX_CELLS:
        raise ImportRefused("file_too_many_cells", cells=cells, ref=ref, limit=settings.IMPORT_MAX_CELLS)
    return False


def _rows_whole(path: str | Path) -> Iterator[tuple[int, list]]:
    """(Excel row number, cells) of the first sheet's rows, read by calamine (fast; it holds the
    sheet's whole grid in memory)."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except PasswordError as error:
        raise ImportRefused("file_password") from error
    except (CalamineError, ValueError, OSError, IndexError) as error:
        raise ImportRefused("file_damaged") from error
    try:
        yield from enumerate(sheet.iter_rows(), start=1)
    except (CalamineError, ValueError) as error:
        raise ImportRefused("file_damaged") from error


def _rows_streamed(path: str | Path) -> Iterator[tuple[int, list]]:
    """(Excel row number, cells) of the rows the first sheet's XML holds, parsed as they are read:
    memory holds one row, and the rows between are not made up, whatever the sheet declares.
    openpyxl's read-only sheet would fill every missing row; its parser gives the rows as they are
    (openpyxl.worksheet._reader, pinned with openpyxl)."""
    import openpyxl
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        with workbook._archive.open(sheet._worksheet_path) as source:
            parser = WorkSheetParser(
                source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
            )  # fmt: skip
            for number, cells in parser.parse():
                if cells:
                    values: list = [None] * max(cell["column"] for cell in cells)
                    for cell in cells:
                        values[cell["column"] - 1] = cell["value"]
                    yield number, values
        workbook.close()
    except (KeyError, IndexError, ValueError, OSError, zipfile.BadZipFile, SyntaxError) as error:
        raise ImportRefused("file_damaged") from error


def _empty(cell: Any) -> bool:
    return cell is None or cell == ""


def sheet_rows(path: str | Path) -> Iterable[tuple[int, list]]:
    """(Excel row number, cells) of every non-empty row of the first sheet, after the workbook has
    passed the limits."""
    rows = _rows_streamed(path) if _inspect(path) else _rows_whole(path)
    for number, row in rows:
        # any() alone passes over the empty rows fast; a row of zeros or "" is looked at closely
        if any(row) or not all(_empty(cell) for cell in row):
            yield number, row


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
        raise ImportRefused("no_header", n=HEADER_SEARCH_ROWS)
    header_number, positions = best
    missing = [column.field for column in kind.columns if column.required and column.field not in positions]
    if missing:
        raise ImportRefused("missing_columns", kind, columns=missing)
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
            raise ImportRefused("too_many_rows", n=kind.max_rows)
    if not numbers:
        raise ImportRefused("no_data")
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
    code: str | pd.Series = ""  # the message of the bad cells, or each row's (few distinct)
    params: dict = field(default_factory=dict)
    vary: tuple[str, pd.Series] | None = None  # a parameter that differs by row (see CheckedSheet.flag)


class _Cells:
    """Parses one column at a time. Lookups (service areas, retailers, products) are loaded once
    per sheet, for the keys the sheet holds."""

    def __init__(self, kind: ImportKind) -> None:
        self.kind = kind

    def parse(self, column: ImportColumn, raw: list[Any]) -> tuple[_Parsed, pd.Series]:
        """The parsed column and where its cells are empty."""
        if column.kind == "date":
            return self.dates(raw), _empty_mask(raw)
        text = _as_text(raw, fold="alphanumerics" if column.kind == "text" else "all")
        if column.kind == "decimal":
            field_ = self.kind.model_field(column)
            text = _decimal_text(raw, field_.decimal_places)
            parsed = self.decimals(text, field_)
        else:
            parsed = getattr(self, column.kind)(text, column)
        return parsed, text == ""

    def text(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        max_length = self.kind.model_field(column).max_length
        if max_length is None:
            return _Parsed(text, pd.Series(False, index=text.index))
        return _Parsed(text, text.str.len() > max_length, "too_long", {"n": max_length})

    def license(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        values = text.str.replace(r"[\s\-]", "", regex=True)
        return _Parsed(values, (text != "") & ~values.str.fullmatch(LICENSE_RE.pattern), "licence")

    def phone(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        values = text.str.replace(r"[\s()（）]", "", regex=True).str.replace(r"^(\+86|0086)", "", regex=True)
        ok = values.str.fullmatch(MOBILE_RE.pattern) | values.str.fullmatch(LANDLINE_RE.pattern)
        return _Parsed(values, (text != "") & ~ok, "phone")

    def credit(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        values = text.str.upper()
        codes = values.map({code: credit_code_error(code) if code else "" for code in values.unique()})
        return _Parsed(values, codes != "", codes)

    def choice(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        lookup = _choice_lookup(column.choices)
        values = pd.Series([lookup.get(value) for value in text.str.lower()], dtype=object)
        return _Parsed(values, (text != "") & values.isna(), "choice", vary=("value", text))

    def boolean(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        lowered = text.str.lower()
        values = pd.Series(np.where(lowered.isin(TRUE_WORDS), True, np.where(lowered.isin(FALSE_WORDS), False, None)))
        return _Parsed(values, (text != "") & values.isna(), "boolean")

    def integer(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        numbers = pd.to_numeric(text.where(text.str.fullmatch(r"\d+"), None), errors="coerce")
        bad = (text != "") & (numbers.isna() | (numbers < 1) | (numbers > 1_000_000))
        return _Parsed(numbers.astype("Int64").astype(object), bad, "integer")

    def decimals(self, text: pd.Series, field_: models.DecimalField) -> _Parsed:
        pattern = rf"\d{{1,{field_.max_digits - field_.decimal_places}}}(\.\d{{1,{field_.decimal_places}}})?"
        ok = text.str.fullmatch(pattern)
        unique = {
            value: Decimal(value).quantize(Decimal(1).scaleb(-field_.decimal_places)) for value in text[ok].unique()
        }
        return _Parsed(text.map(unique), (text != "") & ~ok, "decimal", {"places": field_.decimal_places})

    def area(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        lookup = {}
        for pk, code, name in ServiceArea.objects.values_list("pk", "code", "name"):
            lookup[name.lower()] = pk
            lookup[code.lower()] = pk
        values = text.str.lower().map(lookup).astype("Int64")
        return _Parsed(values, (text != "") & values.isna(), "area")

    def retailer(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        licences = text.str.replace(r"[\s\-]", "", regex=True)
        ids = ids_by_key(Retailer, "license_no", licences[licences != ""].unique())
        values = licences.map(ids).astype("Int64")
        return _Parsed(values, (text != "") & values.isna(), "retailer")

    def product(self, text: pd.Series, column: ImportColumn) -> _Parsed:
        codes = dict(Product.objects.values_list("code", "pk"))
        values = text.map(codes).astype("Int64")
        return _Parsed(values, (text != "") & values.isna(), "product")

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
        return _Parsed(pd.Series(parsed, dtype=object), pd.Series(bad, dtype=bool), "date")


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
    for column in kind.columns:
        if column.field not in sheet.columns:
            continue
        parsed, empty = cells.parse(column, sheet.columns[column.field])
        values, bad = parsed.values, parsed.bad
        for series in (values, empty, bad, parsed.code, parsed.vary[1] if parsed.vary else None):
            if isinstance(series, pd.Series):
                series.index = errors.index
        if isinstance(parsed.code, pd.Series):  # each row its own message (a validator's error codes)
            for code in parsed.code[bad].unique():
                checked.flag(bad & (parsed.code == code), column.field, code, parsed.params)
        else:
            checked.flag(bad, column.field, parsed.code, parsed.params, parsed.vary)
        if column.required:
            checked.flag(empty, column.field, "required")
        checked.values[column.field] = values.astype(object).where(~empty & ~bad, None)
    kind.check(checked)
    return checked


def import_check(path: str | Path, kind: ImportKind) -> CheckedSheet:
    """The dry run: read, check and plan; nothing is written."""
    checked = check_sheet(read_sheet(path, kind), kind)
    kind.plan(checked)
    return checked


# ------------------------------------------------------------------------------ shared rules


def _flag_repeats(checked: CheckedSheet, keys: pd.Series, field_name: str, code: str) -> None:
    """Rows whose key already stands in an earlier row (the message gets that row as %(row)s)."""
    present = keys.notna()
    shown = keys[present]
    repeated = shown.duplicated(keep="first")
    if not repeated.any():
        return
    first_row = pd.Series(checked.row_numbers[present.to_numpy()], index=shown.index).groupby(shown).transform("min")
    bad = pd.Series(False, index=keys.index)
    bad[repeated[repeated].index] = True
    checked.flag(bad, field_name, code, vary=("row", first_row.astype(object).reindex(keys.index)))


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
    _require_for_new(checked)


def _require_for_new(checked: CheckedSheet) -> None:
    """A row that creates a record must fill the columns the model has no default for, even those a
    sheet of updates may leave out."""
    new = checked.action == "create"
    if not new.any():
        return
    for column in checked.kind.columns:
        if column.for_new:
            if column.field in checked.values:
                checked.flag(new & checked.values[column.field].isna(), column.field, "required_new")
            else:
                checked.flag(new, column.field, "required_new")
    checked.action = checked.action.where(checked.valid, "")


# ------------------------------------------------------------------------------ retailers

RETAILER_FIELDS = [
    "name", "owner_name", "phone", "address", "license_expires_on", "license_issued_on", "business_type",
    "market_type", "zone_type", "service_area_id", "status", "credit_level", "credit_code", "partner_since",
    "referred_by_id",
]  # fmt: skip


def _retailer_rules(checked: CheckedSheet) -> None:
    values = checked.values
    _flag_repeats(checked, values["license_no"], "license_no", "same_licence")
    if "license_issued_on" in values:
        issued, expires = values["license_issued_on"], values["license_expires_on"]
        late = issued.notna() & expires.notna()
        late[late] = issued[late] > expires[late]
        checked.flag(late, "license_issued_on", "issued_after_expiry")


def _retailer_plan(checked: CheckedSheet) -> None:
    checked.values = checked.values.rename(columns={"service_area": "service_area_id", "referred_by": "referred_by_id"})
    fields = [name for name in RETAILER_FIELDS if name in checked.values.columns]
    _plan_against(checked, checked.values["license_no"], _present_values(Retailer, "license_no", fields))


RETAILERS = ImportKind(
    key="retailers",
    model=Retailer,
    columns=(
        ImportColumn("license_no", ("许可证号", "licence number", "license number", "license_no"), "license", True),
        ImportColumn("name", ("店名", "shop name", "name"), required=True),
        ImportColumn("owner_name", ("负责人", "owner"), required=True),
        ImportColumn("phone", ("电话", "phone"), "phone", for_new=True),
        ImportColumn("address", ("经营地址", "address"), required=True),
        ImportColumn(
            "license_expires_on", ("许可证有效期至", "licence expires on", "license expires on"), "date", True
        ),
        ImportColumn("license_issued_on", ("许可证发证日期", "licence issued on", "license issued on"), "date"),
        ImportColumn("business_type", ("业态", "business type"), "choice", True, choices=BusinessType),
        ImportColumn("market_type", ("市场类型", "market type"), "choice", True, choices=MarketType),
        ImportColumn("zone_type", ("商圈", "business circle"), "choice", for_new=True, choices=ZoneType),
        ImportColumn("service_area", ("营销片区", "service area"), "area", True),
        ImportColumn("status", ("状态", "status"), "choice", False, choices=RetailerStatus),
        ImportColumn("credit_level", ("信用等级", "credit level"), "choice", False, choices=CreditLevel),
        ImportColumn("credit_code", ("统一社会信用代码", "unified social credit code", "credit code"), "credit"),
        ImportColumn("partner_since", ("建档日期", "partner since"), "date"),
        ImportColumn("referred_by", ("推荐人许可证号", "推荐人", "referred by"), "retailer"),
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
        "",
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
    _flag_repeats(checked, values["code"], "code", "same_product_code")
    nothing = pd.Series(None, index=values.index, dtype=object)
    wholesale, retail = values.get("wholesale_price", nothing), values.get("retail_price", nothing)
    checked.flag(wholesale.notna() & (wholesale == 0), "wholesale_price", "price_zero")
    both = wholesale.notna() & retail.notna()
    below = both.copy()
    below[both] = retail[both] < wholesale[both]
    checked.flag(below, "retail_price", "below_wholesale")


def _product_plan(checked: CheckedSheet) -> None:
    fields = [name for name in PRODUCT_FIELDS if name in checked.values.columns]
    _plan_against(checked, checked.values["code"], _present_values(Product, "code", fields))


PRODUCTS = ImportKind(
    key="products",
    model=Product,
    columns=(
        ImportColumn("code", ("卷烟编码", "product code", "code"), required=True),
        ImportColumn("brand", ("品牌", "brand"), for_new=True),
        ImportColumn("name", ("规格名称", "name", "product name"), for_new=True),
        ImportColumn("price_class", ("价类", "price class"), "choice", for_new=True, choices=PriceClass),
        ImportColumn("wholesale_price", ("批发价（元/条）", "wholesale price"), "decimal", for_new=True),
        ImportColumn("retail_price", ("零售价（元/条）", "retail price"), "decimal", for_new=True),
        ImportColumn("tar_mg", ("焦油量（mg）", "tar (mg)", "tar"), "decimal", for_new=True),
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
    first_rows = pd.Series(checked.row_numbers[first_of_group], index=values.index)
    checked.flag(other_header, "order_no", "order_other_header", vary=("row", first_rows))
    line_key = checked.group + "#" + values["product"].astype(str)
    _flag_repeats(checked, line_key.where(values["product"].notna()), "product", "order_same_product")
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
        checked.flag(wrong, "amount", "order_amount", vary=("value", expected))
    spoiled = ~checked.valid.groupby(checked.group).transform("all") & checked.valid
    if spoiled.any():
        bad_rows = pd.Series(checked.row_numbers, index=values.index)[~checked.valid].groupby(checked.group).min()
        checked.flag(spoiled, "order_no", "order_spoiled", vary=("row", checked.group.map(bad_rows)))


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
        checked.flag(ambiguous, "order_no", "order_ambiguous")
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
    _flag_repeats(checked, key, "kind", "same_finding")


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
        ImportColumn("kind", ("违规类型", "kind"), "choice", True, choices=ComplianceKind),
        ImportColumn("severity", ("严重程度", "severity"), "choice", for_new=True, choices=Severity),
        ImportColumn("source_department", ("来源部门", "source department"), for_new=True),
        ImportColumn("notes", ("说明", "notes")),
    ),
    example=("320102100123", "2025-03-01", "串货", "一般", "专卖稽查科", "查获外省卷烟2条"),
    preview_fields=("found_on", "kind"),
    check=_compliance_rules,
    plan=_compliance_plan,
    note=gettext_lazy("Rows are matched on shop, date and kind of finding."),
)

IMPORT_KINDS: dict[str, ImportKind] = {kind.key: kind for kind in (RETAILERS, PRODUCTS, ORDERS, COMPLIANCE)}
