from django.core.management.base import BaseCommand

from loyalty.services import points_earn


class Command(BaseCommand):
    help = "Earn points for new orders, changed orders, referrals, survey answers and visit feedback now."

    def handle(self, *args, **options) -> None:
        counts = points_earn()
        self.stdout.write(
            "Points entries written: {orders:,} for orders, {corrections:,} corrections, {referrals:,} referrals, "
            "{surveys:,} surveys, {feedback:,} visit feedback.".format(**counts)
        )
