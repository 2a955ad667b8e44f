from celery import shared_task

from grading.services import GradingRunAlreadyActive, grading_run_execute, grading_run_start, tier_overrides_expire


@shared_task(name="grading.run")
def grading_run_task(run_id: int) -> str:
    return grading_run_execute(run_id=run_id).status


@shared_task(name="grading.run_nightly")
def grading_nightly_task() -> str:
    """Beat entry: start tonight's run unless one is already going (then do nothing)."""
    try:
        run = grading_run_start()
    except GradingRunAlreadyActive:
        return "skipped: a run is in progress"
    return f"queued run {run.pk}"


@shared_task(name="grading.expire_overrides")
def tier_overrides_expire_task() -> int:
    """Beat entry, just after midnight: overrides past their date end and their shops go back to
    the tier by score."""
    return tier_overrides_expire()


@shared_task(name="grading.allocation_uptake")
def allocation_uptake_task() -> int:
    """Beat entry, early morning: the uptake of the allocations whose period ended in the last
    four weeks, read again from the orders (late orders included). Safe to run twice."""
    from grading.services import allocation_uptake_due

    return allocation_uptake_due()
