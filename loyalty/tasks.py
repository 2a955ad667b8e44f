from celery import shared_task

from loyalty.services import points_earn, points_expire, points_reconcile, points_warn_expiring


@shared_task(name="loyalty.earn")
def points_earn_task() -> dict[str, int]:
    """Beat entry, nightly, and queued after each order import: earn for everything new (safe to run twice)."""
    return points_earn()


@shared_task(name="loyalty.expire")
def points_expire_task() -> dict[str, int]:
    """Beat entry, just after midnight: expire lapsed points, then warn of those expiring soon."""
    return {"expired": points_expire(), "warned": points_warn_expiring()}


@shared_task(name="loyalty.reconcile")
def points_reconcile_task() -> int:
    """Beat entry, nightly: stored balances against the sums of the entries; the differences are logged."""
    return len(points_reconcile())
