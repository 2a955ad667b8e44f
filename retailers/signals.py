"""Stamps each retailer history row with the source of the change (manager, import, …).

Services set `instance._change_source` before saving; a plain save counts as the manager's.
"""

from django.dispatch import Signal, receiver
from simple_history.signals import pre_create_historical_record

from retailers.models import ChangeSource, HistoricalRetailer


@receiver(pre_create_historical_record, sender=HistoricalRetailer)
def stamp_change_source(sender, instance, history_instance, **kwargs) -> None:
    history_instance.change_source = getattr(instance, "_change_source", ChangeSource.MANAGER)


# Sent once an import of orders has committed (kind, job_id): higher apps (the points ledger)
# connect to it in their ready() and queue their own work; retailers knows nothing of them.
orders_imported = Signal()
