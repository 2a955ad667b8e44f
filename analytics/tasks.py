from celery import shared_task

from analytics.services import analytics_refresh


@shared_task(name="analytics.refresh")
def analytics_refresh_task(full: bool = False) -> str:
    """The summaries brought up to date (incremental unless `full`); safe to run twice."""
    outcome = analytics_refresh(full=full)
    return f"{'full' if outcome.full else 'incremental'}: {outcome.new_orders} orders, {outcome.seconds:.1f} s"


@shared_task(name="analytics.refresh_nightly")
def analytics_refresh_nightly_task() -> str:
    """Beat entry: the nightly full refresh (it also catches orders changed in place)."""
    return analytics_refresh_task(full=True)


@shared_task(name="analytics.forecast_refresh")
def forecast_refresh_task() -> int:
    """Beat entry, nightly: the sales forecast of every shop (a new run replaces the old one)."""
    from analytics.forecast_services import forecast_refresh

    return forecast_refresh().shop_count


@shared_task(name="analytics.risk_refresh")
def risk_refresh_task() -> int:
    """Beat entry, nightly: the compliance risk findings of the last weeks (new ones only)."""
    from analytics.risk_services import risk_refresh

    return risk_refresh()
