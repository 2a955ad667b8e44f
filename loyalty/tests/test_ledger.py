"""The ledger's invariants, FIFO expiry and its warnings, redemptions with refunds, manual
adjustments, the reconciliation; and, on PostgreSQL, racing redemptions."""

import datetime
import threading

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from crm_site.models import Notification
from loyalty.models import (
    EntryKind,
    ImmutableEntry,
    PointsAccount,
    PointsEntry,
    Redemption,
    RedemptionStatus,
    Reward,
)
from loyalty.selectors import points_expiring, points_outstanding
from loyalty.services import (
    LoyaltyError,
    points_adjust,
    points_earn_orders,
    points_expire,
    points_reconcile,
    points_warn_expiring,
    redemption_file,
    redemption_set_status,
)
from retailers.models import Retailer, Tier

TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def _english():
    """The services' messages are matched in English here."""
    with translation.override("en"):
        yield


def balance(shop) -> int:
    return PointsAccount.objects.get(retailer=shop).balance


def kinds(shop) -> list[tuple[str, int]]:
    return list(PointsEntry.objects.filter(account__retailer=shop).order_by("id").values_list("kind", "points"))


@pytest.fixture
def rich_shop(prefecture, purchase_rule, order_for):
    """Shop A with 260 points from one order today."""
    order_for(prefecture["shops"]["a"])
    points_earn_orders()
    return prefecture["shops"]["a"]


# --- invariants ---------------------------------------------------------------------------------


def test_entries_are_never_changed_or_deleted(rich_shop):
    entry = PointsEntry.objects.get()
    entry.points = 1000
    with pytest.raises(ImmutableEntry):
        entry.save()
    with pytest.raises(ImmutableEntry):
        entry.delete()
    with pytest.raises(ImmutableEntry):
        PointsEntry.objects.update(points=1)
    with pytest.raises(ImmutableEntry):
        PointsEntry.objects.all().delete()
    assert PointsEntry.objects.get().points == 260


def test_the_admin_shows_entries_read_only(rich_shop, users, rf):
    from django.contrib.admin.sites import site

    admin = site._registry[PointsEntry]
    request = rf.get("/")
    request.user = users["admin"]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, PointsEntry.objects.get())
    assert not admin.has_delete_permission(request, PointsEntry.objects.get())


def test_the_database_refuses_a_negative_balance_and_a_second_earning(rich_shop):
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.update(balance=-1)
    entry = PointsEntry.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(account=entry.account, kind=entry.kind, points=5, source_id=entry.source_id,
                                   booked_on=TODAY)  # fmt: skip


def test_reconciliation_catches_a_tampered_balance(rich_shop, prefecture):
    assert points_reconcile() == []
    PointsAccount.objects.filter(retailer=rich_shop).update(balance=999)
    (difference,) = points_reconcile()
    assert (difference.retailer_id, difference.stored, difference.summed) == (rich_shop.pk, 999, 260)


