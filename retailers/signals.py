"""Stamps each retailer history row with the source of the change (manager, import, …).

Services set `instance._change_source` before saving; a plain save counts as the manager's.
"""

from django.dispatch import Signal, receiver
from simple_history.signals import pre_create_historical_record

from retailers.models import ChangeSource, HistoricalRetailer


@receiver(pre_create_historical_record, sender=HistoricalRetailer)
def stamp_change_source(sender, instance, history_instance, **kwargs) -> None:
    history_instance.change_source = getattr(instance, "_change_source", ChangeSource.MANAGER)


# Sent when an order import has been committed (kwargs: job_id, retailer_ids); higher apps (analytics)
# connect to it in their ready() to refresh what they derive from the orders.
orders_imported = Signal()
