import datetime
from decimal import Decimal

import pytest

from loyalty.tests.factories import EarnRuleFactory, RewardFactory
from retailers.models import OrderLine
from retailers.tests.factories import OrderFactory, ProductFactory


@pytest.fixture
def purchase_rule(db):
    """0.1 point per yuan: an order of 2,600 yuan earns 260 points (times the tier's multiplier)."""
    return EarnRuleFactory(points=Decimal("0.1"))


@pytest.fixture
def order_for():
    """order_for(shop, amount=2600, on=date, lines=[(product, quantity, amount)]) -> an order."""

    def make(shop, amount="2600.00", on=None, lines=()):
        order = OrderFactory(retailer=shop, amount=Decimal(amount), ordered_on=on or datetime.date.today())
        for product, quantity, line_amount in lines:
            OrderLine.objects.create(
                order=order, product=product, quantity=quantity, unit_price=Decimal(line_amount) / quantity,
                amount=Decimal(line_amount),
            )  # fmt: skip
        return order

    return make


@pytest.fixture
def product():
    return ProductFactory


@pytest.fixture
def reward(db):
    return RewardFactory
