"""forecast_refresh against the database: what it stores per shop, per area and for the company."""

import datetime
from decimal import Decimal

import pytest

from analytics.forecast_services import forecast_refresh, forecast_window
from analytics.models import AreaForecast, ForecastRun, ShopForecast
from retailers.tests.factories import OrderFactory

TODAY = datetime.date(2026, 12, 2)  # a Wednesday: the history ends on Sunday 29 November


def weekly_orders(shop, amounts, *, last_sunday=datetime.date(2026, 11, 29)):
    """One order a week (on the week's Monday), oldest first, ending with the week of last_sunday."""
    first_monday = last_sunday - datetime.timedelta(days=6, weeks=len(amounts) - 1)
    for k, amount in enumerate(amounts):
        if amount:
            OrderFactory(retailer=shop, ordered_on=first_monday + datetime.timedelta(weeks=k), amount=amount)


def test_the_window_ends_with_the_last_full_week_and_runs_to_the_end_of_next_month():
    window = forecast_window(TODAY)
    assert window["as_of"] == datetime.date(2026, 11, 29)
    assert window["first_monday"] == datetime.date(2025, 12, 1)
    assert window["first_week"] == datetime.date(2026, 11, 30)
    assert window["month"] == datetime.date(2027, 1, 1)
    assert window["horizon"] == 9  # 30 November to 31 January


@pytest.mark.django_db
def test_refresh_stores_each_shop_its_area_and_the_company(prefecture):
    shops = prefecture["shops"]
    weekly_orders(shops["a"], [Decimal(1000)] * 52)
    weekly_orders(shops["c"], [Decimal(700), 0, 0] * 17 + [Decimal(700)])  # every third week
    run = forecast_refresh(today=TODAY)

    assert run.shop_count == 2 and run.intermittent_count == 1
    steady = ShopForecast.objects.get(run=run, retailer=shops["a"])
    assert steady.method == "smoothing"
    assert steady.next_4_weeks == Decimal("4000.00")
    assert steady.next_month == Decimal("4428.57")  # 31 days of January at 1,000 a week
    irregular = ShopForecast.objects.get(run=run, retailer=shops["c"])
    assert irregular.method == "croston"
    area = AreaForecast.objects.get(run=run, service_area=prefecture["areas"]["a"])
    assert area.shop_count == 1 and len(area.history) == 52 and len(area.method_weeks) == 9
    company = AreaForecast.objects.get(run=run, service_area=None)
    assert company.shop_count == 2 and company.intermittent_count == 1
    assert company.history[-1] == pytest.approx(1700.0)


@pytest.mark.django_db
def test_a_second_refresh_replaces_the_first(prefecture):
    weekly_orders(prefecture["shops"]["a"], [Decimal(500)] * 52)
    forecast_refresh(today=TODAY)
    run = forecast_refresh(today=TODAY)
    assert list(ForecastRun.objects.all()) == [run]
    assert ShopForecast.objects.count() == 1 and AreaForecast.objects.count() == 2
