from celery import shared_task


@shared_task(name="analytics.forecast_refresh")
def forecast_refresh_task() -> int:
    """Beat entry, nightly: the sales forecast of every shop (a new run replaces the old one)."""
    from analytics.forecast_services import forecast_refresh

    return forecast_refresh().shop_count
