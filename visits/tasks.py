from celery import shared_task

from visits.services import visits_plan


@shared_task(name="visits.plan")
def visits_plan_task() -> dict[str, int]:
    """Beat entry, early each morning: plan the routine visits of every shop (safe to run twice)."""
    return visits_plan()


@shared_task(name="visits.kpis_refresh")
def visit_kpis_refresh_task() -> int:
    """Beat entry, after the planner: rebuild the visit KPIs' roll-up, days and months (safe to run twice)."""
    from visits.services import visit_kpis_refresh

    return visit_kpis_refresh()


@shared_task(name="visits.kpis_refresh_manager")
def visit_kpis_refresh_manager_task(manager_id: int) -> int:
    """Queued when a visit is logged or missed: that manager's KPI roll-up (safe to run twice)."""
    from visits.services import visit_kpis_refresh

    return visit_kpis_refresh(manager_ids=[manager_id])


# Surveys


@shared_task(name="visits.surveys_send")
def surveys_send_task() -> dict[str, int]:
    """Beat entry, daily: invite the shops due, after closed complaints, remind, resume (safe to run twice)."""
    from visits.surveys import surveys_send

    return surveys_send()


@shared_task(name="visits.surveys_deliver")
def surveys_deliver_task(ids: list[int]) -> dict[str, int]:
    """Send the invitations `ids` (queued after the commit that created them); the failed ones are
    queued again after their back-off, and the service's claim makes a doubled task send nothing twice."""
    from visits.surveys import survey_invitations_deliver

    report = survey_invitations_deliver(ids=ids)
    for retry_ids, seconds in report.retry or []:
        surveys_deliver_task.apply_async(args=[retry_ids], countdown=seconds)
    return {"sent": report.sent, "failed": report.failed, "skipped": report.skipped}


@shared_task(name="visits.care_remind")
def care_reminders_task() -> dict[str, int]:
    """Beat entry, daily: the care reminders (birthdays, festivals) coming up (safe to run twice)."""
    from visits.services import care_reminders_create

    return care_reminders_create()
