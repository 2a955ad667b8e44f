from django.core.management.base import BaseCommand

from analytics.forecast_services import forecast_refresh


class Command(BaseCommand):
    help = "Forecast every shop's sales and backtest it (the nightly job analytics.forecast_refresh does it too)."

    def handle(self, *args, **options) -> None:
        run = forecast_refresh()
        self.stdout.write(
            f"forecast of {run.shop_count} shops ({run.intermittent_count} ordering irregularly), "
            f"orders up to {run.as_of}: {run.seconds} s"
        )