def test_points_outstanding_sums_the_given_shops(rich_shop, prefecture, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert points_outstanding(retailers=Retailer.objects.all()) == 260
    assert points_outstanding(retailers=Retailer.objects.exclude(pk=rich_shop.pk)) == 0
    assert points_outstanding(retailers=None) == 260  # every shop's, without matching them to shops


# --- expiry -------------------------------------------------------------------------------------


@pytest.fixture
def two_lots(prefecture, purchase_rule, order_for):
    """Shop A: 260 points from January 2025 (expire 2026-01-31) and 100 from June 2025 (2026-06-30)."""
    shop = prefecture["shops"]["a"]
    order_for(shop, "2600.00", on=datetime.date(2025, 1, 10))
    order_for(shop, "1000.00", on=datetime.date(2025, 6, 3))
    points_earn_orders()
    return shop


def test_earnings_expire_at_the_end_of_the_period(two_lots):
    assert sorted(PointsEntry.objects.values_list("expires_on", flat=True)) == [
        datetime.date(2026, 1, 31), datetime.date(2026, 6, 30),
    ]  # fmt: skip


def test_the_end_of_the_next_calendar_year(prefecture, purchase_rule, order_for):
    from loyalty.models import PointsPolicy

    PointsPolicy.objects.update_or_create(pk=1, defaults={"expiry_mode": "next_year_end"})
    order_for(prefecture["shops"]["a"], on=datetime.date(2025, 3, 5))
    points_earn_orders()
    assert PointsEntry.objects.get().expires_on == datetime.date(2026, 12, 31)


def test_the_expiry_job_expires_what_is_left_of_each_lapsed_lot(two_lots):
    assert points_expire(today=datetime.date(2026, 1, 31)) == 0  # the last day: still valid
    assert points_expire(today=datetime.date(2026, 2, 1)) == 1
    assert kinds(two_lots)[-1] == (EntryKind.EXPIRE, -260)
    assert balance(two_lots) == 100
    assert points_expire(today=datetime.date(2026, 2, 1)) == 0  # the same day again
    assert points_expire(today=datetime.date(2026, 2, 2)) == 0  # nothing left of that lot
    assert points_expire(today=datetime.date(2026, 7, 1)) == 1
    assert balance(two_lots) == 0
    assert points_reconcile() == []


def test_a_redemption_spends_the_earliest_expiring_points_first(two_lots, reward, users, time_machine):
    time_machine.move_to(datetime.datetime(2025, 12, 1, 10, 0))
    redemption_file(retailer=two_lots, reward=reward(points_price=300), user=users["sales_manager"])
    assert balance(two_lots) == 60
    # The January lot is spent whole, 40 of the June lot too: in February nothing expires …
    assert points_expire(today=datetime.date(2026, 2, 1)) == 0
    # … and in July the 60 left of the June lot do.
    points_expire(today=datetime.date(2026, 7, 1))
    assert kinds(two_lots)[-1] == (EntryKind.EXPIRE, -60)
    assert balance(two_lots) == 0


def test_a_partly_spent_lot_expires_its_remainder(two_lots, reward, users, time_machine):
    time_machine.move_to(datetime.datetime(2025, 12, 1, 10, 0))
    redemption_file(retailer=two_lots, reward=reward(points_price=200), user=users["sales_manager"])
    points_expire(today=datetime.date(2026, 2, 1))
    assert kinds(two_lots)[-1] == (EntryKind.EXPIRE, -60)
    assert balance(two_lots) == 100


def test_a_redemption_cannot_spend_lapsed_points(two_lots, reward, users, time_machine):
    time_machine.move_to(datetime.datetime(2026, 2, 5, 10, 0))  # the nightly job has not run yet
    with pytest.raises(LoyaltyError, match="enough points"):
        redemption_file(retailer=two_lots, reward=reward(points_price=300), user=users["sales_manager"])
    assert balance(two_lots) == 360  # the expiry it wrote was rolled back with the refusal


def test_shops_are_warned_before_their_points_expire(two_lots, prefecture, time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 5, 10, 0))
    Retailer.objects.filter(pk=two_lots.pk).update(account_manager=prefecture["users"]["sales_manager"])
    lots = points_expiring(account_id=two_lots.points_account.pk, until=datetime.date(2026, 2, 4))
    assert [(lot.expires_on, lot.points) for lot in lots] == [(datetime.date(2026, 1, 31), 260)]
    assert points_warn_expiring() == 1
    assert points_warn_expiring() == 0  # once per expiry day
    notification = Notification.objects.get()
    assert notification.user == prefecture["users"]["sales_manager"]
    assert "2026-01-31" in notification.text


# --- redemptions --------------------------------------------------------------------------------


def test_filing_holds_the_points_and_takes_one_item(rich_shop, reward, users):
    gift = reward(points_price=200, stock=3)
    redemption = redemption_file(retailer=rich_shop, reward=gift, user=users["sales_manager"])
    assert redemption.status == RedemptionStatus.FILED
    assert balance(rich_shop) == 60
    assert Reward.objects.get().stock == 2
    assert kinds(rich_shop)[-1] == (EntryKind.REDEEM, -200)
    assert PointsEntry.objects.get(kind=EntryKind.REDEEM).source_id == redemption.pk


def test_not_enough_points_or_stock_writes_nothing(rich_shop, reward, users):
    with pytest.raises(LoyaltyError, match="enough points"):
        redemption_file(retailer=rich_shop, reward=reward(points_price=261, stock=3), user=users["sales_manager"])
    with pytest.raises(LoyaltyError, match="out of stock"):
        redemption_file(retailer=rich_shop, reward=reward(points_price=10, stock=0), user=users["sales_manager"])
    assert Reward.objects.order_by("id").first().stock == 3
    assert balance(rich_shop) == 260
    assert not Redemption.objects.exists()


def test_a_reward_is_offered_only_in_its_period_and_to_its_tiers(rich_shop, reward, users):
    with pytest.raises(LoyaltyError, match="not offered today"):
        redemption_file(retailer=rich_shop, reward=reward(valid_to=TODAY - datetime.timedelta(days=1)),
                        user=users["sales_manager"])  # fmt: skip
    with pytest.raises(LoyaltyError, match="tier"):
        redemption_file(retailer=rich_shop, reward=reward(eligible_tiers=[Tier.KEY]), user=users["sales_manager"])
    Retailer.objects.filter(pk=rich_shop.pk).update(tier=Tier.KEY)
    rich_shop.refresh_from_db()
    redemption_file(retailer=rich_shop, reward=Reward.objects.get(eligible_tiers=[Tier.KEY]),
                    user=users["sales_manager"])  # fmt: skip


def test_a_manager_files_only_for_their_shops(prefecture, rich_shop, reward):
    with pytest.raises(PermissionDenied):
        redemption_file(retailer=rich_shop, reward=reward(), user=prefecture["other_manager"])


