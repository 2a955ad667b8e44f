import datetime

from django.core.management.base import BaseCommand

from visits.services import visits_plan


class Command(BaseCommand):
    help = "Plan the routine visits of every shop now, in this process (the daily beat entry does the same)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="plan as on this day (YYYY-MM-DD)")

    def handle(self, *args, **options) -> None:
        counts = visits_plan(today=options["today"])
        self.stdout.write(
            "Visits planned: {created:,} created, {reassigned:,} reassigned, "
            "{rescheduled:,} rescheduled, {cancelled:,} cancelled.".format(**counts)
        )
