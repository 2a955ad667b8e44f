"""Import jobs: upload → check (dry run, in a worker) → confirm → import (in a worker).

The job row carries the counts, a preview of what would change, the errors of the invalid rows
and, once imported, the retailers it created or changed. What the job and its rows have to say is
kept as message codes (retailers.messages) and put into words for whoever reads the page
or downloads the error report, in their language. Every step is safe to deliver twice.
"""

from __future__ import annotations

import json
import logging
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm_site.excel import Column, Sheet, write_xlsx
from crm_site.formatting import format_list
from retailers.imports import (
    IMPORT_KINDS,
    CheckedSheet,
    ImportColumn,
    ImportKind,
    ImportRefused,
    cell_text,
    check_sheet,
    describe_stored,
    import_check,
    read_sheet,
    row_message,
    sheet_rows,
)
from retailers.messages import IMPORT_MESSAGES
from retailers.models import ImportJob, Product, ServiceArea
from retailers.selectors import retailers_visible_to, service_areas_visible_to
from retailers.services import ImportHasErrors, import_apply

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 200
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}

# ------------------------------------------------------------------------------ the template


def _template_example(kind: ImportKind, user) -> list:
    """The kind's example row, naming a service area, a shop and a product that exist and that the
    user may import into, so that the unedited template passes the check."""
    example = dict(zip((column.field for column in kind.columns), kind.example, strict=True))
    if "service_area" in example:
        area = service_areas_visible_to(user).order_by("code").first()
        if area is not None:
            example["service_area"] = area.code
    if "retailer" in example:
        licence = retailers_visible_to(user).order_by("license_no").values_list("license_no", flat=True).first()
        if licence is not None:
            example["retailer"] = licence
    if "product" in example:
        product = Product.objects.filter(is_active=True).order_by("code").first()
        if product is not None:
            example["product"] = product.code
            if "unit_price" in example and "amount" in example:
                example["unit_price"] = f"{product.wholesale_price:.2f}"
                example["amount"] = f"{product.wholesale_price * int(example['quantity']):.2f}"
    return list(example.values())


def _column_need(column: ImportColumn) -> str:
    if column.required:
        return _("required")
    if column.for_new:
        return _("required for a new record")
    return _("optional")


def _column_accepts(column: ImportColumn) -> str:
    if column.choices is not None:
        return format_list(str(label) for _code, label in column.choices.choices)
    return {
        "date": _("a date: 2025-03-01, 2025/3/1 or 2025年3月1日"),
        "boolean": _("是 (yes) or 否 (no)"),
        "area": _("a service area's code or name (see the sheet “%(sheet)s”)") % {"sheet": _("Service areas")},
        "retailer": _("the shop's licence number"),
        "product": _("the product code"),
        "decimal": _("a number"),
        "integer": _("a whole number"),
    }.get(column.kind, "")


