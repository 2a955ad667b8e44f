"""Import jobs: upload → check (dry run, in a worker) → confirm → import (in a worker).

The job row carries the counts, a preview of what would change, the error report and, once
imported, the retailers it created or changed. Every step is safe to deliver twice.
"""

from __future__ import annotations

import logging
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
    EXAMPLE_ROW,
    RETAILER_COLUMNS,
    ImportRefused,
    RowResult,
    check_rows,
    plan_changes,
    read_sheet,
)
from retailers.models import ImportJob
from retailers.services import ImportHasErrors, retailer_import_apply

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 200
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


def import_template_path() -> str:
    """The retailer template: Chinese headers and one example row."""
    path = Path(tempfile.mkdtemp()) / "retailers-template.xlsx"
    columns = [Column(column.title, 16) for column in RETAILER_COLUMNS]
    write_xlsx(str(path), [Sheet(_("Retailers"), columns, [EXAMPLE_ROW])])
    return str(path)


def import_job_create(*, upload, user) -> ImportJob:
    if not user.has_perm("retailers.import_master_data"):
        raise PermissionDenied
    if Path(upload.name).suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise ValidationError(_("Upload an Excel file (.xlsx, .xls) or an OpenDocument sheet (.ods)."))
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit})
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(file=upload, original_name=upload.name[:200], created_by=user)
    except IntegrityError as error:
        raise ValidationError(
            _("Another import of retailers is in progress; try again when it has finished.")
        ) from error
    from retailers.tasks import import_check_task

    transaction.on_commit(lambda: import_check_task.delay(job.pk))
    return job


def _checked(job: ImportJob) -> list[RowResult]:
    results = check_rows(read_sheet(job.file.path))
    plan_changes(results)
    return results


def import_job_check(*, job_id: int) -> ImportJob:
    """The dry run: counts, preview, error report. Writes nothing but the job."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return job
    try:
        results = _checked(job)
    except ImportRefused as error:
        job.status, job.message = ImportJob.Status.REFUSED, str(error)
    else:
        job.rows_read = len(results)
        job.rows_invalid = sum(bool(result.errors) for result in results)
        job.to_create = sum(result.action == "create" for result in results)
        job.to_update = sum(result.action == "update" for result in results)
        job.unchanged = sum(result.action == "unchanged" for result in results)
        job.preview = _preview(results)
        if job.rows_invalid:
            _attach_error_report(job, results)
        job.status = ImportJob.Status.CHECKED
    job.finished_at = timezone.now()
    job.save()
    return job


def _preview(results: list[RowResult]) -> list[dict]:
    shown = [result for result in results if result.action in ("create", "update") or result.errors][:PREVIEW_ROWS]
    return [
        {
            "row": result.row_number,
            "action": result.action or "invalid",
            "license_no": str(result.values.get("license_no", "")),
            "name": str(result.values.get("name", "")),
            "changes": {name: [str(old), str(new)] for name, (old, new) in result.changes.items()},
            "errors": result.errors,
        }
        for result in shown
    ]


def _attach_error_report(job: ImportJob, results: list[RowResult]) -> None:
    """The uploaded sheet's rows with one more column saying what is wrong with each bad row."""
    rows = read_sheet(job.file.path)
    errors = {result.row_number: "；".join(result.errors) for result in results if result.errors}
    width = len(rows[0])
    columns = [Column(str(title or ""), 16) for title in rows[0]] + [Column(_("What is wrong"), 60)]
    body = (
        [*("" if cell is None else str(cell) for cell in row), *[""] * (width - len(row)), errors.get(number, "")]
        for number, row in enumerate(rows[1:], start=2)
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
        raise ValidationError(
            _("Another import of retailers is in progress; try again when it has finished.")
        ) from error
    if not started:
        raise ValidationError(_("This file has already been imported or refused."))
    from retailers.tasks import import_apply_task

    transaction.on_commit(lambda: import_apply_task.delay(job.pk))
    return ImportJob.objects.get(pk=job.pk)


def import_job_apply(*, job_id: int) -> ImportJob:
    """Import for real. The file is checked again (the data may have changed since the dry run);
    all or nothing unless the admin chose to skip invalid rows."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return job
    try:
        results = _checked(job)
        outcome = retailer_import_apply(
            results=results, imported_by=job.created_by, skip_invalid=job.mode == ImportJob.Mode.SKIP_INVALID
        )
    except ImportHasErrors:
        job.status = ImportJob.Status.FAILED
        job.message = _("Nothing was imported: the file has invalid rows (see the error report).")
    except ImportRefused as error:
        job.status, job.message = ImportJob.Status.FAILED, str(error)
    else:
        job.status = ImportJob.Status.SUCCEEDED
        job.created, job.updated, job.skipped = outcome.created, outcome.updated, outcome.skipped
        job.unchanged, job.touched_ids = outcome.unchanged, outcome.touched_ids
    job.finished_at = timezone.now()
    job.save()
    return job
