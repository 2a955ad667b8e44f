import datetime

from django.core.management.base import BaseCommand

from loyalty.services import points_expire, points_warn_expiring


class Command(BaseCommand):
    help = "Expire lapsed points (one entry per account) and warn the managers of points expiring soon."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="run as on this day (YYYY-MM-DD)")

    def handle(self, *args, **options) -> None:
        expired = points_expire(today=options["today"])
        warned = points_warn_expiring(today=options["today"])
        self.stdout.write(f"Accounts with points expired: {expired:,}; shops warned: {warned:,}.")