def import_template_file(kind: ImportKind, user):
    """A kind's template in a temporary file, open for reading (it disappears when closed;
    FileResponse closes it): the Chinese headers, coloured by need (required, required for a new
    record, optional) with a note on each, and an example row; a sheet listing the service areas
    the user may import into (for a retailer sheet); a sheet saying what each column takes."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the caller)
    workbook = xlsxwriter.Workbook(handle.name)
    base = {"bold": True, "border": 1}
    formats = {
        "required": workbook.add_format({**base, "bg_color": "#F4B6B6"}),
        "for_new": workbook.add_format({**base, "bg_color": "#FCE0B6"}),
        "optional": workbook.add_format({**base, "bg_color": "#E8E8E8"}),
    }
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(str(kind.label)[:31])
    for index, (column, value) in enumerate(zip(kind.columns, _template_example(kind, user), strict=True)):
        need = "required" if column.required else "for_new" if column.for_new else "optional"
        sheet.set_column(index, index, max(12, 2 * len(column.title) + 4), text)
        sheet.write_string(0, index, column.title, formats[need])
        sheet.write_comment(0, index, _column_need(column))
        sheet.write_string(1, index, str(value))
    sheet.freeze_panes(1, 0)
    if any(column.kind == "area" for column in kind.columns):
        areas = workbook.add_worksheet(_("Service areas")[:31])
        for index, title in enumerate((_("Code"), _("Name"), _("Region"))):
            areas.set_column(index, index, 20)
            areas.write_string(0, index, title, formats["optional"])
        rows = service_areas_visible_to(user).order_by("code").values_list("code", "name", "region__name")
        for number, values in enumerate(rows, start=1):
            for index, value in enumerate(values):
                areas.write_string(number, index, value)
    notes = workbook.add_worksheet(_("Columns")[:31])
    for index, (title, width) in enumerate(((_("Column"), 22), (_("English header"), 26), (_("Need"), 18))):
        notes.set_column(index, index, width)
        notes.write_string(0, index, title, formats["optional"])
    notes.set_column(3, 3, 70)
    notes.write_string(0, 3, _("What it takes"), formats["optional"])
    for number, column in enumerate(kind.columns, start=1):
        need = "required" if column.required else "for_new" if column.for_new else "optional"
        notes.write_string(number, 0, column.title, formats[need])
        notes.write_string(number, 1, column.headers[1])
        notes.write_string(number, 2, _column_need(column))
        notes.write_string(number, 3, _column_accepts(column))
    notes.write_string(len(kind.columns) + 2, 0, str(kind.note))
    workbook.close()
    handle.seek(0)
    return handle


# ------------------------------------------------------------------------------ the job's words


def import_job_message(job: ImportJob) -> str:
    """What the job says, in the active language (the stored words of a job from before codes)."""
    return describe_stored(job.message, IMPORT_KINDS.get(job.kind), fallback=job.text)


def _say(job: ImportJob, code: str, params: dict | None = None) -> None:
    """The job's message (retailers.messages) and its words in the site's language."""
    job.message = IMPORT_MESSAGES[code].say(**(params or {})).stored
    with translation.override(settings.LANGUAGE_CODE):
        job.text = import_job_message(job)


def _busy(kind: str) -> str:
    return _("Another import of %(kind)s is in progress; try again when it has finished.") % {
        "kind": ImportJob.Kind(kind).label
    }


# ------------------------------------------------------------------------------ upload and check


def import_job_create(*, upload, kind: str, user) -> ImportJob:
    if not user.has_perm("retailers.import_master_data"):
        raise PermissionDenied
    if kind not in IMPORT_KINDS:
        raise ValidationError(_("Choose what the sheet holds."))
    if Path(upload.name).suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise ValidationError(_("Upload an Excel file (.xlsx, .xls) or an OpenDocument sheet (.ods)."))
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit})
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(kind=kind, file=upload, original_name=upload.name[:200], created_by=user)
    except IntegrityError as error:
        raise ValidationError(_busy(kind)) from error
    from retailers.tasks import import_check_task

    transaction.on_commit(lambda: import_check_task.delay(job.pk))
    return job


def _store_checked(job: ImportJob, checked: CheckedSheet) -> None:
    """Keep the parsed and validated rows of the dry run, so that the import does not read and
    check the file a second time (only the plan, which depends on the database, is redone)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"checked-{job.pk}.pickle"
        path.write_bytes(pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL))
        with path.open("rb") as handle:
            job.checked_rows.save(path.name, File(handle), save=False)


def _checked_for_import(job: ImportJob) -> CheckedSheet:
    """The dry run's rows planned again against the database as it is now; the whole check when
    the job has none kept."""
    kind = IMPORT_KINDS[job.kind]
    if not job.checked_rows:
        return import_check(job.file.path, kind)
    with job.checked_rows.open("rb") as handle:
        # Written by _store_checked on this server into private storage, never from an upload.
        checked = pickle.load(handle)  # noqa: S301
    kind.plan(checked)
    return checked


