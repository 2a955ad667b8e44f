"""Stamps each retailer history row with the source of the change (manager, import, …).

Services set `instance._change_source` before saving; a plain save counts as the manager's.
"""

from django.dispatch import Signal, receiver
from simple_history.signals import pre_create_historical_record

from retailers.models import ChangeSource, HistoricalRetailer


@receiver(pre_create_historical_record, sender=HistoricalRetailer)
def stamp_change_source(sender, instance, history_instance, **kwargs) -> None:
    history_instance.change_source = getattr(instance, "_change_source", ChangeSource.MANAGER)


# Sent when an order import succeeded (kwargs: job_id, retailer_ids), inside its transaction:
# higher apps (analytics, the points ledger) connect to it in their ready() and queue their own
# work with transaction.on_commit; retailers knows nothing of them.
orders_imported = Signal()
