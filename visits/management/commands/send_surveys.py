from django.core.management.base import BaseCommand

from visits.surveys import surveys_send


class Command(BaseCommand):
    help = (
        "Invite the shops due a satisfaction survey and those whose complaint closed, remind the ones that have "
        "not answered, and queue again what was left unsent (the daily beat entry does the same). The messages "
        "are sent by the Celery worker once queued."
    )

    def handle(self, *args, **options) -> None:
        counts = surveys_send()
        self.stdout.write(
            "Surveys: {invited:,} shops invited, {after_complaint:,} after a closed complaint, {reminded:,} "
            "reminded, {resumed:,} queued again, {expired:,} expired.".format(**counts)
        )
