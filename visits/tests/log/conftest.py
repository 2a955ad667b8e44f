"""Fixtures of the visit log, dossier and KPI tests (a folder of their own: the other parts of the
visits app have theirs). Helpers to build visits and orders are in helpers.py."""

import datetime

import pytest
import time_machine

from crm_site.roles import Role
from retailers.models import Tier
from retailers.tests.factories import ProductFactory, RetailerFactory
from visits.tests.log.helpers import TODAY, buy


@pytest.fixture
def today():
    with time_machine.travel(datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield TODAY


@pytest.fixture
def manager(prefecture):
    return prefecture["users"][Role.SALES_MANAGER]


@pytest.fixture
def shop(prefecture, manager):
    """A key shop of area A (weekly visits), served by the manager."""
    return RetailerFactory(
        service_area=prefecture["areas"]["a"],
        account_manager=manager,
        tier=Tier.KEY,
        license_expires_on=datetime.date(2028, 12, 31),
    )


@pytest.fixture
def other_shop(prefecture):
    """A shop of area C (region 2), served by the other manager."""
    return RetailerFactory(
        service_area=prefecture["areas"]["c"],
        account_manager=prefecture["other_manager"],
        tier=Tier.ORDINARY,
        license_expires_on=datetime.date(2028, 12, 31),
    )


@pytest.fixture
def top_products(shop, today):
    """Two products the shop bought (the first more)."""
    first, second = ProductFactory(brand="南京"), ProductFactory(brand="中华")
    buy(shop, first, on=TODAY - datetime.timedelta(days=10), amount="5200.00", quantity=20)
    buy(shop, second, on=TODAY - datetime.timedelta(days=20), amount="2600.00")
    return [first, second]
