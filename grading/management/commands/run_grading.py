from django.core.management.base import BaseCommand, CommandError

from crm_site.formatting import format_duration
from grading.models import GradingRun, RunStatus, RunTrigger
from grading.services import GradingRunAlreadyActive, grading_run_execute, grading_run_start
from retailers.models import Tier


class Command(BaseCommand):
    help = "Grade every shop now, in this process (the nightly beat entry does the same through Celery)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--if-never-run", action="store_true", help="do nothing if a run has already succeeded")

    def handle(self, *args, **options) -> None:
        if options["if_never_run"] and GradingRun.objects.filter(status=RunStatus.SUCCEEDED).exists():
            self.stdout.write("Shops are graded already.")
            return
        try:
            run = grading_run_start(trigger=RunTrigger.COMMAND, queue=False)
        except GradingRunAlreadyActive as error:
            raise CommandError(str(error)) from error
        run = grading_run_execute(run_id=run.pk)
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(run.note)
        tiers = ", ".join(f"{Tier(tier).label} {count:,}" for tier, count in run.tier_counts.items())
        self.stdout.write(f"Graded {run.graded_count:,} shops in {format_duration(run.seconds)}: {tiers}")
