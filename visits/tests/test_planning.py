"""The routine planner: tiers' intervals, the first plans' spread, holidays, re-plans, the
constraint, a doubled run and two planners at once."""

import datetime
import io
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django_celery_beat.models import PeriodicTask

from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from grading.models import ServicePolicy
from retailers.models import Retailer, RetailerStatus, Tier
from retailers.services import retailer_merge
from retailers.tests.factories import RetailerFactory
from visits.models import Visit, VisitKind, VisitStatus
from visits.services import next_working_days, visits_plan
from visits.tasks import visits_plan_task

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 9, 1)  # a Tuesday
NOTHING = {"created": 0, "reassigned": 0, "rescheduled": 0, "cancelled": 0}


@pytest.fixture
def area(prefecture):
    return prefecture["areas"]["a"]


@pytest.fixture
def manager(prefecture):
    return prefecture["users"][Role.SALES_MANAGER]


@pytest.fixture
def shop(area, manager):
    def make(**fields) -> Retailer:
        return RetailerFactory(service_area=area, account_manager=manager, **fields)

    return make


def done(retailer: Retailer, on: datetime.date) -> Visit:
    return Visit.objects.create(
        retailer=retailer,
        manager=retailer.account_manager,
        kind=VisitKind.ROUTINE,
        status=VisitStatus.DONE,
        planned_on=on,
        visited_on=on,
    )


def open_plan(retailer: Retailer) -> Visit:
    return Visit.objects.get(retailer=retailer, kind=VisitKind.ROUTINE, status=VisitStatus.PLANNED)


def test_the_default_intervals_are_weekly_monthly_quarterly():
    intervals = dict(ServicePolicy.objects.values_list("tier", "visit_interval_days"))
    assert intervals == {Tier.KEY: 7, Tier.ORDINARY: 30, Tier.SPECIAL: 90}


def test_each_tier_is_visited_at_its_interval_and_an_ungraded_shop_as_ordinary(shop):
    cases = {
        Tier.KEY: (datetime.date(2026, 8, 31), datetime.date(2026, 9, 7), 7),
        Tier.ORDINARY: (datetime.date(2026, 8, 25), datetime.date(2026, 9, 24), 30),
        Tier.SPECIAL: (datetime.date(2026, 8, 20), datetime.date(2026, 11, 18), 90),
        "": (datetime.date(2026, 8, 29), datetime.date(2026, 9, 28), 30),
    }
    shops = {}
    for tier, (last, _due, _interval) in cases.items():
        shops[tier] = shop(tier=tier)
        done(shops[tier], datetime.date(2026, 6, 1))  # only the last done visit counts
        done(shops[tier], last)
    assert visits_plan(today=TODAY)["created"] == 4
    for tier, (_last, due, interval) in cases.items():
        plan = open_plan(shops[tier])
        assert (plan.planned_on, plan.interval_days, plan.manager, plan.kind) == (
            due,
            interval,
            shops[tier].account_manager,
            VisitKind.ROUTINE,
        )


def test_an_edited_service_policy_gives_its_interval(shop):
    ServicePolicy.objects.filter(tier=Tier.KEY).update(visit_interval_days=14)
    retailer = shop(tier=Tier.KEY)
    done(retailer, datetime.date(2026, 8, 31))
    visits_plan(today=TODAY)
    assert open_plan(retailer).planned_on == datetime.date(2026, 9, 14)


def test_an_overdue_shop_is_planned_today_not_in_the_past(shop):
    retailer = shop(tier=Tier.ORDINARY)
    done(retailer, datetime.date(2026, 7, 1))
    visits_plan(today=TODAY)
    plan = open_plan(retailer)
    assert plan.planned_on == TODAY
    assert abs(timezone.now() - plan.created_at) < datetime.timedelta(minutes=1)


def test_first_plans_are_spread_over_the_first_interval_by_shop(shop):
    shops = [shop(tier=Tier.ORDINARY) for _ in range(30)]
    assert visits_plan(today=TODAY)["created"] == 30
    holidays = next_working_days(start=TODAY, days=40)
    dates = set()
    for retailer in shops:
        spread = TODAY + datetime.timedelta(days=retailer.pk % 30)
        assert open_plan(retailer).planned_on == holidays.get(spread, spread)
        dates.add(open_plan(retailer).planned_on)
    assert len(dates) >= 18  # 30 consecutive ids over 30 days, weekends folded onto Mondays
    assert min(dates) >= TODAY


