"""Churn risk, the four measures and the period arithmetic on hand-made weeks whose answers are known."""

import datetime
from decimal import Decimal

import pytest

from analytics.forms import PeriodForm
from analytics.models import ShopStanding
from analytics.periods import Period, change, default_period
from analytics.selectors import analytics_scope, churn_candidates, churn_reasons, measure_sums, measures_by_group
from analytics.services import analytics_refresh
from crm_site.roles import Role
from retailers.tests.factories import OrderFactory, RetailerFactory

TODAY = datetime.date(2026, 6, 17)
AS_OF = datetime.date(2026, 6, 15)  # the Monday of TODAY's week: the 52 complete weeks end before it


def weekly(shop, amounts: dict[int, tuple[str, int]]) -> None:
    """Orders `weeks_ago` → (amount, cartons), each on the Tuesday of that week."""
    for weeks_ago, (amount, cartons) in amounts.items():
        day = AS_OF - datetime.timedelta(weeks=weeks_ago) + datetime.timedelta(days=1)
        OrderFactory(retailer=shop, ordered_on=day, amount=Decimal(amount), cartons=cartons)


@pytest.fixture
def shops(prefecture):
    """steady: 1,000 yuan (10 cartons) every one of the 52 weeks; churning: 1,000 a week for the 44
    baseline weeks, then 300 a week in the last 8; silent: 1,000 a week until 6 weeks ago."""
    area = prefecture["areas"]["a"]
    steady = RetailerFactory(service_area=area, partner_since=datetime.date(2024, 6, 15))
    churning = RetailerFactory(service_area=area)
    silent = RetailerFactory(service_area=area)
    weekly(steady, {week: ("1000", 10) for week in range(1, 53)})
    weekly(churning, {week: ("1000", 10) if week > 8 else ("300", 3) for week in range(1, 53)})
    weekly(silent, {week: ("1000", 10) for week in range(7, 53)})
    analytics_refresh(full=True, today=TODAY)
    return {"steady": steady, "churning": churning, "silent": silent, "prefecture": prefecture}


def standing(shop) -> ShopStanding:
    return ShopStanding.objects.get(retailer_id=shop.pk)


def test_the_churning_shops_figures_and_amount_at_risk(shops):
    row = standing(shops["churning"])
    assert (row.recent_amount, row.baseline_amount) == (Decimal("2400"), Decimal("44000"))
    assert row.amount_at_risk == Decimal("5600")  # 8 baseline weeks of 1,000 less the 2,400 bought
    assert standing(shops["steady"]).amount_at_risk == 0


def test_churn_lists_the_fall_and_the_silence_with_their_reasons(shops, users):
    scope = analytics_scope(users[Role.ADMIN])
    listed = churn_candidates(scope=scope, drop_percent=30, silent_weeks=4, as_of=AS_OF)
    ranked = [row.retailer_id for row in listed.order_by("-amount_at_risk")]
    assert ranked == [shops["silent"].pk, shops["churning"].pk]  # 8,000 at risk, then 5,600
    reasons = churn_reasons(standing(shops["churning"]), drop_percent=30, silent_weeks=4, as_of=AS_OF)
    assert reasons == ["近8周周均300元，比此前44周的周均1,000元低70.0%。"]
    silent = churn_reasons(standing(shops["silent"]), drop_percent=30, silent_weeks=4, as_of=AS_OF)
    assert silent[-1].startswith("已7周未订货")


def test_churn_thresholds_are_the_pages_settings(shops, users):
    scope = analytics_scope(users[Role.ADMIN])
    strict = churn_candidates(scope=scope, drop_percent=80, silent_weeks=10, as_of=AS_OF)
    assert list(strict) == []  # a 70 % fall is not 80 %, and 7 silent weeks are not 10


def test_the_four_measures_of_a_shop(shops):
    steady, churning = standing(shops["steady"]), standing(shops["churning"])
    assert (steady.weeks_ordered, steady.loyalty) == (52, Decimal(1))
    assert steady.tenure_months == 24
    # dependency: the churning shop's mean is (44×10 + 8×3)/52 = 8.9 cartons; its 8 weeks of 3 are not full
    assert (churning.full_weeks, churning.dependency) == (44, Decimal(44) / 52)
    assert steady.dependency == 1
    # contribution: shares of the area's 52-week amount (52,000 + 46,400 + 46,000)
    total = Decimal(52000 + 46400 + 46000)
    assert steady.contribution == pytest.approx(Decimal(52000) / total, abs=Decimal("0.000001"))


@pytest.mark.parametrize(
    "filters",
    [{}, {"tier": ""}, {"min_weeks": 0}],
    ids=["the refresh's sums per area and tier", "the same, blank filters", "grouped from the filtered standings"],
)
def test_measures_per_tier_and_area(shops, users, filters):
    scope = analytics_scope(users[Role.ADMIN])
    groups = measures_by_group(sums=measure_sums(scope=scope, filters=filters), scope=scope)
    area = next(row for row in groups["areas"] if row["label"] == shops["prefecture"]["areas"]["a"].name)
    assert area["shops"] == 4  # the fixture's shop a counts too, with no orders
    assert area["contribution"] == 1  # the other areas' shops bought nothing
    assert area["dependency"] == Decimal(52 + 44 + 46) / (52 + 52 + 46)
    assert area["loyalty"] == Decimal(52 + 52 + 46) / 4 / 52
    assert area["tenure"] == 24  # only the steady shop has a partner date
    assert area["csat"] is None  # no survey answered
    assert sum(row["shops"] for row in groups["tiers"]) == ShopStanding.objects.count()


