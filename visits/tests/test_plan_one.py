"""One visit planned by hand or by another action: the routine plan moved rather than doubled,
the refusals, and the next routine plan after a logged visit."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from crm_site.roles import Role
from retailers.models import RetailerStatus, Tier
from retailers.tests.factories import RetailerFactory
from visits.models import Visit, VisitKind, VisitStatus
from visits.services import VisitError, visit_plan_next_routine, visit_plan_one, working_day_on_or_after

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 9, 1)  # a Tuesday


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 9, 1, 9, 0), tick=False):
        yield


@pytest.fixture
def retailer(prefecture):
    return RetailerFactory(
        service_area=prefecture["areas"]["a"],
        account_manager=prefecture["users"][Role.SALES_MANAGER],
        tier=Tier.KEY,
        license_expires_on=datetime.date(2027, 12, 31),
    )


def test_a_care_visit_is_planned_for_the_shop_manager(retailer):
    visit = visit_plan_one(retailer=retailer, kind=VisitKind.CARE, planned_on=TODAY, purpose="中秋")
    assert (visit.manager, visit.status, visit.planned_on, visit.purpose, visit.interval_days) == (
        retailer.account_manager,
        VisitStatus.PLANNED,
        TODAY,
        "中秋",
        None,
    )


def test_asking_for_a_routine_plan_moves_the_open_one(retailer):
    first = visit_plan_one(retailer=retailer, kind=VisitKind.ROUTINE, planned_on=datetime.date(2026, 9, 3))
    assert first.interval_days == 7
    moved = visit_plan_one(retailer=retailer, kind=VisitKind.ROUTINE, planned_on=datetime.date(2026, 9, 8))
    assert moved.pk == first.pk
    assert Visit.objects.get(pk=first.pk).planned_on == datetime.date(2026, 9, 8)
    assert Visit.objects.filter(retailer=retailer).count() == 1


def test_the_database_refuses_a_second_open_routine_plan(retailer):
    visit_plan_one(retailer=retailer, kind=VisitKind.ROUTINE, planned_on=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(
            retailer=retailer, manager=retailer.account_manager, kind=VisitKind.ROUTINE, planned_on=TODAY
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": RetailerStatus.CLOSED}, "planned_on"),
        ({"license_expires_on": datetime.date(2026, 9, 2)}, "planned_on"),
        ({"account_manager": None}, "manager"),
    ],
)
def test_a_shop_that_cannot_be_served_is_refused(retailer, change, field):
    for name, value in change.items():
        setattr(retailer, name, value)
    retailer.save()
    with pytest.raises(VisitError) as refused:
        visit_plan_one(retailer=retailer, kind=VisitKind.CARE, planned_on=datetime.date(2026, 9, 3))
    assert field in refused.value.message_dict
    assert not Visit.objects.exists()


def test_a_day_in_the_past_is_refused(retailer):
    with pytest.raises(VisitError) as refused:
        visit_plan_one(retailer=retailer, kind=VisitKind.FOLLOW_UP, planned_on=datetime.date(2026, 8, 31))
    assert "planned_on" in refused.value.message_dict


def test_working_day_on_or_after_skips_the_national_day_week():
    assert working_day_on_or_after(datetime.date(2026, 9, 30)) == datetime.date(2026, 9, 30)
    assert working_day_on_or_after(datetime.date(2026, 10, 1)) == datetime.date(2026, 10, 8)


def test_the_next_routine_plan_follows_the_tier_interval_on_a_working_day(retailer):
    nxt = visit_plan_next_routine(retailer=retailer, visited_on=datetime.date(2026, 9, 24))
    assert (nxt.kind, nxt.planned_on, nxt.interval_days) == (VisitKind.ROUTINE, datetime.date(2026, 10, 8), 7)


def test_no_next_plan_after_the_licence_runs_out(retailer):
    retailer.license_expires_on = datetime.date(2026, 9, 5)
    retailer.save()
    assert visit_plan_next_routine(retailer=retailer, visited_on=TODAY) is None
    assert not Visit.objects.exists()
