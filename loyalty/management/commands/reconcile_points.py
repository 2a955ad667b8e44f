from django.core.management.base import BaseCommand, CommandError

from loyalty.services import points_reconcile


class Command(BaseCommand):
    help = "Check that every stored points balance is the sum of its entries; list the accounts that differ."

    def handle(self, *args, **options) -> None:
        differences = points_reconcile()
        for difference in differences:
            self.stdout.write(
                f"account {difference.account_id} (retailer {difference.retailer_id}): "
                f"stored {difference.stored:,}, entries sum to {difference.summed:,}"
            )
        if differences:
            raise CommandError(f"{len(differences):,} balances differ from their entries.")
        self.stdout.write("Every balance equals the sum of its entries.")
