"""Points reads for other apps (the ledger itself is being built)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from retailers.models import Retailer


def points_outstanding(*, retailers: QuerySet[Retailer]) -> Decimal | None:
    """The points these shops hold and have not redeemed or lost to expiry.

    None: the ledger holds nothing yet."""
    return None
