"""Building visits and orders for the visit log, dossier and KPI tests."""

import datetime
from decimal import Decimal

from retailers.models import OrderLine
from retailers.tests.factories import OrderFactory
from visits.models import Visit, VisitKind

TODAY = datetime.date(2026, 9, 1)  # a Tuesday


def plan(retailer, *, kind=VisitKind.ROUTINE, planned_on=TODAY, manager=None, **fields) -> Visit:
    return Visit.objects.create(
        retailer=retailer,
        manager=manager or retailer.account_manager,
        kind=kind,
        planned_on=planned_on,
        interval_days=7 if kind == VisitKind.ROUTINE else None,
        **fields,
    )


def buy(retailer, product, *, on=TODAY, amount="2600.00", quantity=10):
    order = OrderFactory(retailer=retailer, ordered_on=on, amount=Decimal(amount), cartons=quantity)
    OrderLine.objects.create(
        order=order, product=product, quantity=quantity, unit_price=Decimal(amount) / quantity, amount=Decimal(amount)
    )
    return order
