from celery import shared_task

from retailers.import_jobs import import_job_apply, import_job_check


@shared_task(name="retailers.import_check")
def import_check_task(job_id: int) -> str:
    return import_job_check(job_id=job_id).status


@shared_task(name="retailers.import_apply")
def import_apply_task(job_id: int) -> str:
    return import_job_apply(job_id=job_id).status
