"""The visit KPIs' arithmetic on hand-made visits and orders, and whose visits each role reads."""

import datetime
from decimal import Decimal

import pytest

from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from retailers.tests.factories import OrderFactory, RetailerFactory
from visits.models import MissReason, Visit, VisitKind, VisitStatus
from visits.selectors import visit_kpi_days_in_scope, visit_kpis, visit_kpis_from_days, visits_in_kpi_scope
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
    misses = dict(total["misses"])
    assert misses[MissReason.SHOP_CLOSED.label] == 2 and misses[MissReason.WEATHER.label] == 1
    assert misses[MissReason.OWNER_AWAY.label] == 0


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
    rolled = visit_kpis_from_days(days=visit_kpi_days_in_scope_all(), start=START, end=END, today=today)
    assert rolled == live
    assert live["total"]["struck"] == 4 and live["total"]["overdue"] == (2 if today == TODAY else 1)


def visit_kpi_days_in_scope_all():
    from visits.models import VisitKpiDay

    return VisitKpiDay.objects.all()


def test_the_roll_up_of_one_manager_leaves_the_others(shop, other_shop, manager, prefecture):
    _hand_made_year(shop, other_shop)
    visit_kpis_refresh()
    done(shop, planned_on=day(11), visited_on=day(11))
    done(other_shop, planned_on=day(11), visited_on=day(11))
    visit_kpis_refresh(manager_ids=[manager.pk])
    rolled = visit_kpis_from_days(days=visit_kpi_days_in_scope_all(), start=START, end=END)
    lines = {row["manager"]: row["logged"] for row in rolled["by_manager"]}
    assert lines == {manager.pk: 6, prefecture["other_manager"].pk: 1}  # the other manager's new visit waits


def test_logging_a_visit_refreshes_its_managers_figures(shop, manager, today, django_capture_on_commit_callbacks):
    from visits.services import visit_log

    with django_capture_on_commit_callbacks(execute=True):
        visit_log(visit=plan(shop, kind=VisitKind.CARE), user=manager, data={"channel": "phone", "satisfaction": 4})
    figures = visit_kpis_from_days(days=visit_kpi_days_in_scope(manager), start=TODAY, end=TODAY)
    assert (figures["total"]["planned"], figures["total"]["done"], figures["total"]["satisfaction"]) == (
        1, 1, Decimal("4.00"),
    )  # fmt: skip


def test_each_role_reads_its_scope_of_the_roll_up(shop, other_shop, manager, users, prefecture):
    _hand_made_year(shop, other_shop)
    visit_kpis_refresh()
    managers = {
        user: {row["manager"] for row in visit_kpis_from_days(
            days=visit_kpi_days_in_scope(user), start=START, end=END)["by_manager"]}
        for user in (manager, users[Role.SUPERVISOR], users[Role.ADMIN], prefecture["other_manager"])
    }  # fmt: skip
    other = prefecture["other_manager"].pk
    assert managers[manager] == {manager.pk} and managers[users[Role.SUPERVISOR]] == {manager.pk}
    assert managers[users[Role.ADMIN]] == {manager.pk, other} and managers[prefecture["other_manager"]] == {other}
