from django.core.management.base import BaseCommand

from analytics.services import analytics_refresh


class Command(BaseCommand):
    help = "Bring the analytics summary tables up to date with the orders (incremental unless --full)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="recompute every week and month")

    def handle(self, *args, full: bool = False, **options) -> None:
        outcome = analytics_refresh(full=full)
        kind = "full" if outcome.full else "incremental"
        steps = ", ".join(f"{name} {took:.1f} s" for name, took in outcome.steps.items())
        self.stdout.write(f"analytics refresh ({kind}): {outcome.new_orders} orders, {outcome.seconds:.1f} s ({steps})")
