from celery import shared_task

from visits.services import visits_plan


@shared_task(name="visits.plan")
def visits_plan_task() -> dict[str, int]:
    """Beat entry, early each morning: plan the routine visits of every shop (safe to run twice)."""
    return visits_plan()


@shared_task(name="visits.kpis_refresh")
def visit_kpis_refresh_task() -> int:
    """Beat entry, after the planner: rebuild the visit KPIs' daily roll-up (safe to run twice)."""
    from visits.services import visit_kpis_refresh

    return visit_kpis_refresh()


@shared_task(name="visits.kpis_refresh_manager")
def visit_kpis_refresh_manager_task(manager_id: int) -> int:
    """Queued when a visit is logged or missed: that manager's KPI roll-up (safe to run twice)."""
    from visits.services import visit_kpis_refresh

    return visit_kpis_refresh(manager_ids=[manager_id])
