"""Earning: every earn rule, the tier multiplier, idempotence, corrections of changed orders."""

import datetime
from decimal import Decimal

import pytest

from loyalty.models import EntryKind, PointsAccount, PointsEntry, RuleKind, Watermark
from loyalty.services import (
    points_correct_orders,
    points_earn,
    points_earn_feedback,
    points_earn_orders,
    points_earn_referrals,
    points_earn_surveys,
    points_reconcile,
)
from loyalty.tests.factories import EarnRuleFactory
from retailers.models import Retailer, Tier
from visits.selectors import SurveyAnswered

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def balance(shop) -> int:
    return PointsAccount.objects.get(retailer=shop).balance


def entries(shop, kind=None) -> list[tuple[str, int]]:
    found = PointsEntry.objects.filter(account__retailer=shop).order_by("id")
    if kind:
        found = found.filter(kind=kind)
    return list(found.values_list("kind", "points"))


def set_tier(shop, tier):
    Retailer.objects.filter(pk=shop.pk).update(tier=tier)


def test_an_order_earns_points_per_yuan(prefecture, purchase_rule, order_for):
    shop = prefecture["shops"]["a"]
    order = order_for(shop, "2600.00")
    assert points_earn_orders() == 1
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.source_id, entry.booked_on) == (EntryKind.PURCHASE, 260, order.pk, TODAY)
    assert entry.expires_on > TODAY
    assert balance(shop) == 260
    assert balance(prefecture["shops"]["b"]) == 0  # every shop has an account
    assert points_reconcile() == []


@pytest.mark.parametrize(("tier", "points"), [(Tier.KEY, 390), (Tier.ORDINARY, 260), (Tier.SPECIAL, 208), ("", 260)])
def test_the_tiers_multiplier_applies(prefecture, purchase_rule, order_for, tier, points):
    shop = prefecture["shops"]["a"]
    set_tier(shop, tier)
    order_for(shop, "2600.00")
    points_earn_orders()
    assert balance(shop) == points  # grading's service policy: key 1.5, ordinary 1.0, special 0.8