def test_a_measure_filter_groups_only_the_shops_it_keeps(shops, users):
    scope = analytics_scope(users[Role.ADMIN])
    groups = measures_by_group(sums=measure_sums(scope=scope, filters={"min_weeks": 50}), scope=scope)
    assert [(row["shops"], row["loyalty"]) for row in groups["areas"]] == [(2, Decimal(1))]  # steady, churning


def test_the_period_and_its_comparisons():
    quarter = PeriodForm({"kind": "quarter", "month": "2026-05"}).period(TODAY)
    assert (quarter.start, quarter.end, quarter.months) == (datetime.date(2026, 4, 1), datetime.date(2026, 7, 1), 3)
    assert quarter.previous == Period(datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    assert quarter.last_year == Period(datetime.date(2025, 4, 1), datetime.date(2025, 7, 1))
    custom = PeriodForm({"kind": "range", "month": "2025-11", "until": "2026-02"}).period(TODAY)
    assert (custom.months, custom.previous.start) == (4, datetime.date(2025, 7, 1))
    assert default_period(TODAY) == Period(datetime.date(2026, 5, 1), datetime.date(2026, 6, 1))
    assert change(Decimal(125), Decimal(100)) == Decimal("0.25")
    assert change(80, 100) == Decimal("-0.2")
    assert change(5, 0) is None


def standings_table() -> list:
    fields = [field.attname for field in ShopStanding._meta.fields]
    return sorted(ShopStanding.objects.values_list(*fields))


@pytest.mark.parametrize("weeks_later", [1, 9])
def test_the_standings_move_on_to_what_a_full_refresh_finds(shops, monkeypatch, weeks_later):
    """A week (or nine) later, with new orders only in weeks the last standings did not count:
    the incremental refresh moves each window on (weeks in, weeks out) instead of rebuilding."""
    later = TODAY + datetime.timedelta(weeks=weeks_later)
    weekly(shops["steady"], {0: ("1000", 10), -1: ("500", 2)})  # the week of AS_OF, and the one after
    weekly(shops["silent"], {0: ("200", 1)})  # back after six silent weeks
    weekly(shops["churning"], {-weeks_later: ("700", 7)})  # in the week of the new as_of: not counted yet

    def not_rebuilt(**kwargs):
        raise AssertionError("the standings were rebuilt instead of moved on")

    with monkeypatch.context() as patch:
        patch.setattr("analytics.services._rebuild_standings", not_rebuilt)
        analytics_refresh(today=later)
    moved = standings_table()
    assert standing(shops["silent"]).last_order_week == AS_OF
    analytics_refresh(full=True, today=later)
    assert standings_table() == moved


def test_an_order_dated_before_the_last_standings_rebuilds_them(shops, monkeypatch):
    rebuilt = []
    monkeypatch.setattr("analytics.services._move_standings", lambda **kwargs: rebuilt.append(False))
    weekly(shops["silent"], {3: ("400", 4)})  # a late import into a week already counted
    analytics_refresh(today=TODAY + datetime.timedelta(weeks=1))
    assert rebuilt == []
    assert standing(shops["silent"]).last_order_week == AS_OF - datetime.timedelta(weeks=3)


def test_the_survey_figures_reach_each_answering_shops_standing_and_no_other(prefecture, monkeypatch):
    from analytics import services
    from visits.survey_selectors import RetailerSatisfaction

    area = prefecture["areas"]["a"]
    answering, silent = RetailerFactory(service_area=area), RetailerFactory(service_area=area)
    weekly(answering, {1: ("1000", 10)})
    weekly(silent, {1: ("1000", 10)})
    figures = {answering.pk: RetailerSatisfaction(responses=3, csat=Decimal("0.75"), nps=Decimal("-33.3"))}
    monkeypatch.setattr(services, "survey_satisfaction_by_retailer", lambda **kwargs: figures)
    analytics_refresh(full=True, today=TODAY)
    row = standing(answering)
    assert (row.survey_responses, row.csat, row.nps) == (3, Decimal("0.75"), Decimal("-33.3"))
    other = standing(silent)
    assert (other.survey_responses, other.csat, other.nps) == (0, None, None)


def test_a_shop_whose_weeks_are_gone_has_no_full_week_left_on_either_database(shops):
    """The standings moved on count weeks ordered from the orders; their full weeks come from the
    shop weeks, which may lag until the nightly rebuild: a shop with none left in the window has
    none full, on the grouped (PostgreSQL) path as on the correlated (SQLite) one."""
    from analytics import services
    from analytics.models import ShopWeek

    steady = shops["steady"]
    ShopWeek.objects.filter(retailer_id=steady.pk).delete()
    ShopStanding.objects.filter(retailer_id=steady.pk).update(full_weeks=7)
    services._finish_standings(as_of=AS_OF)
    assert standing(steady).weeks_ordered == 52 and standing(steady).full_weeks == 0
    assert standing(shops["churning"]).full_weeks == 44  # the others counted as before
