"""What the ledger follows in retailers: earning after each order import (retailers sends
`orders_imported` once the import committed), and deleted orders (to reverse their points)."""

from __future__ import annotations

from django.db import transaction


def _earn_after_import(sender, job_id: int, **kwargs) -> None:
    from loyalty.tasks import points_earn_task

    transaction.on_commit(points_earn_task.delay)


def _note_removed_order(sender, instance, **kwargs) -> None:
    from loyalty.services import points_order_removed

    points_order_removed(order_id=instance.pk)


def connect_order_imports() -> None:
    from django.db.models.signals import post_delete

    from retailers.models import Order
    from retailers.signals import orders_imported

    orders_imported.connect(_earn_after_import, dispatch_uid="loyalty.earn_after_import")
    post_delete.connect(_note_removed_order, sender=Order, dispatch_uid="loyalty.note_removed_order")
