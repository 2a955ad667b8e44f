"""Background Excel exports: apps register a builder per kind; a worker writes the file.

A builder is `builder(user, params) -> (filename, sheets)`; it applies the same scoping and
filters as the page the export was asked from, so a job exports exactly what the user saw.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise

from crm_site.excel import Sheet, write_xlsx
from crm_site.messages import EXPORT_FAILED, EXPORT_NOT_PERMITTED
from crm_site.models import ExportJob, ExportLog

logger = logging.getLogger(__name__)
Builder = Callable[..., tuple[str, Sequence[Sheet]]]


class UnknownExportKind(ValueError):
    """A kind no app registered (a hand-made request): the view answers 400."""


class Export(NamedTuple):
    builder: Builder
    permission: str
    label: str | Promise


_builders: dict[str, Export] = {}


def register_export(kind: str, builder: Builder, *, permission: str, label: str | Promise) -> None:
    """`label` names the list on the user's exports page (gettext_lazy)."""
    _builders[kind] = Export(builder, permission, label)


def export_label(kind: str) -> str:
    """What an export job holds, in the reader's language (the code for a kind no longer registered)."""
    export = _builders.get(kind)
    return str(export.label) if export else kind


def may_export_anything(user) -> bool:
    """Whether the user may start any background export (and so has a 'My exports' page to visit)."""
    return any(user.has_perm(export.permission) for export in _builders.values())


def list_state(query: Mapping[str, str], *, without: Collection[str] = ("after",)) -> dict[str, str]:
    """A list page's filter state as an export keeps it (in its job and its log): the query's
    parameters less `without` (the paging cursor …), with NUL characters dropped: PostgreSQL stores
    none in JSON, no filter accepts one, and a typed URL must not turn an export into a 500."""
    return {key.replace("\x00", ""): value.replace("\x00", "") for key, value in query.items() if key not in without}


def export_job_start(*, user, kind: str, params: dict) -> ExportJob:
    if kind not in _builders:
        raise UnknownExportKind(f"unknown export {kind!r}")
    if not user.has_perm(_builders[kind].permission):
        raise PermissionDenied
    job = ExportJob.objects.create(user=user, kind=kind, params=params)
    from crm_site.tasks import export_job_task

    transaction.on_commit(lambda: export_job_task.delay(job.pk))
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the file (constant memory), attach it to the job and log the export; safe to run twice."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(status=ExportJob.Status.RUNNING):
        return ExportJob.objects.get(pk=job_id)
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        builder, permission, _label = _builders[job.kind]
        if not job.user.has_perm(permission):
            job.status = ExportJob.Status.FAILED
            EXPORT_NOT_PERMITTED.say().set_on(job)
        else:
            filename, sheets = builder(job.user, job.params)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"{filename}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.xlsx"
                job.row_count = write_xlsx(str(path), sheets, on_progress=_progress_recorder(job.pk))
                with path.open("rb") as handle:
                    job.file.save(path.name, File(handle), save=False)
            ExportLog.objects.create(user=job.user, kind=job.kind, filters=job.params, row_count=job.row_count)
            job.status = ExportJob.Status.SUCCEEDED
    except Exception as error:  # recorded on the job for the user to see
        logger.exception("export job %s failed", job_id)
        job.status = ExportJob.Status.FAILED
        # short enough for the sentence around it to fit the job's text (300 characters)
        EXPORT_FAILED.say(error=f"{type(error).__name__}: {error}"[:250]).set_on(job)
    job.finished_at = timezone.now()
    job.save()
    return job


def _progress_recorder(job_id: int) -> Callable[[int], None]:
    """Rows written so far, recorded on the job as the file is written (its page polls them)."""

    def record(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(row_count=rows)

    return record


def export_jobs_clean(*, older_than: datetime.timedelta = datetime.timedelta(days=7)) -> int:
    """Delete export files (and their jobs) older than a week: exported data must not pile up."""
    old = ExportJob.objects.filter(created_at__lt=timezone.now() - older_than)
    for job in old.exclude(file=""):
        job.file.delete(save=False)
    return old.delete()[0]
