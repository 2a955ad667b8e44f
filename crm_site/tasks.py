import os
import socket

from celery import shared_task
from django.utils import timezone


@shared_task(name="crm_site.health_check")
def health_check() -> dict:
    """Answers from the worker: used by monitoring (and the test) to prove a worker is consuming."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "at": timezone.now().isoformat()}


@shared_task(name="crm_site.export_job")
def export_job_task(job_id: int) -> str:
    from crm_site.exports import export_job_run

    return export_job_run(job_id=job_id).status


@shared_task(name="crm_site.clean_exports")
def clean_exports_task() -> int:
    from crm_site.exports import export_jobs_clean

    return export_jobs_clean()
