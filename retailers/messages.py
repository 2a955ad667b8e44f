"""What an import job and the rows of its sheet have to say, by the short code the import
uses ("too_long"), registered as stored messages "retailers.import.<code>" (see
crm_site.stored_messages). Imported by RetailersConfig.ready().

Two parameters only the kind of sheet can put into words: a "columns" parameter holds field
names, shown as those columns' titles, and the "choice" message lists the choices of the column
it is about; retailers.imports.describe_stored() fills them in before rendering.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from crm_site import stored_messages as sm
from retailers.validators import CREDIT_CODE_MESSAGES


@dataclass(frozen=True)
class _SheetColumns:
    """Field names of a sheet's columns, kept as a list (shown as the names if nothing put them
    into words first)."""

    def store(self, value: Any) -> list[str]:
        return [str(name) for name in value]

    def show(self, stored: Any) -> str:
        return stored if isinstance(stored, str) else ", ".join(map(str, stored))


SHEET_COLUMNS = _SheetColumns()
IMPORT_MESSAGES: dict[str, sm.Message] = {}


def _import(code: str, template: Any, **params: sm.ParamKind) -> None:
    IMPORT_MESSAGES[code] = sm.register(f"retailers.import.{code}", template, **params)


# cells
_import("required", _("required"))
_import("required_new", _("required for a new record"))
_import("too_long", _("longer than %(n)s characters"), n=sm.COUNT)
_import("licence", _("must be 12 or 15 digits"))
_import("phone", _("a mobile number (11 digits starting with 1) or a landline such as 025-84561234"))
_import("choice", _("“%(value)s” is not one of: %(choices)s"), value=sm.TEXT, choices=sm.TEXT)
_import("boolean", _("write 是 (yes) or 否 (no)"))
_import("integer", _("a whole number from 1 to 1,000,000"))
_import("decimal", _("a number ≥ 0 with at most %(places)s decimals"), places=sm.COUNT)
_import("area", _("no service area with this code or name"))
_import("retailer", _("no retailer with this licence number"))
_import("product", _("no product with this code"))
_import("date", _("not a date (use 2025-03-01, 2025/3/1 or 2025年3月1日)"))
for _code, _template in CREDIT_CODE_MESSAGES.items():
    _import(_code, _template)
# rules across rows
_import("same_licence", _("the same licence is already in row %(row)s"), row=sm.TEXT)
_import("issued_after_expiry", _("after the expiry date"))
_import("same_product_code", _("the same product code is already in row %(row)s"), row=sm.TEXT)
_import("price_zero", _("must be more than 0"))
_import("below_wholesale", _("below the wholesale price"))
_import("order_other_header", _("row %(row)s has the same order number with another shop or date"), row=sm.TEXT)
_import("order_same_product", _("this order already has this product in row %(row)s"), row=sm.TEXT)
_import("order_amount", _("should be quantity × unit price = %(value)s"), value=sm.TEXT)
_import(
    "order_spoiled",
    _("another line of this order (row %(row)s) is wrong, so the order is not imported"),
    row=sm.TEXT,
)
_import("order_ambiguous", _("this shop has several orders on this date; give the order number"))
_import("same_finding", _("the same finding (shop, date, kind) is already in row %(row)s"), row=sm.TEXT)
# the file as a whole
_import("file_empty", _("The file is empty (0 bytes); upload the saved workbook."))
_import(
    "file_text",
    _(
        "This is a text or CSV file renamed to a spreadsheet name, not a workbook: open it in Excel and save it "
        "as an Excel workbook (.xlsx)."
    ),
)
_import("file_unknown", _("This file is not a spreadsheet (.xlsx, .xls, .ods)."))
_import(
    "file_zip_no_workbook",
    _(
        "This file is a zip archive but holds no workbook (a document, or a zip of other files?); upload the "
        "Excel file itself."
    ),
)
_import(
    "file_damaged",
    _(
        "The workbook is truncated or damaged (an interrupted download or copy?); save it again from Excel and "
        "upload that file."
    ),
)
_import("file_password", _("The file is password-protected; save it without a password and try again."))
_import(
    "file_unpacked_too_big",
    _("The workbook unpacks to %(mb)s MB, more than the %(limit_mb)s MB allowed; split it into smaller files."),
    mb=sm.COUNT,
    limit_mb=sm.COUNT,
)
_import(
    "file_sheet_too_big",
    _("The first sheet unpacks to %(mb)s MB, more than the %(limit_mb)s MB allowed; split it into smaller files."),
    mb=sm.COUNT,
    limit_mb=sm.COUNT,
)
_import(
    "file_bomb",
    _(
        "The workbook is refused: a part of it unpacks to %(ratio)s times its packed size (the most allowed is "
        "%(limit)s), as a zip bomb does."
    ),
    ratio=sm.COUNT,
    limit=sm.COUNT,
)
_import(
    "file_too_many_cells",
    _(
        "The first sheet declares %(cells)s cells (%(ref)s), more than the %(limit)s allowed; split it into "
        "smaller files."
    ),
    cells=sm.COUNT,
    ref=sm.TEXT,
    limit=sm.COUNT,
)
_import(
    "no_header",
    _("No header row found: the column names of the template must be in one of the first %(n)s rows."),
    n=sm.COUNT,
)
_import("missing_columns", _("Missing columns: %(columns)s"), columns=SHEET_COLUMNS)
_import("too_many_rows", _("At most %(n)s rows can be imported at once."), n=sm.COUNT)
_import("no_data", _("The sheet has a header row but no data rows."))
# the job
_import(
    "unexpected",
    _("Nothing was written: an unexpected error stopped the job; it has been logged for the administrators."),
)
_import("has_errors", _("Nothing was imported: the file has invalid rows (see the error report)."))
_import("data_changed", _("Nothing was imported: the data changed while the file was imported; upload it again."))
