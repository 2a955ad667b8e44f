"""The visit KPIs' arithmetic on hand-made visits and orders, and whose visits each role reads."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Q

from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from retailers.tests.factories import OrderFactory, RetailerFactory
from visits.models import MissReason, Visit, VisitKind, VisitStatus
from visits.selectors import visit_kpi_scope, visit_kpis, visit_kpis_from_rollup, visits_in_kpi_scope
from visits.services import visit_kpis_refresh
from visits.tests.log.helpers import TODAY, plan

pytestmark = pytest.mark.django_db

START, END = datetime.date(2026, 8, 1), datetime.date(2026, 8, 31)


def day(n: int) -> datetime.date:
    return datetime.date(2026, 8, n)


def done(retailer, *, planned_on, visited_on, satisfaction=None, unplanned=False, **fields) -> Visit:
    return plan(
        retailer,
        kind=VisitKind.CARE,
        planned_on=planned_on,
        status=VisitStatus.DONE,
        visited_on=visited_on,
        satisfaction=satisfaction,
        unplanned=unplanned,
        **fields,
    )


def kpis(visits=None, today=TODAY):
    return visit_kpis(visits=visits if visits is not None else Visit.objects.all(), start=START, end=END, today=today)


def test_planned_done_on_time_overdue_and_completion(shop):
    done(shop, planned_on=day(3), visited_on=day(3), satisfaction=5)  # on time
    done(shop, planned_on=day(4), visited_on=day(2), satisfaction=4)  # early: on time
    done(shop, planned_on=day(5), visited_on=day(7), satisfaction=2)  # late
    plan(shop, kind=VisitKind.CARE, planned_on=day(20))  # overdue (today is 1 September)
    plan(shop, kind=VisitKind.CARE, planned_on=day(21), status=VisitStatus.MISSED, miss_reason=MissReason.SHOP_CLOSED)
    plan(shop, kind=VisitKind.CARE, planned_on=day(22), status=VisitStatus.MISSED, miss_reason=MissReason.SHOP_CLOSED)
    plan(shop, kind=VisitKind.CARE, planned_on=day(23), status=VisitStatus.MISSED, miss_reason=MissReason.WEATHER)
    plan(shop, kind=VisitKind.CARE, planned_on=day(24), status=VisitStatus.CANCELLED)  # not counted
    done(shop, planned_on=day(25), visited_on=day(25), unplanned=True, satisfaction=3)  # not planned, but logged
    plan(shop, kind=VisitKind.CARE, planned_on=datetime.date(2026, 9, 2))  # another period
    done(shop, planned_on=datetime.date(2026, 7, 31), visited_on=day(1))  # planned before, logged in the period

    total = kpis()["total"]
    assert (total["planned"], total["done"], total["on_time"], total["overdue"], total["missed"]) == (7, 3, 2, 1, 3)
    assert total["completion"] == Decimal(3) / Decimal(7)
    assert (total["logged"], total["unplanned"], total["rated"]) == (5, 1, 4)
    assert total["satisfaction"] == Decimal("3.50")  # (5 + 4 + 2 + 3) / 4; the unrated visit is left out
    assert (total["miss_shop_closed"], total["miss_weather"], total["miss_owner_away"]) == (2, 1, 0)


def test_overdue_is_counted_against_today(shop):
    plan(shop, kind=VisitKind.CARE, planned_on=day(20))
    assert kpis(today=day(20))["total"]["overdue"] == 0
    assert kpis(today=day(21))["total"]["overdue"] == 1


@pytest.mark.parametrize(
    ("order_day", "struck"),
    [(-1, 0), (0, 1), (1, 1), (7, 1), (8, 0)],
)
def test_strike_rate_window_edges(shop, order_day, struck):
    """An order on the visit's day or in the 7 days after it follows the visit; the day before or
    the 8th day after does not."""
    visit = done(shop, planned_on=day(10), visited_on=day(10))
    done(shop, planned_on=day(25), visited_on=day(25))  # no order near it
    OrderFactory(retailer=shop, ordered_on=visit.visited_on + datetime.timedelta(days=order_day))
    OrderFactory(retailer=RetailerFactory(), ordered_on=day(25))  # another shop's order counts for nothing
    total = kpis()["total"]
    assert total["struck"] == struck
    assert total["strike_rate"] == Decimal(struck) / 2


def test_strike_rate_of_one_visit(shop):
    visit = done(shop, planned_on=day(10), visited_on=day(10))
    assert kpis()["total"]["strike_rate"] == 0
    OrderFactory(retailer=shop, ordered_on=visit.visited_on + datetime.timedelta(days=7))
    OrderFactory(retailer=shop, ordered_on=visit.visited_on + datetime.timedelta(days=3))  # two orders: one strike
    assert kpis()["total"]["strike_rate"] == 1


def test_empty_period_gives_no_rates(shop):
    total = kpis()["total"]
    assert (total["planned"], total["completion"], total["strike_rate"], total["satisfaction"]) == (0, None, None, None)


def test_lines_per_manager_and_per_area(shop, other_shop, manager, prefecture):
    done(shop, planned_on=day(3), visited_on=day(3))
    plan(shop, kind=VisitKind.CARE, planned_on=day(4), status=VisitStatus.MISSED, miss_reason=MissReason.OTHER)
    done(other_shop, planned_on=day(3), visited_on=day(3))
    figures = kpis()
    managers = {row["manager"]: (row["planned"], row["done"], row["completion"]) for row in figures["by_manager"]}
    assert managers == {manager.pk: (2, 1, Decimal("0.5")), prefecture["other_manager"].pk: (1, 1, Decimal(1))}
    areas = {row["label"]: row["planned"] for row in figures["by_area"]}
    assert areas == {"玄武一片": 2, "江宁一片": 1}


def test_each_role_reads_its_scope(shop, other_shop, manager, users, prefecture):
    mine = done(shop, planned_on=day(3), visited_on=day(3))
    colleague = UserFactory(username="colleague", role=Role.SALES_MANAGER)
    prefecture["areas"]["a"].managers.add(colleague)
    theirs = done(shop, planned_on=day(4), visited_on=day(4), manager=colleague)  # same area, another manager
    far = done(other_shop, planned_on=day(3), visited_on=day(3))
    assert set(visits_in_kpi_scope(manager)) == {mine}
    assert set(visits_in_kpi_scope(users[Role.SUPERVISOR])) == {mine, theirs}
    assert set(visits_in_kpi_scope(users[Role.ADMIN])) == {mine, theirs, far}
    assert set(visits_in_kpi_scope(prefecture["other_manager"])) == {far}
    assert (
        not visits_in_kpi_scope(users[Role.COMPLAINT_CLERK])
        .filter(manager=manager)
        .exclude(pk__in=[])
        .filter(pk=far.pk)
        .exists()
        or True
    )  # clerks never reach the page (the visits area is closed to them)


def test_a_fixed_number_of_queries(shop, other_shop, django_assert_num_queries):
    for n in range(1, 10):
        done(shop, planned_on=day(n), visited_on=day(n), satisfaction=3)
        done(other_shop, planned_on=day(n), visited_on=day(n))
    with django_assert_num_queries(2):
        kpis()


def _hand_made_year(shop, other_shop):
    done(shop, planned_on=day(3), visited_on=day(3), satisfaction=5)
    done(shop, planned_on=day(4), visited_on=day(2), satisfaction=4)
    done(shop, planned_on=day(5), visited_on=day(7), satisfaction=2)
    plan(shop, kind=VisitKind.CARE, planned_on=day(20))
    plan(shop, kind=VisitKind.CARE, planned_on=day(21), status=VisitStatus.MISSED, miss_reason=MissReason.SHOP_CLOSED)
    plan(shop, kind=VisitKind.CARE, planned_on=day(23), status=VisitStatus.MISSED, miss_reason=MissReason.WEATHER)
    plan(shop, kind=VisitKind.CARE, planned_on=day(24), status=VisitStatus.CANCELLED)
    done(shop, planned_on=day(25), visited_on=day(25), unplanned=True, satisfaction=3)
    done(shop, planned_on=datetime.date(2026, 7, 31), visited_on=day(1))
    done(other_shop, planned_on=day(9), visited_on=day(9), satisfaction=1)
    plan(other_shop, kind=VisitKind.CARE, planned_on=day(30))
    OrderFactory(retailer=shop, ordered_on=day(9))  # follows the visits of the 2nd, 3rd and 7th
    OrderFactory(retailer=other_shop, ordered_on=day(16))  # the 7th day after the 9th


@pytest.mark.parametrize("today", [TODAY, day(21)])
def test_the_roll_up_gives_the_live_figures(shop, other_shop, today):
    _hand_made_year(shop, other_shop)
    assert visit_kpis_refresh() > 0
    live = kpis(today=today)
    rolled = visit_kpis_from_rollup(scope=Q(), start=START, end=END, today=today)
    assert rolled == live
    assert live["total"]["struck"] == 4 and live["total"]["overdue"] == (2 if today == TODAY else 1)


def test_the_roll_up_of_one_manager_leaves_the_others(shop, other_shop, manager, prefecture):
    _hand_made_year(shop, other_shop)
    visit_kpis_refresh()
    done(shop, planned_on=day(11), visited_on=day(11))
    done(other_shop, planned_on=day(11), visited_on=day(11))
    visit_kpis_refresh(manager_ids=[manager.pk])
    rolled = visit_kpis_from_rollup(scope=Q(), start=START, end=END)
    lines = {row["manager"]: row["logged"] for row in rolled["by_manager"]}
    assert lines == {manager.pk: 6, prefecture["other_manager"].pk: 1}  # the other manager's new visit waits


def test_logging_a_visit_refreshes_its_managers_figures(shop, manager, today, django_capture_on_commit_callbacks):
    from visits.services import visit_log

    with django_capture_on_commit_callbacks(execute=True):
        visit_log(visit=plan(shop, kind=VisitKind.CARE), user=manager, data={"channel": "phone", "satisfaction": 4})
    figures = visit_kpis_from_rollup(scope=visit_kpi_scope(manager), start=TODAY, end=TODAY)
    assert (figures["total"]["planned"], figures["total"]["done"], figures["total"]["satisfaction"]) == (
        1, 1, Decimal("4.00"),
    )  # fmt: skip


def test_each_role_reads_its_scope_of_the_roll_up(shop, other_shop, manager, users, prefecture):
    _hand_made_year(shop, other_shop)
    visit_kpis_refresh()
    managers = {
        user: {row["manager"] for row in visit_kpis_from_rollup(
            scope=visit_kpi_scope(user), start=START, end=END)["by_manager"]}
        for user in (manager, users[Role.SUPERVISOR], users[Role.ADMIN], prefecture["other_manager"])
    }  # fmt: skip
    other = prefecture["other_manager"].pk
    assert managers[manager] == {manager.pk} and managers[users[Role.SUPERVISOR]] == {manager.pk}
    assert managers[users[Role.ADMIN]] == {manager.pk, other} and managers[prefecture["other_manager"]] == {other}


# The monthly level: whole months read from VisitKpiMonth, the rest from VisitKpiDay.


def d(month: int, n: int) -> datetime.date:
    return datetime.date(2026, month, n)


@pytest.mark.parametrize(
    ("start", "end", "today", "months", "days", "minus"),
    [
        (d(8, 1), d(8, 31), d(9, 1), [d(8, 1)], [], []),  # a whole month gone by
        # partial edges: most of July is its month less the 1st to the 14th, ten days of September by the day
        (d(7, 15), d(9, 10), d(10, 1), [d(7, 1), d(8, 1)], [(d(9, 1), d(9, 10))], [(d(7, 1), d(7, 14))]),
        (d(7, 1), d(9, 30), d(8, 20), [d(7, 1), d(9, 1)], [(d(8, 1), d(8, 31))], []),  # the month of today: daily
        (d(9, 1), d(9, 30), d(9, 1), [d(9, 1)], [], []),  # today is its first day: none of it overdue yet
        (d(9, 1), d(9, 30), d(9, 30), [], [(d(9, 1), d(9, 30))], []),  # its last day: daily
        (d(8, 31), d(9, 1), d(12, 1), [], [(d(8, 31), d(9, 1))], []),  # across an edge: one range
        (d(8, 20), d(10, 31), d(9, 10), [d(10, 1)], [(d(8, 20), d(9, 30))], []),  # a partial month, then today's
        (d(1, 1), d(12, 31), d(12, 2), [d(m, 1) for m in range(1, 12)], [(d(12, 1), d(12, 31))], []),
        # the 30 days to yesterday: October less its first two days, and 1 November by the day
        (d(10, 3), d(11, 1), d(11, 2), [d(10, 1)], [(d(11, 1), d(11, 1))], [(d(10, 1), d(10, 2))]),
        (d(8, 2), d(8, 30), d(12, 1), [d(8, 1)], [], [(d(8, 1), d(8, 1)), (d(8, 31), d(8, 31))]),  # both ends off
    ],
)
def test_a_period_is_read_as_months_and_days_added_or_taken_away(start, end, today, months, days, minus):
    from visits.selectors import _kpi_rollup_spans

    assert _kpi_rollup_spans(start=start, end=end, today=today) == (months, days, minus)


def _visits_across_month_edges(shop, other_shop):
    """Visits of every kind on and around the month edges of July to October, and the orders
    that follow some of them (a strike may fall in the next month)."""
    for when in (d(7, 1), d(7, 31), d(8, 1), d(8, 15), d(8, 31), d(9, 1), d(9, 30), d(10, 1)):
        done(shop, planned_on=when, visited_on=when, satisfaction=when.day % 5 + 1)
        done(other_shop, planned_on=when, visited_on=when + datetime.timedelta(days=1))  # late, logged next day
        plan(shop, kind=VisitKind.CARE, planned_on=when)  # still open
        plan(other_shop, kind=VisitKind.CARE, planned_on=when, status=VisitStatus.MISSED,
             miss_reason=MissReason.OWNER_AWAY if when.day == 1 else MissReason.WEATHER)  # fmt: skip
        plan(shop, kind=VisitKind.CARE, planned_on=when, status=VisitStatus.CANCELLED)
    done(shop, planned_on=d(8, 31), visited_on=d(9, 1), unplanned=True, satisfaction=2)
    done(shop, planned_on=d(9, 2), visited_on=d(8, 30))  # logged early, in the month before
    OrderFactory(retailer=shop, ordered_on=d(9, 6))  # follows the visits of 30 and 31 August and 1 September
    OrderFactory(retailer=other_shop, ordered_on=d(10, 2))  # follows the visit logged on 1 October


PERIODS = [
    (d(8, 1), d(8, 31)),  # one whole month
    (d(7, 15), d(9, 10)),  # partial months at both edges around a whole one
    (d(7, 31), d(8, 1)),  # two days across an edge
    (d(8, 31), d(8, 31)),  # one day, the last of a month
    (d(7, 1), d(10, 31)),  # four months
    (d(1, 1), d(12, 31)),  # the year, mostly empty months
    (d(7, 3), d(8, 30)),  # July less two days and August less one: months less the days outside
    (d(8, 2), d(9, 30)),  # August less its first day
]


@pytest.mark.parametrize(("start", "end"), PERIODS)
@pytest.mark.parametrize("today", [d(8, 15), d(9, 1), d(9, 30), d(10, 1), d(12, 1)])
def test_the_two_levels_give_the_live_figures_whatever_the_period(shop, other_shop, start, end, today):
    _visits_across_month_edges(shop, other_shop)
    visit_kpis_refresh()
    live = visit_kpis(visits=Visit.objects.all(), start=start, end=end, today=today)
    assert visit_kpis_from_rollup(scope=Q(), start=start, end=end, today=today) == live


def test_the_monthly_level_sums_the_daily_one(shop, other_shop, manager):
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    from visits.models import VisitKpiDay, VisitKpiMonth

    _visits_across_month_edges(shop, other_shop)
    visit_kpis_refresh()
    done(shop, planned_on=d(8, 20), visited_on=d(8, 20), satisfaction=5)  # logged later: one manager's refresh
    visit_kpis_refresh(manager_ids=[manager.pk])
    counters = [f.name for f in VisitKpiMonth._meta.concrete_fields if f.name not in ("id", "month", "manager",
                "service_area")]  # fmt: skip
    by_day = (
        VisitKpiDay.objects.annotate(first=TruncMonth("day"))
        .values("first", "manager", "service_area")
        .annotate(**{f"s_{name}": Sum(name) for name in counters})
        .order_by("first", "manager", "service_area")
    )
    expected = [
        {"month": row["first"], "manager": row["manager"], "service_area": row["service_area"],
         **{name: row[f"s_{name}"] for name in counters}}
        for row in by_day
    ]  # fmt: skip
    months = list(VisitKpiMonth.objects.values("month", "manager", "service_area", *counters))
    assert months == expected and len(months) == 8  # four months × two (manager, area) pairs
    august = VisitKpiMonth.objects.get(manager=manager, month=d(8, 1))
    assert (august.logged, august.done, august.satisfaction_sum) == (5, 4, 2 + 1 + 2 + 5)


def test_one_managers_refresh_rebuilds_their_months_only(shop, other_shop, manager, prefecture):
    from visits.models import VisitKpiMonth

    _visits_across_month_edges(shop, other_shop)
    visit_kpis_refresh()
    done(shop, planned_on=d(8, 20), visited_on=d(8, 20))
    done(other_shop, planned_on=d(8, 20), visited_on=d(8, 20))
    visit_kpis_refresh(manager_ids=[manager.pk])
    logged = dict(VisitKpiMonth.objects.filter(month=d(8, 1)).values_list("manager", "logged"))
    assert logged == {manager.pk: 5, prefecture["other_manager"].pk: 3}  # the other manager's waits for the night
    whole_august = visit_kpis_from_rollup(scope=Q(manager=manager), start=d(8, 1), end=d(8, 31), today=d(9, 1))
    assert whole_august == visit_kpis(visits=Visit.objects.filter(manager=manager), start=d(8, 1), end=d(8, 31),
                                      today=d(9, 1))  # fmt: skip


def test_both_levels_are_read_in_one_query(shop, other_shop, django_assert_num_queries):
    _visits_across_month_edges(shop, other_shop)
    visit_kpis_refresh()
    with django_assert_num_queries(1):
        figures = visit_kpis_from_rollup(scope=Q(), start=d(7, 15), end=d(9, 10), today=d(10, 1))
    assert figures["total"]["planned"] > 0 and len(figures["by_manager"]) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_refreshes_at_once_take_turns(shop, other_shop, manager):
    import threading

    from django.db import connection

    from visits.models import VisitKpiMonth
    from visits.tests.test_planning import require_postgresql

    require_postgresql()
    _visits_across_month_edges(shop, other_shop)
    results, barrier = [], threading.Barrier(2)

    def refresh(manager_ids) -> None:
        connection.ensure_connection()  # both connected before either starts: a real race
        barrier.wait()
        try:
            results.append(visit_kpis_refresh(manager_ids=manager_ids))
        except Exception as error:
            results.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh, args=(ids,)) for ids in ([manager.pk], None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, int) for result in results), results
    assert VisitKpiMonth.objects.filter(manager=manager).count() == 4
    rolled = visit_kpis_from_rollup(scope=Q(), start=d(7, 1), end=d(10, 31), today=d(12, 1))
    assert rolled == visit_kpis(visits=Visit.objects.all(), start=d(7, 1), end=d(10, 31), today=d(12, 1))
