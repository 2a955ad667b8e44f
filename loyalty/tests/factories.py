import datetime
from decimal import Decimal

import factory

from loyalty.models import EarnRule, Reward, RuleKind

LONG_AGO = datetime.date(2020, 1, 1)


class EarnRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarnRule

    kind = RuleKind.PURCHASE
    points = Decimal("0.1")
    valid_from = LONG_AGO


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    name = factory.Sequence(lambda n: f"陈列柜{n}号")
    points_price = 100
    stock = 10
    valid_from = LONG_AGO
