from celery import shared_task


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
