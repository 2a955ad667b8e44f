"""The forecast's arithmetic on hand-made series whose answers are known (no database)."""

import datetime

import numpy as np
import pytest

from analytics.forecasting import (
    Backtest,
    croston_rate,
    festival_factors,
    festival_offsets,
    forecast_shops,
    is_intermittent,
    mase,
    month_weights,
    naive_scale,
    smape,
    spring_festival,
)


def test_mase_is_the_mean_absolute_error_over_the_naive_scale():
    assert naive_scale(np.array([[1.0, 3, 2, 6]]), horizon=2) == pytest.approx([7 / 3])
    assert mase(np.array([[2.0, 4]]), np.array([[3.0, 3]]), np.array([2.0])) == pytest.approx([0.5])
    assert np.isnan(mase(np.array([[2.0]]), np.array([[3.0]]), np.array([0.0])))[0]


def test_smape_counts_weeks_with_nothing_forecast_and_nothing_ordered_as_zero():
    assert smape(np.array([[2.0, 4]]), np.array([[3.0, 3]])) == pytest.approx([(2 / 5 + 2 / 7) / 2])
    assert smape(np.array([[0.0, 0]]), np.array([[0.0, 2]])) == pytest.approx([1.0])


def test_the_method_is_used_only_where_its_mase_is_below_one():
    actual = np.array([[10.0, 10], [10.0, 10]])
    backtest = Backtest(
        actual=actual,
        method=np.array([[11.0, 9], [14.0, 6]]),  # MAE 1 and 4
        baseline=np.array([[12.0, 12], [12.0, 12]]),
        scale=np.array([2.0, 2.0]),
    )
    measures = backtest.measures()
    assert measures["mase"] == pytest.approx([0.5, 2.0])
    assert measures["baseline_mase"] == pytest.approx([1.0, 1.0])
    assert measures["uses_method"].tolist() == [True, False]


def test_croston_sba_on_an_intermittent_series():
    # Sizes 4 then 8 two weeks later, alpha 0.5: size 6, interval 1.5, SBA rate 0.75 × 6 / 1.5.
    assert croston_rate(np.array([[4.0, 0, 8]]), alpha=0.5) == pytest.approx([3.0])
    # Every third week 6: size 6, interval 3, rate 0.95 × 2.
    assert croston_rate(np.array([[0.0, 0, 6, 0, 0, 6, 0, 0, 6]])) == pytest.approx([1.9])
    assert croston_rate(np.zeros((1, 5))) == pytest.approx([0.0])


def test_shops_with_many_weeks_without_an_order_are_intermittent():
    amounts = np.array([[0.0, 5, 0, 5, 0, 5], [5.0, 5, 5, 5, 0, 5]])
    assert is_intermittent(amounts).tolist() == [True, False]


def test_weeks_are_placed_by_their_distance_to_the_spring_festival():
    assert spring_festival(2026) == datetime.date(2026, 2, 17)
    assert spring_festival(2027) == datetime.date(2027, 2, 6)
    mondays = [datetime.date(2026, 1, 19), datetime.date(2026, 2, 9), datetime.date(2026, 2, 16)]
    assert festival_offsets([*mondays, datetime.date(2027, 2, 1), datetime.date(2027, 1, 25)]).tolist() == [
        -4,
        -1,
        0,
        0,
        -1,
    ]
    # The same distance to the festival falls on different calendar weeks each year.
    assert festival_offsets([datetime.date(2026, 2, 9)]) == festival_offsets([datetime.date(2027, 1, 25)])


def test_the_festival_factor_is_the_week_against_the_median_ordinary_week():
    offsets = np.array([-10, -1, 0, 10, 20])
    totals = np.array([100.0, 300, 50, 100, 120])
    assert festival_factors(totals, offsets) == pytest.approx({-1: 3.0, 0: 0.5})


def test_a_peak_before_last_years_festival_is_forecast_before_next_years():
    last_sunday = datetime.date(2026, 11, 29)
    mondays = [last_sunday - datetime.timedelta(days=6, weeks=51 - k) for k in range(52)]
    amounts = np.full((2, 52), 100.0)
    peak = mondays.index(datetime.date(2026, 2, 9))  # the week before 春节 2026
    amounts[:, peak] = 300.0
    result = forecast_shops(amounts, mondays, horizon=9)
    # From 30 November 2026: the ninth week is 25 January 2027, the week before 春节 2027.
    assert result.method[0, :8] == pytest.approx([100.0] * 8)
    assert result.method[0, 8] == pytest.approx(300.0)
    assert result.factors[-1] == pytest.approx(3.0)
    assert result.baseline[0].tolist() == [100.0] * 9  # naive: twelve months hold no season before the horizon


def test_a_month_takes_the_days_of_each_week_that_fall_in_it():
    weights = month_weights(datetime.date(2026, 11, 30), 6, datetime.date(2026, 12, 1))
    assert weights.tolist() == pytest.approx([6 / 7, 1, 1, 1, 4 / 7, 0])  # 1–6, …, 28–31 December
    assert weights.sum() == pytest.approx(31 / 7)