def test_a_price_class_rate_replaces_the_general_one_for_its_lines(prefecture, purchase_rule, order_for, product):
    EarnRuleFactory(points=Decimal("0.3"), price_class=1)
    first_class, second_class = product(price_class=1), product(price_class=2)
    shop = prefecture["shops"]["a"]
    order_for(shop, "2600.00", lines=[(first_class, 2, "1000.00"), (second_class, 4, "1600.00")])
    points_earn_orders()
    assert entries(shop) == [(EntryKind.PURCHASE, 1000 * 3 // 10 + 160)]


def test_a_rule_earns_only_within_its_validity(prefecture, order_for):
    EarnRuleFactory(points=Decimal("1"), valid_from=TODAY - datetime.timedelta(days=10), valid_to=TODAY)
    shop = prefecture["shops"]["a"]
    order_for(shop, "100.00", on=TODAY - datetime.timedelta(days=11))
    order_for(shop, "50.00", on=TODAY - datetime.timedelta(days=10))
    points_earn_orders()
    assert entries(shop) == [(EntryKind.PURCHASE, 50)]


def test_a_new_product_earns_a_bonus_per_carton_within_days_of_its_launch(prefecture, order_for, product):
    EarnRuleFactory(kind=RuleKind.NEW_PRODUCT, points=Decimal("5"), new_product_days=30)
    new = product(launched_on=TODAY - datetime.timedelta(days=30))
    old = product(launched_on=TODAY - datetime.timedelta(days=31))
    shop = prefecture["shops"]["a"]
    order_for(shop, "1000.00", lines=[(new, 4, "600.00"), (old, 2, "400.00")])
    set_tier(shop, Tier.KEY)
    points_earn_orders()
    assert entries(shop) == [(EntryKind.NEW_PRODUCT, 30)]  # 4 cartons × 5 × 1.5; no purchase rule


def test_earning_twice_earns_nothing_twice(prefecture, purchase_rule, order_for):
    shop = prefecture["shops"]["a"]
    order_for(shop)
    points_earn_orders()
    assert points_earn_orders() == 0
    Watermark.objects.filter(name="orders").update(last_id=0)  # even from the start again: the unique key
    assert points_earn_orders() == 0
    assert entries(shop) == [(EntryKind.PURCHASE, 260)]
    assert balance(shop) == 260
    order_for(shop, "100.00")
    assert points_earn_orders() == 1  # a new order earns
    assert balance(shop) == 270


def test_a_changed_order_is_corrected_by_a_new_entry(prefecture, purchase_rule, order_for):
    shop = prefecture["shops"]["a"]
    order = order_for(shop, "2600.00")
    points_earn_orders()
    order.amount = Decimal("2000.00")  # edited (a re-import stamps its change time the same way)
    order.save()
    assert order.updated_at is not None
    assert points_correct_orders() == 1
    assert entries(shop) == [(EntryKind.PURCHASE, 260), (EntryKind.CORRECTION, -60)]
    assert balance(shop) == 200
    assert points_correct_orders() == 0  # nothing left to correct
    order.amount = Decimal("3000.00")
    order.save(update_fields=["amount"])
    points_correct_orders()
    assert entries(shop)[-1] == (EntryKind.CORRECTION, 100)
    assert PointsEntry.objects.filter(kind=EntryKind.CORRECTION).order_by("id").last().revision == 2
    assert balance(shop) == 300
    assert points_reconcile() == []


def test_a_deleted_order_is_reversed(prefecture, purchase_rule, order_for):
    shop = prefecture["shops"]["a"]
    order = order_for(shop, "2600.00")
    points_earn_orders()
    order.delete()
    points_correct_orders()
    assert entries(shop) == [(EntryKind.PURCHASE, 260), (EntryKind.CORRECTION, -260)]
    assert balance(shop) == 0
    assert points_correct_orders() == 0


def test_only_the_orders_changed_within_the_window_are_corrected(prefecture, purchase_rule, order_for):
    from django.utils import timezone

    from loyalty.models import RemovedOrder

    shop = prefecture["shops"]["a"]
    old, recent, gone = order_for(shop, "2600.00"), order_for(shop, "1000.00"), order_for(shop, "500.00")
    points_earn_orders()
    long_ago = timezone.now() - datetime.timedelta(days=40)
    # changed before the window:
    type(old).objects.filter(pk=old.pk).update(amount=Decimal("100.00"), updated_at=long_ago)
    type(recent).objects.filter(pk=recent.pk).update(amount=Decimal("100.00"))  # never stamped: not seen as changed
    gone_id = gone.pk
    gone.delete()
    assert RemovedOrder.objects.filter(order_id=gone_id).exists()
    assert points_correct_orders() == 1
    assert entries(shop, EntryKind.CORRECTION) == [(EntryKind.CORRECTION, -50)]
    recent.refresh_from_db()
    recent.save()  # now stamped
    assert points_correct_orders() == 1
    assert entries(shop, EntryKind.CORRECTION)[-1] == (EntryKind.CORRECTION, -90)
    RemovedOrder.objects.filter(order_id=gone_id).update(removed_at=long_ago)
    points_correct_orders()
    assert not RemovedOrder.objects.exists()  # a note older than the window is dropped


def test_a_reversal_takes_no_more_than_the_balance(prefecture, purchase_rule, order_for, reward):
    shop, manager = prefecture["shops"]["a"], prefecture["users"]["sales_manager"]
    order = order_for(shop, "2600.00")
    points_earn_orders()
    from loyalty.services import redemption_file

    redemption_file(retailer=shop, reward=reward(points_price=200), user=manager)
    order.delete()
    points_correct_orders()
    assert entries(shop)[-1] == (EntryKind.CORRECTION, -60)
    assert balance(shop) == 0


def test_an_answered_survey_earns_once(prefecture, monkeypatch):
    EarnRuleFactory(kind=RuleKind.SURVEY, points=Decimal("50"))
    shop = prefecture["shops"]["a"]
    set_tier(shop, Tier.KEY)
    answered = [SurveyAnswered(response_id=7, retailer_id=shop.pk, answered_at=_now(), kind="routine")]
    asked = []

    def answers(*, since_id=0, limit=1000):
        asked.append(since_id)
        return [answer for answer in answered if answer.response_id > since_id][:limit]

    monkeypatch.setattr("loyalty.services.survey_answers_for_points", answers)
    assert points_earn_surveys() == 1
    assert points_earn_surveys() == 0
    assert asked == [0, 7]  # the watermark
    assert entries(shop) == [(EntryKind.SURVEY, 75)]
    assert balance(shop) == 75


def test_survey_answers_are_pulled_in_batches(prefecture, monkeypatch):
    EarnRuleFactory(kind=RuleKind.SURVEY, points=Decimal("10"))
    shop = prefecture["shops"]["b"]
    answered = [SurveyAnswered(n, shop.pk, _now(), "routine") for n in range(1, 6)]
    monkeypatch.setattr(
        "loyalty.services.survey_answers_for_points",
        lambda *, since_id=0, limit=1000: [a for a in answered if a.response_id > since_id][:limit],
    )
    assert points_earn_surveys(batch=2) == 5
    assert balance(shop) == 50


def test_a_visit_logged_with_feedback_earns_once(prefecture):
    from visits.models import Visit

    EarnRuleFactory(kind=RuleKind.FEEDBACK, points=Decimal("20"))
    shop, manager = prefecture["shops"]["a"], prefecture["users"]["sales_manager"]
    visit = Visit.objects.create(
        retailer=shop, manager=manager, kind="routine", planned_on=TODAY, status="done", visited_on=TODAY,
        feedback="希望多投放新品",
    )  # fmt: skip
    Visit.objects.create(
        retailer=shop, manager=manager, kind="routine", planned_on=TODAY, status="done", visited_on=TODAY
    )  # fmt: skip  (no feedback: no points)
    assert points_earn_feedback() == 1
    assert points_earn_feedback() == 0
    assert PointsEntry.objects.get().source_id == visit.pk
    assert balance(shop) == 20


def test_a_referral_earns_once_the_referred_shop_orders(prefecture, order_for):
    EarnRuleFactory(kind=RuleKind.REFERRAL, points=Decimal("500"))
    referrer, newcomer = prefecture["shops"]["a"], prefecture["shops"]["b"]
    Retailer.objects.filter(pk=newcomer.pk).update(referred_by=referrer)
    assert points_earn_referrals() == 0  # no order yet
    order_for(newcomer, "100.00")
    order_for(newcomer, "100.00", on=TODAY - datetime.timedelta(days=3))
    assert points_earn_referrals() == 1
    assert points_earn_referrals() == 0
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.source_id) == (EntryKind.REFERRAL, 500, newcomer.pk)
    assert entry.booked_on == TODAY - datetime.timedelta(days=3)  # the first order
    assert balance(referrer) == 500


def test_the_nightly_run_does_everything_and_twice_changes_nothing(prefecture, purchase_rule, order_for):
    shop = prefecture["shops"]["a"]
    order_for(shop)
    first = points_earn()
    assert first["orders"] == 1
    assert points_earn() == {"orders": 0, "corrections": 0, "referrals": 0, "surveys": 0, "feedback": 0}
    assert balance(shop) == 260


def test_the_command_and_the_task_call_the_same_service(prefecture, purchase_rule, order_for):
    import io

    from django.core.management import call_command

    from loyalty.tasks import points_earn_task

    order_for(prefecture["shops"]["a"])
    out = io.StringIO()
    call_command("earn_points", stdout=out)
    assert "1 for orders" in out.getvalue()
    assert points_earn_task()["orders"] == 0


def test_an_order_import_earns_after_it_commits(
    prefecture, purchase_rule, order_for, django_capture_on_commit_callbacks
):
    from retailers.models import ImportJob
    from retailers.signals import orders_imported

    order_for(prefecture["shops"]["a"])
    with django_capture_on_commit_callbacks(execute=True):
        orders_imported.send(sender=ImportJob, job_id=1)
    assert balance(prefecture["shops"]["a"]) == 260


def _now():
    from django.utils import timezone

    return timezone.now()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_vacuums_the_ledger_after_a_first_fill_only(prefecture, purchase_rule, order_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def vacuums_of(run) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            run()
        return [query["sql"] for query in queries if query["sql"].startswith("VACUUM")]

    shop = prefecture["shops"]["a"]
    order_for(shop, "2600.00")
    first = vacuums_of(points_earn_orders)
    order_for(shop, "1000.00")
    nightly = vacuums_of(points_earn_orders)
    if connection.vendor == "postgresql":
        assert any('"loyalty_pointsentry"' in sql for sql in first)
    else:
        assert first == []
    assert nightly == []  # a night's few entries are autovacuum's
    assert balance(shop) == 360  # both runs committed
