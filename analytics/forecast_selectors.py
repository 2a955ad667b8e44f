"""Reads of the stored forecast for the forecast page and its export, scoped to the user's shops."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.models import AreaForecast, ForecastRun, ShopForecast
from crm_site.formatting import format_money
from crm_site.pagination import KeysetPage, keyset_paginate
from retailers.models import Retailer, ServiceArea
from retailers.selectors import retailers_visible_to, service_areas_visible_to, weekly_order_amounts

PAGE_SIZE = 50


def forecast_latest_run() -> ForecastRun | None:
    return ForecastRun.objects.order_by("-created_at", "-id").first()


def forecast_areas(*, run: ForecastRun, user) -> QuerySet[AreaForecast]:
    """The areas' forecasts the user may see (the company's row is not among them)."""
    return (
        AreaForecast.objects.filter(run=run, service_area__in=service_areas_visible_to(user).values("pk"))
        .select_related("service_area__region")
        .order_by("service_area__region__name", "service_area__name", "pk")
    )


def forecast_company(*, run: ForecastRun, user) -> AreaForecast | None:
    """The company-wide forecast, for users who see every shop."""
    if not user.has_perm("retailers.view_all_retailers"):
        return None
    return AreaForecast.objects.filter(run=run, service_area=None).first()


def forecast_area(*, run: ForecastRun, user, area_id: int) -> AreaForecast | None:
    return forecast_areas(run=run, user=user).filter(service_area_id=area_id).first()


def forecast_shops_page(*, run: ForecastRun, area: ServiceArea, cursor: str | None) -> KeysetPage:
    shops = ShopForecast.objects.filter(run=run, service_area=area).select_related("retailer")
    return keyset_paginate(shops, order_by="id", cursor=cursor, size=PAGE_SIZE)


def forecast_shop(*, run: ForecastRun, user, retailer_id: int) -> ShopForecast | None:
    return (
        ShopForecast.objects.filter(run=run, retailer__in=retailers_visible_to(user).filter(pk=retailer_id))
        .select_related("retailer", "service_area")
        .first()
    )


def shop_history(*, run: ForecastRun, retailer: Retailer) -> list[float]:
    """The shop's weekly amounts over the weeks the run read (two queries)."""
    first_monday = run.first_week - datetime.timedelta(weeks=run.history_weeks)
    data = weekly_order_amounts(first_monday=first_monday, weeks=run.history_weeks, retailer_ids=[retailer.pk])
    return [round(value, 2) for value in data.amounts[0].tolist()] if len(data.retailer_ids) else []


@dataclass(frozen=True)
class Totals:
    """The sum of several areas' forecasts (a supervisor's region, a manager's areas)."""

    history: list[float]
    weeks: list[float]
    next_4_weeks: float
    next_month: float
    shop_count: int


def forecast_totals(areas: list[AreaForecast]) -> Totals | None:
    if not areas:
        return None

    def add(lists: list[list[float]]) -> list[float]:
        return [round(sum(values), 2) for values in zip(*lists, strict=True)]

    return Totals(
        history=add([area.history for area in areas]),
        weeks=add([area.weeks for area in areas]),
        next_4_weeks=sum(float(area.next_4_weeks) for area in areas),
        next_month=sum(float(area.next_month) for area in areas),
        shop_count=sum(area.shop_count for area in areas),
    )


def forecast_chart_data(*, run: ForecastRun, history: list[float], weeks: list[float]) -> dict:
    """What static/js/forecast_chart.js draws: the weeks read, then the forecast weeks."""
    first_monday = run.first_week - datetime.timedelta(weeks=len(history))
    mondays = [first_monday + datetime.timedelta(weeks=k) for k in range(len(history) + len(weeks))]
    return {
        "labels": [monday.strftime("%m-%d") for monday in mondays],
        "history": [*history, *[None] * len(weeks)],
        "forecast": [*[None] * (len(history) - 1), history[-1] if history else None, *weeks],
        "history_label": _("Orders (yuan per week)"),
        "forecast_label": _("Forecast (yuan per week)"),
    }


def shown_label(row) -> str:
    """Which forecast a row shows, and why, in words."""
    if row.uses_method:
        return _("The method (it beats the baseline)")
    return _("The baseline (the method does not beat it: MASE 1 or more)")


def measure_label(value: float | None) -> str:
    return "—" if value is None else format_money(value)


AREA_EXPORT_COLUMNS = (
    (gettext_lazy("Region"), 10, "text"),
    (gettext_lazy("Service area"), 14, "text"),
    (gettext_lazy("Shops"), 8, "number"),
    (gettext_lazy("Shops ordering irregularly"), 10, "number"),
    (gettext_lazy("Next 4 weeks (yuan)"), 14, "money"),
    (gettext_lazy("Next month (yuan)"), 14, "money"),
    (gettext_lazy("Forecast shown"), 30, "text"),
    (gettext_lazy("MASE of the method"), 10, "money"),
    (gettext_lazy("sMAPE of the method"), 10, "percent"),
    (gettext_lazy("MASE of the baseline"), 10, "money"),
    (gettext_lazy("sMAPE of the baseline"), 10, "percent"),
)

SHOP_EXPORT_COLUMNS = (
    (gettext_lazy("Licence number"), 16, "text"),
    (gettext_lazy("Shop name"), 24, "text"),
    (gettext_lazy("Service area"), 14, "text"),
    (gettext_lazy("Method"), 24, "text"),
    (gettext_lazy("Next 4 weeks (yuan)"), 14, "money"),
    (gettext_lazy("Next month (yuan)"), 14, "money"),
    (gettext_lazy("Forecast shown"), 30, "text"),
    (gettext_lazy("MASE of the method"), 10, "money"),
    (gettext_lazy("sMAPE of the method"), 10, "percent"),
    (gettext_lazy("MASE of the baseline"), 10, "money"),
    (gettext_lazy("sMAPE of the baseline"), 10, "percent"),
)


def _errors(row) -> tuple:
    return (shown_label(row), row.mase, row.smape, row.baseline_mase, row.baseline_smape)


def forecast_area_export_rows(*, run: ForecastRun, user) -> Iterator[tuple]:
    for row in forecast_areas(run=run, user=user):
        yield (
            row.service_area.region.name,
            row.service_area.name,
            row.shop_count,
            row.intermittent_count,
            row.next_4_weeks,
            row.next_month,
            *_errors(row),
        )


def forecast_shop_export_rows(*, run: ForecastRun, user, area_id: int | None) -> Iterator[tuple]:
    """Every shop's forecast in the user's scope (or one area of it), read in chunks."""
    shops = ShopForecast.objects.filter(run=run, service_area__in=service_areas_visible_to(user).values("pk"))
    if area_id is not None:
        shops = shops.filter(service_area_id=area_id)
    shops = shops.select_related("retailer", "service_area").order_by("service_area__name", "retailer__name", "id")
    for row in shops.iterator(chunk_size=5000):
        yield (
            row.retailer.license_no,
            row.retailer.name,
            row.service_area.name,
            row.get_method_display(),
            row.next_4_weeks,
            row.next_month,
            *_errors(row),
        )