def import_job_check(*, job_id: int) -> ImportJob:
    """The dry run: counts, preview, the errors of the invalid rows. Writes nothing but the job."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return job
    kind = IMPORT_KINDS[job.kind]
    try:
        sheet = read_sheet(job.file.path, kind)
        ImportJob.objects.filter(pk=job.pk).update(rows_read=len(sheet.row_numbers))  # the page shows it meanwhile
        checked = check_sheet(sheet, kind)
        _store_checked(job, checked)
        kind.plan(checked)
    except ImportRefused as error:
        job.status = ImportJob.Status.REFUSED
        _say(job, error.code, error.params)
    except Exception:  # recorded on the job: a stuck "checking" job would block every later upload
        logger.exception("import job %s: the check failed", job_id)
        job.status = ImportJob.Status.REFUSED
        _say(job, "unexpected")
    else:
        job.rows_read = len(checked.values)
        job.rows_invalid = int((~checked.valid).sum())
        job.to_create, job.to_update = checked.records("create"), checked.records("update")
        job.unchanged = checked.records("unchanged")
        job.preview = _preview(checked)
        if job.rows_invalid:
            _store_error_rows(job, checked)
        job.status = ImportJob.Status.CHECKED
    job.finished_at = timezone.now()
    job.save()
    return job


def _shown(value) -> Any:
    """A value as the preview keeps it (JSON): None for empty, text for dates and amounts."""
    if value is None or value != value:  # NaN is not equal to itself
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return str(value)


def _preview(checked: CheckedSheet) -> list[dict]:
    """The invalid rows first (with their errors), then the rows that would change something,
    PREVIEW_ROWS in all: the changes field by field, the errors as (field, code, params)."""
    invalid = (~checked.valid).to_numpy().nonzero()[0]
    changing = checked.action.isin(["create", "update"]).to_numpy().nonzero()[0]
    positions = [*invalid[:PREVIEW_ROWS], *changing[: max(PREVIEW_ROWS - len(invalid), 0)]]
    key, label = checked.kind.preview_fields
    changes = {position: checked.changes(position) for position in positions}
    area_ids = {value for found in changes.values() for value in found.get("service_area_id", ())}
    area_codes = dict(ServiceArea.objects.filter(pk__in=area_ids).values_list("pk", "code")) if area_ids else {}
    shown = []
    for position in positions:
        values = checked.values.iloc[position]
        changed = {}
        for name, (old, new) in changes[position].items():
            if name == "service_area_id":  # the area as the sheet names it
                name, old, new = "service_area", area_codes.get(old, old), area_codes.get(new, new)
            changed[name] = [_shown(old), _shown(new)]
        shown.append(
            {
                "row": int(checked.row_numbers[position]),
                "action": checked.action.iat[position] or "invalid",
                "key": _shown(values.get(key)),
                "label": _shown(values.get(label)),
                "changes": changed,
                "errors": [list(error) for error in checked.error_list(position)],
            }
        )
    return shown


def _display(column: ImportColumn | None, value: Any) -> str:
    """A stored preview value as the page shows it: a choice by its label, yes or no, "—" for none."""
    if value is None or value == "":
        return "—"
    if column is not None and column.choices is not None and value in column.choices.values:
        return str(column.choices(value).label)
    if isinstance(value, bool) or value in ("True", "False"):  # booleans (older jobs kept them as text)
        return _("yes") if value in (True, "True") else _("no")
    return str(value)


def _column_or_none(kind: ImportKind, name: str) -> ImportColumn | None:
    return next((column for column in kind.columns if column.field == name.removesuffix("_id")), None)


def import_job_preview(job: ImportJob) -> dict:
    """The stored preview put into words for the page: its column headers and its lines."""
    kind = IMPORT_KINDS[job.kind]
    key, label = (kind.column(name) for name in kind.preview_fields)
    lines = []
    for line in job.preview:
        changes = []
        for name, (old, new) in line.get("changes", {}).items():
            column = _column_or_none(kind, name)
            changes.append((column.label if column else name, _display(column, old), _display(column, new)))
        lines.append(
            {
                "row": line["row"],
                "action": line["action"],
                "key": _display(key, line["key"]),
                "label": _display(label, line["label"]),
                # older jobs stored the words; newer ones (field, code, params)
                "errors": [error if isinstance(error, str) else row_message(kind, *error) for error in line["errors"]],
                "changes": changes,
            }
        )
    return {"headers": [key.label, label.label], "lines": lines}


# ------------------------------------------------------------------------------ the error report


def _store_error_rows(job: ImportJob, checked: CheckedSheet) -> None:
    """The invalid rows' errors as message codes: the report is written from them on download."""
    bad = (~checked.valid).to_numpy()
    content = {
        "header_row": checked.header_row,
        "messages": [list(message) for message in checked.messages],
        "rows": dict(zip(map(str, checked.row_numbers[bad].tolist()), checked.errors[bad].tolist(), strict=True)),
    }
    name = f"errors-{job.pk}.json"
    job.error_rows.save(name, ContentFile(json.dumps(content, ensure_ascii=False).encode()), save=False)


