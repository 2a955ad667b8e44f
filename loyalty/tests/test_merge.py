"""A dossier merge carries the duplicate's points to the survivor (retailers.merge_steps)."""

import pytest

from crm_site.roles import Role
from loyalty.models import PointsAccount, PointsEntry
from loyalty.services import points_adjust, points_earn_orders, points_reconcile
from retailers.services import retailer_merge

pytestmark = pytest.mark.django_db


def balance(shop) -> int:
    return PointsAccount.objects.get(retailer=shop).balance


def test_merging_two_shops_with_points_keeps_every_entry_under_the_survivor(prefecture, purchase_rule, order_for):
    shops, admin = prefecture["shops"], prefecture["users"][Role.ADMIN]
    order_for(shops["a"], amount="2600.00")
    order_for(shops["b"], amount="1000.00")
    points_earn_orders()
    points_adjust(retailer=shops["b"], points=40, reason="陈列奖励", user=admin)
    before = {"a": balance(shops["a"]), "b": balance(shops["b"])}
    entries_b = set(PointsEntry.objects.filter(account__retailer=shops["b"]).values_list("pk", flat=True))
    assert before["a"] > 0 and before["b"] > 40 and entries_b

    retailer_merge(survivor=shops["a"], duplicate=shops["b"], merged_by=admin, reason="同一家店")

    assert balance(shops["a"]) == before["a"] + before["b"]
    survivor_entries = set(PointsEntry.objects.filter(account__retailer=shops["a"]).values_list("pk", flat=True))
    assert entries_b <= survivor_entries
    assert PointsAccount.objects.count() == 1 + PointsAccount.objects.exclude(retailer__in=[shops["a"]]).count()
    assert points_reconcile() == []


def test_a_lone_account_is_moved_by_the_merge_itself(prefecture, purchase_rule, order_for):
    shops, admin = prefecture["shops"], prefecture["users"][Role.ADMIN]
    order_for(shops["b"], amount="1000.00")
    points_earn_orders()
    PointsAccount.objects.filter(retailer=shops["a"]).delete()
    held = balance(shops["b"])

    retailer_merge(survivor=shops["a"], duplicate=shops["b"], merged_by=admin, reason="同一家店")

    assert balance(shops["a"]) == held and points_reconcile() == []


def test_the_statement_lists_entries_newest_first_by_date_whatever_kind(prefecture, purchase_rule, order_for):
    import datetime

    from loyalty.selectors import points_statement

    shop, admin = prefecture["shops"]["a"], prefecture["users"][Role.ADMIN]
    order_for(shop, on=datetime.date.today() - datetime.timedelta(days=30))
    points_earn_orders()
    points_adjust(retailer=shop, points=40, reason="陈列奖励", user=admin)
    order_for(shop, on=datetime.date.today() - datetime.timedelta(days=60))
    points_earn_orders()  # booked after the adjustment, dated before it
    dates = [line.entry.booked_on for line in points_statement(account=PointsAccount.objects.get(retailer=shop))]
    assert len(dates) == 3 and dates == sorted(dates, reverse=True)
