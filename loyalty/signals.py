"""Earning after each order import: retailers sends `orders_imported` once the import committed."""

from __future__ import annotations

from django.db import transaction


def _earn_after_import(sender, job_id: int, **kwargs) -> None:
    from loyalty.tasks import points_earn_task

    transaction.on_commit(points_earn_task.delay)


def connect_order_imports() -> None:
    from retailers.signals import orders_imported

    orders_imported.connect(_earn_after_import, dispatch_uid="loyalty.earn_after_import")