def test_a_plan_on_a_holiday_moves_to_the_next_working_day(shop):
    retailer = shop(tier=Tier.KEY)
    done(retailer, datetime.date(2026, 9, 24))  # + 7 = 1 October, 国庆
    visits_plan(today=datetime.date(2026, 9, 25))
    assert open_plan(retailer).planned_on == datetime.date(2026, 10, 8)


def test_a_weekend_moves_to_monday_but_a_working_sunday_counts(shop):
    ordinary_sunday, working_sunday = shop(tier=Tier.KEY), shop(tier=Tier.KEY)
    done(ordinary_sunday, datetime.date(2026, 9, 6))  # + 7 = Sunday 13 September
    done(working_sunday, datetime.date(2026, 9, 13))  # + 7 = Sunday 20 September, 调休 before 国庆
    visits_plan(today=datetime.date(2026, 9, 14))
    assert open_plan(ordinary_sunday).planned_on == datetime.date(2026, 9, 14)
    assert open_plan(working_sunday).planned_on == datetime.date(2026, 9, 20)


def test_next_working_days_maps_only_days_off():
    mapping = next_working_days(start=datetime.date(2026, 9, 28), days=14)
    assert datetime.date(2026, 9, 30) not in mapping
    assert mapping[datetime.date(2026, 10, 1)] == datetime.date(2026, 10, 8)
    assert mapping[datetime.date(2026, 10, 7)] == datetime.date(2026, 10, 8)
    assert datetime.date(2026, 10, 10) not in mapping  # 调休 Saturday
    assert mapping[datetime.date(2026, 10, 11)] == datetime.date(2026, 10, 12)


def test_a_doubled_run_creates_nothing(shop):
    for tier in (Tier.KEY, Tier.ORDINARY, Tier.SPECIAL):
        done(shop(tier=tier), datetime.date(2026, 8, 20))
    shop()
    assert visits_plan(today=TODAY)["created"] == 4
    assert visits_plan(today=TODAY) == NOTHING
    assert visits_plan(today=TODAY + datetime.timedelta(days=1)) == NOTHING
    assert Visit.objects.filter(status=VisitStatus.PLANNED).count() == 4


def test_a_tier_change_reschedules_the_open_plan(shop):
    retailer = shop(tier=Tier.KEY)
    done(retailer, datetime.date(2026, 8, 31))
    visits_plan(today=TODAY)
    Retailer.objects.filter(pk=retailer.pk).update(tier=Tier.ORDINARY)
    assert visits_plan(today=TODAY) == {**NOTHING, "rescheduled": 1}
    plan = open_plan(retailer)
    assert (plan.planned_on, plan.interval_days) == (datetime.date(2026, 9, 30), 30)
    assert Visit.objects.filter(retailer=retailer, status=VisitStatus.PLANNED).count() == 1


def test_a_tier_change_of_a_shop_never_visited_spreads_it_over_the_new_interval(shop):
    retailer = shop(tier=Tier.SPECIAL)
    visits_plan(today=TODAY)
    Retailer.objects.filter(pk=retailer.pk).update(tier=Tier.KEY)
    visits_plan(today=TODAY)
    spread = TODAY + datetime.timedelta(days=retailer.pk % 7)
    holidays = next_working_days(start=TODAY, days=7)
    assert (open_plan(retailer).planned_on, open_plan(retailer).interval_days) == (holidays.get(spread, spread), 7)


def test_a_manager_change_reassigns_the_open_plan(shop, area):
    retailer = shop(tier=Tier.KEY)
    visits_plan(today=TODAY)
    planned_on = open_plan(retailer).planned_on
    successor = UserFactory(username="successor", role=Role.SALES_MANAGER)
    area.managers.add(successor)
    Retailer.objects.filter(pk=retailer.pk).update(account_manager=successor)
    assert visits_plan(today=TODAY) == {**NOTHING, "reassigned": 1}
    assert (open_plan(retailer).manager, open_plan(retailer).planned_on) == (successor, planned_on)


def test_a_shop_moved_to_another_area_takes_its_plan_to_the_new_manager(shop, prefecture):
    retailer = shop(tier=Tier.ORDINARY)
    visits_plan(today=TODAY)
    Retailer.objects.filter(pk=retailer.pk).update(
        service_area=prefecture["areas"]["c"], account_manager=prefecture["other_manager"]
    )
    assert visits_plan(today=TODAY)["reassigned"] == 1
    assert open_plan(retailer).manager == prefecture["other_manager"]


