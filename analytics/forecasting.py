"""The sales forecast's arithmetic: pure numpy over a shops × weeks matrix of order amounts.

Every function takes the whole matrix (one row per shop, one column per Monday–Sunday week,
oldest first) and loops over weeks, never over shops, so 300,000 shops cost about as much
Python as one.

The method (销售预测):

- Spring Festival (春节). Shops stock up in the weeks before the festival and buy little just
  after it, and the festival moves between 21 January and 20 February. Weeks are therefore
  placed by their distance to the nearest 春节 (lunar-python), not by calendar week. Twelve
  months of orders hold one festival, too few to estimate a shop's own peak, so the factors are
  pooled: for each week from FESTIVAL_WEEKS before to FESTIVAL_WEEKS_AFTER after the festival,
  the factor is the company-wide amount of that week divided by the median amount of the
  ordinary weeks (the weeks outside that window). Every other week has factor 1.
- Regular shops: simple exponential smoothing of the series with those factors taken out; the
  smoothing constant is chosen per shop from ALPHAS by the smallest one-step-ahead squared
  error. The forecast is the last level times the factor of each coming week.
- Shops that order irregularly (on average at least INTERMITTENT_ADI weeks between two orders):
  Croston's method with the Syntetos–Boylan correction (SBA), the same factors taken out and
  put back.
- Baseline: seasonal naive (the same week a year earlier) where the history holds a year before
  every week to forecast; with twelve months of orders it does not, and the baseline is naive
  (the last week's amount, every week).
- Backtest: the last HOLDOUT_WEEKS weeks are held out, the method and the baseline fitted on the
  weeks before (the festival factors too), and both are scored on the held-out weeks:
  MASE (mean absolute error over the mean absolute one-step change of the fitted weeks; the
  season's change where a season is available) and sMAPE (mean of 2·|F−A| / (|F|+|A|), a week
  with both zero counting 0). The method is used where its MASE is below 1 (for a history that
  never changed, where its error is no larger than the baseline's); elsewhere the baseline is
  shown instead.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

import numpy as np
from lunar_python import Lunar

HOLDOUT_WEEKS = 8
SEASON_WEEKS = 52
ALPHAS = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.8])
CROSTON_ALPHA = 0.1
INTERMITTENT_ADI = 1.32  # Syntetos–Boylan's cut-off: mean weeks between two orders
FESTIVAL_WEEKS = 4  # weeks before the week of 春节 that get their own factor
FESTIVAL_WEEKS_AFTER = 2  # and weeks after it

SMOOTHING, CROSTON = "smoothing", "croston"


@cache
def spring_festival(year: int) -> datetime.date:
    """The solar date of 春节 (lunar 1/1) of a year."""
    solar = Lunar.fromYmd(year, 1, 1).getSolar()
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def festival_offsets(week_starts: list[datetime.date]) -> np.ndarray:
    """For each week (its Monday), how many weeks it lies after the week holding the nearest
    春节 (negative: before; 0: the festival's own week)."""
    offsets = []
    for monday in week_starts:
        candidates = []
        for year in (monday.year - 1, monday.year, monday.year + 1):
            festival = spring_festival(year)
            festival_monday = festival - datetime.timedelta(days=festival.weekday())
            candidates.append((monday - festival_monday).days // 7)
        offsets.append(min(candidates, key=abs))
    return np.array(offsets, dtype=np.int64)


def festival_factors(totals: np.ndarray, offsets: np.ndarray) -> dict[int, float]:
    """Offset -> factor, from the company-wide weekly totals (see the module's docstring). An
    offset the history does not hold, or a history without ordinary weeks, gets no factor."""
    in_window = (offsets >= -FESTIVAL_WEEKS) & (offsets <= FESTIVAL_WEEKS_AFTER)
    ordinary = totals[~in_window]
    if not len(ordinary) or np.median(ordinary) <= 0:
        return {}
    level = float(np.median(ordinary))
    return {int(k): float(totals[offsets == k].mean() / level) for k in np.unique(offsets[in_window])}


def week_factors(offsets: np.ndarray, factors: dict[int, float]) -> np.ndarray:
    """The factor of each week (1 outside the festival window or where none was estimated);
    a factor of 0 (nobody ordered that week) is kept at a small positive value so that the
    series can be divided by it."""
    values = np.array([factors.get(int(k), 1.0) for k in offsets], dtype=float)
    return np.maximum(values, 0.05)


def is_intermittent(amounts: np.ndarray) -> np.ndarray:
    """Shops whose average interval between two ordering weeks is INTERMITTENT_ADI or more
    (weeks in the series / weeks with an order)."""
    ordering_weeks = (amounts > 0).sum(axis=1)
    return amounts.shape[1] >= INTERMITTENT_ADI * np.maximum(ordering_weeks, 1)


def smoothing_level(series: np.ndarray) -> np.ndarray:
    """Simple exponential smoothing, every shop at once: the last level per shop, with the
    constant from ALPHAS whose one-step-ahead squared error is smallest for that shop."""
    levels = np.repeat(series[:, :1].T, len(ALPHAS), axis=0)  # (alphas, shops)
    errors = np.zeros_like(levels)
    alphas = ALPHAS[:, None]
    for week in range(1, series.shape[1]):
        value = series[:, week][None, :]
        errors += (value - levels) ** 2
        levels += alphas * (value - levels)
    best = errors.argmin(axis=0)
    return levels[best, np.arange(series.shape[0])]


def croston_rate(series: np.ndarray, alpha: float = CROSTON_ALPHA) -> np.ndarray:
    """Croston's method with the SBA correction, every shop at once: the expected amount per
    week, (1 − α/2) · size / interval, with size and interval smoothed at each order."""
    shops = series.shape[0]
    size = np.full(shops, np.nan)
    interval = np.full(shops, np.nan)
    since = np.ones(shops)  # weeks since the last order, counting this one
    for week in range(series.shape[1]):
        value = series[:, week]
        ordered = value > 0
        first = ordered & np.isnan(size)
        size = np.where(first, value, size)
        interval = np.where(first, since, interval)
        later = ordered & ~first
        size = np.where(later, size + alpha * (value - size), size)
        interval = np.where(later, interval + alpha * (since - interval), interval)
        since = np.where(ordered, 1.0, since + 1.0)
    rate = (1 - alpha / 2) * size / interval
    return np.nan_to_num(rate, nan=0.0)


def method_forecast(
    amounts: np.ndarray, past_factors: np.ndarray, future_factors: np.ndarray, intermittent: np.ndarray
) -> np.ndarray:
    """(shops, horizon) forecast of the method: the festival factors taken out, smoothing or
    Croston per shop, the factors of the coming weeks put back."""
    adjusted = amounts / past_factors[None, :]
    level = np.zeros(amounts.shape[0])
    level[intermittent] = croston_rate(adjusted[intermittent])
    level[~intermittent] = smoothing_level(adjusted[~intermittent])
    return level[:, None] * future_factors[None, :]


def has_season(weeks: int, horizon: int) -> bool:
    """Whether a seasonal-naive baseline exists: a year of history before every week to forecast."""
    return weeks >= SEASON_WEEKS + horizon


def baseline_forecast(amounts: np.ndarray, horizon: int) -> np.ndarray:
    """Seasonal naive (the same week a year before) where the history allows it, else naive."""
    weeks = amounts.shape[1]
    if has_season(weeks, horizon):
        return amounts[:, weeks - SEASON_WEEKS : weeks - SEASON_WEEKS + horizon]
    return np.repeat(amounts[:, -1:], horizon, axis=1)


def naive_scale(amounts: np.ndarray, horizon: int) -> np.ndarray:
    """MASE's denominator: the mean absolute change of the fitted weeks at the baseline's lag."""
    lag = SEASON_WEEKS if has_season(amounts.shape[1], horizon) else 1
    return np.abs(amounts[:, lag:] - amounts[:, :-lag]).mean(axis=1)


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Mean absolute scaled error per row; NaN where the fitted weeks never changed (scale 0)."""
    error = np.abs(actual - forecast).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, error / np.where(scale > 0, scale, 1), np.nan)


def smape(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Symmetric mean absolute percentage error per row, between 0 and 2 (200 %)."""
    total = np.abs(actual) + np.abs(forecast)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(total > 0, 2 * np.abs(forecast - actual) / np.where(total > 0, total, 1), 0.0)
    return terms.mean(axis=1)


def sum_by(groups: np.ndarray, count: int, matrix: np.ndarray) -> np.ndarray:
    """Rows of `matrix` summed per group (codes 0..count-1), a week at a time."""
    out = np.zeros((count, matrix.shape[1]))
    for week in range(matrix.shape[1]):
        out[:, week] = np.bincount(groups, weights=matrix[:, week], minlength=count)
    return out


@dataclass(frozen=True)
class Backtest:
    """The held-out weeks and both forecasts of them, and the in-sample scale of each row."""

    actual: np.ndarray
    method: np.ndarray
    baseline: np.ndarray
    scale: np.ndarray

    def summed(self, groups: np.ndarray, count: int, fitted: np.ndarray) -> Backtest:
        """The backtest of the groups' totals (rows summed by `groups`, codes 0..count-1): the sum
        of the shops' forecasts against the sum of their amounts; `fitted` is the fitted weeks'
        matrix, for the totals' own scale."""

        def add(matrix: np.ndarray) -> np.ndarray:
            return sum_by(groups, count, matrix)

        return Backtest(
            add(self.actual), add(self.method), add(self.baseline), naive_scale(add(fitted), self.actual.shape[1])
        )

    def measures(self) -> dict[str, np.ndarray]:
        """MASE and sMAPE of the method and of the baseline, and whether the method is used: its
        MASE is below 1, or (a history that never changed, MASE undefined) its error is no larger."""
        method_mase = mase(self.actual, self.method, self.scale)
        tie_break = np.abs(self.actual - self.method).mean(axis=1) <= np.abs(self.actual - self.baseline).mean(axis=1)
        return {
            "mase": method_mase,
            "smape": smape(self.actual, self.method),
            "baseline_mase": mase(self.actual, self.baseline, self.scale),
            "baseline_smape": smape(self.actual, self.baseline),
            "uses_method": np.where(np.isnan(method_mase), tie_break, method_mase < 1),
        }


@dataclass(frozen=True)
class ForecastResult:
    intermittent: np.ndarray  # (shops,) bool: Croston/SBA rather than smoothing
    method: np.ndarray  # (shops, horizon) the method's weekly forecast
    baseline: np.ndarray  # (shops, horizon) the baseline's
    backtest: Backtest
    fitted: np.ndarray  # (shops, weeks − holdout): the weeks the backtest was fitted on
    factors: dict[int, float]  # the festival factors used for the forecast


def forecast_shops(
    amounts: np.ndarray, week_starts: list[datetime.date], horizon: int, holdout: int = HOLDOUT_WEEKS
) -> ForecastResult:
    """Forecast every shop `horizon` weeks past the matrix, and backtest it on the last `holdout`
    weeks (see the module's docstring)."""
    weeks = amounts.shape[1]
    future = [week_starts[-1] + datetime.timedelta(weeks=k + 1) for k in range(horizon)]
    offsets = festival_offsets([*week_starts, *future])
    past_offsets, future_offsets = offsets[:weeks], offsets[weeks:]
    intermittent = is_intermittent(amounts)

    fitted, held_out = amounts[:, : weeks - holdout], amounts[:, weeks - holdout :]
    train_factors = festival_factors(fitted.sum(axis=0), past_offsets[: weeks - holdout])
    backtest = Backtest(
        actual=held_out,
        method=method_forecast(
            fitted,
            week_factors(past_offsets[: weeks - holdout], train_factors),
            week_factors(past_offsets[weeks - holdout :], train_factors),
            is_intermittent(fitted),
        ),
        baseline=baseline_forecast(fitted, holdout),
        scale=naive_scale(fitted, holdout),
    )

    factors = festival_factors(amounts.sum(axis=0), past_offsets)
    method = method_forecast(
        amounts, week_factors(past_offsets, factors), week_factors(future_offsets, factors), intermittent
    )
    return ForecastResult(intermittent, method, baseline_forecast(amounts, horizon), backtest, fitted, factors)


def month_weights(first_monday: datetime.date, horizon: int, month_start: datetime.date) -> np.ndarray:
    """How much of each forecast week falls in the month starting `month_start` (days / 7), so
    that forecast @ weights is the month's forecast."""
    month_end = (month_start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    weights = []
    for k in range(horizon):
        start = first_monday + datetime.timedelta(weeks=k)
        end = start + datetime.timedelta(days=7)
        overlap = (min(end, month_end) - max(start, month_start)).days
        weights.append(max(overlap, 0) / 7)
    return np.array(weights)
