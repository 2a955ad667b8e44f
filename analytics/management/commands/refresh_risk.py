from django.core.management.base import BaseCommand

from analytics.risk_services import risk_refresh


class Command(BaseCommand):
    help = "Apply the compliance risk rules to the last weeks (the nightly job analytics.risk_refresh does it too)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"compliance risk: {risk_refresh()} new findings")