@pytest.mark.parametrize(
    "change",
    [
        {"status": RetailerStatus.CLOSED},
        {"status": RetailerStatus.SUSPENDED},
        {"license_expires_on": TODAY},  # expires before the plan's date
        {"account_manager": None},
    ],
    ids=["closed", "suspended", "licence-expired", "no-manager"],
)
def test_a_shop_that_can_no_longer_be_served_has_its_plan_cancelled(shop, change):
    retailer = shop(tier=Tier.KEY)
    done(retailer, datetime.date(2026, 8, 31))
    visits_plan(today=TODAY)
    Retailer.objects.filter(pk=retailer.pk).update(**change)
    assert visits_plan(today=TODAY) == {**NOTHING, "cancelled": 1}
    assert Visit.objects.get(retailer=retailer, planned_on=datetime.date(2026, 9, 7)).status == VisitStatus.CANCELLED
    assert not Visit.objects.filter(retailer=retailer, status=VisitStatus.PLANNED).exists()


def test_shops_that_cannot_be_served_get_no_plan(shop, area):
    shop(status=RetailerStatus.CLOSED)
    shop(license_expires_on=TODAY - datetime.timedelta(days=1))
    RetailerFactory(service_area=area, account_manager=None)
    expiring = shop(tier=Tier.KEY, license_expires_on=datetime.date(2026, 9, 5))
    done(expiring, datetime.date(2026, 8, 31))  # due 7 September, after the licence ends
    assert visits_plan(today=TODAY) == NOTHING


def test_a_done_visit_plans_the_next(shop):
    retailer = shop(tier=Tier.KEY)
    visits_plan(today=TODAY)
    Visit.objects.filter(pk=open_plan(retailer).pk).update(status=VisitStatus.DONE, visited_on=TODAY)
    assert visits_plan(today=TODAY)["created"] == 1
    assert open_plan(retailer).planned_on == datetime.date(2026, 9, 8)


def test_merging_two_planned_shops_keeps_one_open_plan(shop, users):
    survivor, duplicate = shop(tier=Tier.KEY), shop(tier=Tier.KEY)
    done(duplicate, datetime.date(2026, 8, 31))
    visits_plan(today=TODAY)
    retailer_merge(survivor=survivor, duplicate=duplicate, merged_by=users[Role.ADMIN], reason="重复")
    assert Visit.objects.filter(retailer=survivor, status=VisitStatus.PLANNED).count() == 1
    assert Visit.objects.filter(retailer=survivor, status=VisitStatus.DONE).count() == 1  # history moves over
    assert visits_plan(today=TODAY) == NOTHING


def test_the_database_refuses_a_second_open_routine_plan(shop):
    retailer = shop()
    fields = {"retailer": retailer, "manager": retailer.account_manager, "planned_on": TODAY}
    Visit.objects.create(kind=VisitKind.ROUTINE, **fields)
    Visit.objects.create(kind=VisitKind.CARE, **fields)  # other kinds are not limited
    Visit.objects.create(kind=VisitKind.ROUTINE, status=VisitStatus.CANCELLED, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(kind=VisitKind.ROUTINE, **fields)


def test_the_command_and_the_task_plan_through_the_same_service(shop):
    shop()
    out = io.StringIO()
    call_command("plan_visits", "--today", TODAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == "Visits planned: 1 created, 0 reassigned, 0 rescheduled, 0 cancelled."
    assert visits_plan_task.delay().get() == NOTHING


def test_the_planner_runs_every_morning():
    task = PeriodicTask.objects.get(task="visits.plan")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("5", "0", "Asia/Shanghai")


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        if settings.REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES is set but the database is not PostgreSQL")
        pytest.skip("two planners at once are tested on PostgreSQL (DATABASE_URL)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_planners_at_once_plan_each_shop_once(prefecture):
    require_postgresql()
    area, manager = prefecture["areas"]["a"], prefecture["users"][Role.SALES_MANAGER]
    RetailerFactory.create_batch(50, service_area=area, account_manager=manager)
    results, barrier = [], threading.Barrier(2)

    def plan() -> None:
        connection.ensure_connection()  # both connected before either starts: a real race
        barrier.wait()
        try:
            results.append(visits_plan(today=TODAY))
        except Exception as error:
            results.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=plan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, dict) for result in results), results
    assert sorted(result["created"] for result in results) == [0, 50]
    assert Visit.objects.filter(status=VisitStatus.PLANNED).count() == 50


def test_kinds_and_statuses_read_in_chinese():
    with translation.override("zh-hans"):
        assert [str(kind.label) for kind in VisitKind] == ["例行拜访", "关怀拜访", "季节性拜访", "回访"]
        assert [str(status.label) for status in VisitStatus] == ["计划中", "已完成", "未完成", "已取消"]
        assert str(Visit._meta.verbose_name) == "拜访"