def import_error_report_file(job: ImportJob):
    """The uploaded sheet's rows with one more column saying, in the active language, what is wrong
    with each bad row; a temporary file open for reading (FileResponse closes it)."""
    kind = IMPORT_KINDS[job.kind]
    with job.error_rows.open("rb") as handle:
        stored = json.load(handle)
    texts = [row_message(kind, *message) for message in stored["messages"]]
    joiner = pgettext("error separator", "; ")
    errors = {
        int(number): joiner.join(texts[int(index)] for index in numbers.split(";") if index)
        for number, numbers in stored["rows"].items()
    }
    rows = iter(sheet_rows(job.file.path))
    header = next((row for number, row in rows if number >= stored["header_row"]), [])
    width = len(header)
    columns = [Column(str(title or ""), 16) for title in header] + [Column(_("What is wrong"), 60)]
    body = (
        [*(cell_text(cell) for cell in row[:width]), *[""] * (width - len(row)), errors.get(number, "")]
        for number, row in rows
    )
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the caller)
    write_xlsx(handle.name, [Sheet(_("Errors"), columns, body)])
    handle.seek(0)
    return handle


# ------------------------------------------------------------------------------ confirm and import


def import_job_confirm(*, job: ImportJob, mode: str, user) -> ImportJob:
    if not user.has_perm("retailers.import_master_data"):
        raise PermissionDenied
    if mode not in ImportJob.Mode.values:
        raise ValidationError(_("Choose how to import."))
    if job.status == ImportJob.Status.CHECKED and not job.rows_valid:
        raise ValidationError(_("Nothing to import: no row of this file is valid."))
    try:
        with transaction.atomic():
            started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
                status=ImportJob.Status.IMPORTING, mode=mode
            )
    except IntegrityError as error:
        raise ValidationError(_busy(job.kind)) from error
    if not started:
        raise ValidationError(_("This file has already been imported or refused."))
    from retailers.tasks import import_apply_task

    transaction.on_commit(lambda: import_apply_task.delay(job.pk))
    return ImportJob.objects.get(pk=job.pk)


def import_job_apply(*, job_id: int) -> ImportJob:
    """Import for real: the checked rows are planned again (the data may have changed since the
    dry run); all or nothing unless the admin chose to skip invalid rows. Should the database have
    changed under the plan (a service area or product deleted meanwhile), nothing is written."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return job
    try:
        outcome = import_apply(
            checked=_checked_for_import(job),
            imported_by=job.created_by,
            skip_invalid=job.mode == ImportJob.Mode.SKIP_INVALID,
        )
    except ImportHasErrors:
        job.status = ImportJob.Status.FAILED
        _say(job, "has_errors")
    except ImportRefused as error:
        job.status = ImportJob.Status.FAILED
        _say(job, error.code, error.params)
    except IntegrityError:
        logger.exception("import job %s met a database conflict", job_id)
        job.status = ImportJob.Status.FAILED
        _say(job, "data_changed")
    except Exception:  # recorded on the job; the transaction was rolled back, so nothing was written
        logger.exception("import job %s: the import failed", job_id)
        job.status = ImportJob.Status.FAILED
        _say(job, "unexpected")
    else:
        job.status = ImportJob.Status.SUCCEEDED
        job.created, job.updated, job.skipped = outcome.created, outcome.updated, outcome.skipped
        job.unchanged, job.touched_ids = outcome.unchanged, outcome.touched_ids
    if job.checked_rows:
        job.checked_rows.delete(save=False)  # the rows are in the database now, or nothing is
    job.finished_at = timezone.now()
    job.save()
    if job.status == ImportJob.Status.SUCCEEDED and job.kind == ImportJob.Kind.ORDERS:
        from retailers.signals import orders_imported

        transaction.on_commit(lambda: orders_imported.send(sender=ImportJob, job_id=job.pk))
    return job
