"""The nightly sales forecast: every shop's orders read as one matrix, forecast and backtested
by analytics.forecasting, and written set-based into the forecast tables."""

from __future__ import annotations

import datetime
import json
import time

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from analytics.forecasting import (
    CROSTON,
    HOLDOUT_WEEKS,
    SMOOTHING,
    forecast_shops,
    has_season,
    month_weights,
    sum_by,
)
from analytics.models import AreaForecast, BaselineKind, ForecastRun, ShopForecast
from crm_site.bulk import insert_frame
from retailers.selectors import weekly_order_amounts

HISTORY_WEEKS = 52


def forecast_window(today: datetime.date, history_weeks: int = HISTORY_WEEKS) -> dict:
    """The weeks a forecast made on `today` reads and forecasts: the history ends with the last
    full week (Monday to Sunday), the forecast starts with the current week and runs to the end
    of next month (at least four weeks)."""
    last_sunday = today - datetime.timedelta(days=today.weekday() + 1)
    first_week = last_sunday + datetime.timedelta(days=1)
    month = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    after_month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    horizon = max(4, -(-(after_month - first_week).days // 7))
    return {
        "as_of": last_sunday,
        "first_monday": first_week - datetime.timedelta(weeks=history_weeks),
        "first_week": first_week,
        "month": month,
        "horizon": horizon,
    }


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(np.maximum(values, 0), 2)


def _nullable(values: np.ndarray) -> pd.Series:
    series = pd.Series(np.round(values, 4)).astype(object)
    return series.where(series.notna(), None)


def _errors_frame(measures: dict, shown: np.ndarray, weights: np.ndarray) -> dict:
    return {
        "uses_method": measures["uses_method"],
        "mase": _nullable(measures["mase"]),
        "smape": np.round(measures["smape"], 4),
        "baseline_mase": _nullable(measures["baseline_mase"]),
        "baseline_smape": np.round(measures["baseline_smape"], 4),
        "next_4_weeks": _rounded(shown[:, :4].sum(axis=1)),
        "next_month": _rounded(shown @ weights),
    }


def forecast_refresh(*, today: datetime.date | None = None, history_weeks: int = HISTORY_WEEKS) -> ForecastRun:
    """Forecast every shop that ordered in the last `history_weeks` full weeks, per shop, per
    service area and for the company, with the backtest of each; the new run replaces the
    previous ones in one transaction (a failure leaves them in place). Safe to run twice."""
    started = time.perf_counter()
    window = forecast_window(today or timezone.localdate(), history_weeks)
    data = weekly_order_amounts(first_monday=window["first_monday"], weeks=history_weeks)
    horizon = window["horizon"]
    result = forecast_shops(data.amounts, data.week_starts, horizon, HOLDOUT_WEEKS)
    weights = month_weights(window["first_week"], horizon, window["month"])

    shop_measures = result.backtest.measures()
    shown = np.where(shop_measures["uses_method"][:, None], result.method, result.baseline)
    shops = pd.DataFrame(
        {
            "retailer_id": data.retailer_ids,
            "service_area_id": data.service_area_ids,
            "method": np.where(result.intermittent, CROSTON, SMOOTHING),
            **_errors_frame(shop_measures, shown, weights),
            **{f"week_{k + 1}": _rounded(shown[:, k]) for k in range(4)},
        }
    )

    area_ids, codes = np.unique(data.service_area_ids, return_inverse=True)
    # One group per service area, then the whole company as one more group.
    levels = [(codes, len(area_ids), [int(pk) for pk in area_ids]), (np.zeros(len(codes), dtype=np.int64), 1, [None])]
    areas = []
    for groups, count, ids in levels:
        backtest = result.backtest.summed(groups, count, result.fitted)
        measures = backtest.measures()
        method, baseline = sum_by(groups, count, result.method), sum_by(groups, count, result.baseline)
        area_shown = np.where(measures["uses_method"][:, None], method, baseline)

        def as_json(matrix: np.ndarray) -> list[str]:
            return [json.dumps(row) for row in np.round(matrix, 2).tolist()]

        areas.append(
            pd.DataFrame(
                {
                    "service_area_id": ids,
                    **_errors_frame(measures, area_shown, weights),
                    "shop_count": np.bincount(groups, minlength=count),
                    "intermittent_count": np.bincount(groups, weights=result.intermittent, minlength=count).astype(int),
                    "method_shop_count": np.bincount(
                        groups, weights=shop_measures["uses_method"], minlength=count
                    ).astype(int),
                    "history": as_json(sum_by(groups, count, data.amounts)),
                    "method_weeks": as_json(method),
                    "baseline_weeks": as_json(baseline),
                }
            )
        )
    area_frame = pd.concat(areas, ignore_index=True)
    area_frame["service_area_id"] = (
        area_frame["service_area_id"].astype(object).where(area_frame["service_area_id"].notna(), None)
    )

    with transaction.atomic():
        run = ForecastRun.objects.create(
            as_of=window["as_of"],
            first_week=window["first_week"],
            month=window["month"],
            history_weeks=history_weeks,
            holdout_weeks=HOLDOUT_WEEKS,
            horizon_weeks=horizon,
            baseline=BaselineKind.SEASONAL_NAIVE if has_season(history_weeks, horizon) else BaselineKind.NAIVE,
            festival_factors={str(k): round(v, 3) for k, v in sorted(result.factors.items())},
            shop_count=len(shops),
            intermittent_count=int(result.intermittent.sum()),
        )
        shops.insert(0, "run_id", run.pk)
        area_frame.insert(0, "run_id", run.pk)
        insert_frame(ShopForecast._meta.db_table, shops)
        insert_frame(AreaForecast._meta.db_table, area_frame)
        ForecastRun.objects.exclude(pk=run.pk).delete()
        run.seconds = round(time.perf_counter() - started, 2)
        run.save(update_fields=["seconds"])
    return run
