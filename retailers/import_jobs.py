"""Import jobs: upload → check (dry run, in a worker) → confirm → import (in a worker).

The job row carries the counts, a preview of what would change, the error report and, once
imported, the retailers it created or changed. Every step is safe to deliver twice.
"""

from __future__ import annotations

import logging
import pickle
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.excel import Column, Sheet, write_xlsx
from retailers.imports import (
    IMPORT_KINDS,
    CheckedSheet,
    ImportKind,
    ImportRefused,
    cell_text,
    check_sheet,
    import_check,
    read_sheet,
    sheet_rows,
)
from retailers.models import ImportJob
from retailers.services import ImportHasErrors, import_apply

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 200
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


def _unexpected_error_message() -> str:
    return _("Nothing was written: an unexpected error stopped the job; it has been logged for the administrators.")


def import_template_file(kind: ImportKind):
    """A kind's template (its Chinese headers and one example row) in a temporary file, open for
    reading; it disappears when closed (FileResponse closes it)."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the caller)
    columns = [Column(column.title, max(12, 2 * len(column.title) + 4)) for column in kind.columns]
    write_xlsx(handle.name, [Sheet(str(kind.label), columns, [kind.example])])
    handle.seek(0)
    return handle


def _busy(kind: str) -> str:
    return _("Another import of %(kind)s is in progress; try again when it has finished.") % {
        "kind": ImportJob.Kind(kind).label
    }


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
    """The dry run: counts, preview, error report. Writes nothing but the job."""
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
        job.status, job.message = ImportJob.Status.REFUSED, str(error)
    except Exception:  # recorded on the job: a stuck "checking" job would block every later upload
        logger.exception("import job %s: the check failed", job_id)
        job.status, job.message = ImportJob.Status.REFUSED, _unexpected_error_message()
    else:
        job.rows_read = len(checked.values)
        job.rows_invalid = int((~checked.valid).sum())
        job.to_create, job.to_update = checked.records("create"), checked.records("update")
        job.unchanged = checked.records("unchanged")
        job.preview = _preview(checked)
        if job.rows_invalid:
            _attach_error_report(job, checked)
        job.status = ImportJob.Status.CHECKED
    job.finished_at = timezone.now()
    job.save()
    return job


def _shown(value) -> str:
    return "" if value is None or value != value else str(value)  # NaN is not equal to itself


def _preview(checked: CheckedSheet) -> list[dict]:
    """The first rows that would change something, or that are wrong, field by field."""
    interesting = (checked.action.isin(["create", "update"]) | ~checked.valid).to_numpy().nonzero()[0]
    key, label = checked.kind.preview_fields
    shown = []
    for position in interesting[:PREVIEW_ROWS]:
        values = checked.values.iloc[position]
        shown.append(
            {
                "row": int(checked.row_numbers[position]),
                "action": checked.action.iat[position] or "invalid",
                "key": _shown(values.get(key)),
                "label": _shown(values.get(label)),
                "changes": {name: [_shown(old), _shown(new)] for name, (old, new) in checked.changes(position).items()},
                "errors": checked.error_list(position),
            }
        )
    return shown


def _attach_error_report(job: ImportJob, checked: CheckedSheet) -> None:
    """The uploaded sheet's rows with one more column saying what is wrong with each bad row."""
    errors = dict(zip(checked.row_numbers.tolist(), checked.errors.str.rstrip("；").tolist(), strict=True))
    rows = iter(sheet_rows(job.file.path))
    header = next((row for number, row in rows if number >= checked.header_row), [])
    width = len(header)
    columns = [Column(str(title or ""), 16) for title in header] + [Column(_("What is wrong"), 60)]
    body = (
        [
            *(cell_text(cell) for cell in row[:width]),
            *[""] * (width - len(row)),
            errors.get(number, ""),
        ]
        for number, row in rows
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"errors-{Path(job.original_name).stem}.xlsx"
        write_xlsx(str(path), [Sheet(_("Errors"), columns, body)])
        with path.open("rb") as handle:
            job.error_report.save(path.name, File(handle), save=False)


def import_job_confirm(*, job: ImportJob, mode: str, user) -> ImportJob:
    if not user.has_perm("retailers.import_master_data"):
        raise PermissionDenied
    if mode not in ImportJob.Mode.values:
        raise ValidationError(_("Choose how to import."))
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
        job.message = _("Nothing was imported: the file has invalid rows (see the error report).")
    except ImportRefused as error:
        job.status, job.message = ImportJob.Status.FAILED, str(error)
    except IntegrityError:
        logger.exception("import job %s met a database conflict", job_id)
        job.status = ImportJob.Status.FAILED
        job.message = _("Nothing was imported: the data changed while the file was imported; upload it again.")
    except Exception:  # recorded on the job; the transaction was rolled back, so nothing was written
        logger.exception("import job %s: the import failed", job_id)
        job.status, job.message = ImportJob.Status.FAILED, _unexpected_error_message()
    else:
        job.status = ImportJob.Status.SUCCEEDED
        job.created, job.updated, job.skipped = outcome.created, outcome.updated, outcome.skipped
        job.unchanged, job.touched_ids = outcome.unchanged, outcome.touched_ids
    if job.checked_rows:
        job.checked_rows.delete(save=False)  # the rows are in the database now, or nothing is
    job.finished_at = timezone.now()
    job.save()
    return job
