from django.core.management.base import BaseCommand

from visits.services import visit_kpis_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the visit KPIs' roll-up (daily rows and their monthly sums) from the visits "
        "(the nightly job visits.kpis_refresh does it too)."
    )

    def handle(self, *args, **options) -> None:
        rows = visit_kpis_refresh()
        self.stdout.write(f"visit KPI roll-up: {rows} rows")
