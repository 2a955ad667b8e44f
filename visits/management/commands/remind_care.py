import datetime

from django.core.management.base import BaseCommand

from visits.services import care_reminders_create


class Command(BaseCommand):
    help = "Create the care reminders (birthdays, festivals) due now, in this process (as the daily beat entry does)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="remind as on this day (YYYY-MM-DD)")

    def handle(self, *args, **options) -> None:
        counts = care_reminders_create(today=options["today"])
        self.stdout.write(f"Care reminders created: {sum(counts.values()):,}.")