def test_the_pipeline_approve_fulfil(rich_shop, reward, users):
    redemption = redemption_file(retailer=rich_shop, reward=reward(), user=users["sales_manager"])
    with pytest.raises(PermissionDenied):
        redemption_set_status(redemption=redemption, status="approved", user=users["sales_manager"])
    with pytest.raises(LoyaltyError):
        redemption_set_status(redemption=redemption, status="fulfilled", user=users["supervisor"])
    redemption_set_status(redemption=redemption, status="approved", user=users["supervisor"])
    redemption_set_status(redemption=redemption, status="fulfilled", user=users["supervisor"])
    with pytest.raises(LoyaltyError):
        redemption_set_status(redemption=redemption, status="cancelled", user=users["supervisor"], note="x")
    assert list(redemption.changes.values_list("old_status", "new_status")) == [
        ("", "filed"), ("filed", "approved"), ("approved", "fulfilled"),
    ]  # fmt: skip
    assert balance(rich_shop) == 160


def test_a_cancelled_redemption_is_refunded_once(rich_shop, reward, users):
    redemption = redemption_file(retailer=rich_shop, reward=reward(stock=1), user=users["sales_manager"])
    with pytest.raises(LoyaltyError, match="why"):
        redemption_set_status(redemption=redemption, status="cancelled", user=users["supervisor"])
    redemption_set_status(redemption=redemption, status="cancelled", user=users["supervisor"], note="店主改主意")
    assert kinds(rich_shop)[-2:] == [(EntryKind.REDEEM, -100), (EntryKind.REFUND, 100)]
    assert balance(rich_shop) == 260
    assert Reward.objects.get().stock == 1
    with pytest.raises(LoyaltyError):
        redemption_set_status(redemption=redemption, status="cancelled", user=users["supervisor"], note="again")
    assert points_reconcile() == []


def test_a_supervisor_of_another_region_may_not_approve(rich_shop, reward, users):
    from crm_site.roles import Role
    from crm_site.tests.factories import UserFactory

    redemption = redemption_file(retailer=rich_shop, reward=reward(), user=users["sales_manager"])
    stranger = UserFactory(role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        redemption_set_status(redemption=redemption, status="approved", user=stranger)


# --- manual adjustment --------------------------------------------------------------------------


def test_a_supervisor_adjusts_points_with_a_reason(rich_shop, users):
    entry = points_adjust(retailer=rich_shop, points=40, reason="补录活动积分", user=users["supervisor"])
    assert (entry.kind, entry.points, entry.reason) == ("adjust", 40, "补录活动积分")
    assert entry.created_by == users["supervisor"]
    assert entry.expires_on is not None
    points_adjust(retailer=rich_shop, points=-300, reason="重复计分", user=users["admin"])
    assert balance(rich_shop) == 0
    with pytest.raises(ValidationError, match="fewer points"):
        points_adjust(retailer=rich_shop, points=-1, reason="x", user=users["admin"])
    with pytest.raises(ValidationError, match="Reason"):
        points_adjust(retailer=rich_shop, points=5, reason=" ", user=users["admin"])
    with pytest.raises(PermissionDenied):
        points_adjust(retailer=rich_shop, points=5, reason="x", user=users["sales_manager"])
    assert points_reconcile() == []


# --- races on PostgreSQL ------------------------------------------------------------------------


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        if settings.REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES is set but the database is not PostgreSQL")
        pytest.skip("racing redemptions are tested on PostgreSQL (DATABASE_URL)")


def _race(count: int, job) -> list:
    results, barrier = [], threading.Barrier(count)

    def run(index: int) -> None:
        translation.activate("en")  # each thread has its own language
        connection.ensure_connection()
        barrier.wait()
        try:
            results.append(job(index))
        except LoyaltyError as error:
            results.append(str(error))
        except Exception as error:
            results.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_redemptions_racing_on_one_account(prefecture, purchase_rule, order_for, reward):
    require_postgresql()
    shop, manager = prefecture["shops"]["a"], prefecture["users"]["sales_manager"]
    order_for(shop, "1000.00")  # 100 points: enough for 10 redemptions of 10
    points_earn_orders()
    gift = reward(points_price=10, stock=1000)
    results = _race(50, lambda index: redemption_file(retailer=shop, reward=gift, user=manager).pk)
    filed = [result for result in results if isinstance(result, int)]
    assert len(filed) == 10, results
    refused = [result for result in results if not isinstance(result, int)]
    assert set(refused) == {"The shop does not have enough points for this reward."}, refused
    assert balance(shop) == 0
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 10
    assert Reward.objects.get().stock == 990
    assert points_reconcile() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_shops_racing_for_the_last_items(prefecture, purchase_rule, order_for, reward):
    require_postgresql()
    from retailers.tests.factories import RetailerFactory

    area = prefecture["areas"]["a"]
    shops = RetailerFactory.create_batch(50, service_area=area)
    for shop in shops:
        order_for(shop, "1000.00")
    points_earn_orders()
    gift = reward(points_price=10, stock=5)
    manager = prefecture["users"]["sales_manager"]
    results = _race(50, lambda index: redemption_file(retailer=shops[index], reward=gift, user=manager).pk)
    filed = [result for result in results if isinstance(result, int)]
    assert len(filed) == 5, results
    assert Reward.objects.get().stock == 0
    assert Redemption.objects.count() == PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 5
    assert sum(PointsAccount.objects.filter(retailer__in=shops).values_list("balance", flat=True)) == 50 * 100 - 50
    assert points_reconcile() == []
