import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.seed import demo_users_ensure, seed_demo


class Command(BaseCommand):
    help = "Build a realistic demo prefecture: regions, areas, managers, products, retailers and weekly orders."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--retailers", type=int, default=2000)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--line-weeks", type=int, default=None, help="write order lines for the last K weeks only")
        parser.add_argument(
            "--until", type=datetime.date.fromisoformat, default=None, help="last order date (YYYY-MM-DD)"
        )
        parser.add_argument("--reset", action="store_true", help="delete the previous demo master data first")
        parser.add_argument(
            "--no-allocation", action="store_true", help="no demo allocation (so no grading run either)"
        )
        parser.add_argument("--no-points", action="store_true", help="no earn rules, rewards or points")

    def handle(self, *args, **options) -> None:
        if options["retailers"] < 1 or options["months"] < 1:
            raise CommandError("--retailers and --months must be at least 1")
        summary = seed_demo(
            retailers=options["retailers"],
            months=options["months"],
            seed=options["seed"],
            until=options["until"] or timezone.localdate(),
            line_weeks=options["line_weeks"],
            reset=options["reset"],
            log=self.stdout.write,
            allocation=not options["no_allocation"],
            points=not options["no_points"],
        )
        if not summary.skipped:
            counts = f"{summary.retailers:,} retailers, {summary.orders:,} orders, {summary.order_lines:,} order lines"
            self.stdout.write(f"Seeded {counts} in {sum(summary.seconds.values()):.1f} s.")
        self.stdout.write("Demo log-ins (local demo data only):")
        for username, password, role in demo_users_ensure():
            self.stdout.write(f"  {username:<12} {password:<22} {role}")
