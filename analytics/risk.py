"""The compliance risk rules (合规风险), vectorised over pandas frames, and how a finding reads.

Each rule takes the frames the retailers and grading selectors return and gives the findings it
fires as a frame of retailer_id, rule, period_start, score and numbers (a dict of plain values).
The rules, and their thresholds:

- spike: an order above SPIKE_RATIO × the mean of the shop's three orders before it;
- peer outlier: the shop's amount over the last WINDOW_WEEKS weeks against the shops of the same
  region, business type (业态) and 档位 (grading's latest run): a robust z-score (the distance to
  the group's median over 1.4826 × the median absolute deviation; 1.2533 × the mean absolute
  deviation where the MAD is 0) above Z_LIMIT, in groups of at least MIN_PEERS shops;
- unlicensed: an order placed after the shop's licence expired, or by a closed shop;
- repeated findings: REPEATED_MINIMUM or more compliance findings (ComplianceRecord) in the last
  REPEATED_MONTHS months;
- cross-territory goods (串货): cartons of scarce or high-end products over the last WINDOW_WEEKS
  weeks against the shops of the same region and 档位: a robust z-score above Z_LIMIT and at
  least CROSS_RATIO × the group's median.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from analytics.models import RiskRule
from crm_site.formatting import format_count, format_money

SPIKE_RATIO = 2.2
Z_LIMIT = 3.5
MIN_PEERS = 5
CROSS_RATIO = 3.0
REPEATED_MINIMUM = 2
REPEATED_MONTHS = 12
WINDOW_WEEKS = 4

COLUMNS = ["retailer_id", "rule", "period_start", "score", "numbers"]


def _findings(frame: pd.DataFrame, rule: str, period, score: pd.Series, numbers: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(
        {
            "retailer_id": frame["retailer_id"].to_numpy(),
            "rule": rule,
            "period_start": period,
            "score": np.round(score.to_numpy(dtype=float), 3),
            "numbers": frame[numbers].to_dict("records"),
        }
    )


def _monday(dates: pd.Series) -> pd.Series:
    days = pd.to_datetime(dates)
    return (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date


def _iso(values: pd.Series) -> pd.Series:
    return values.map(lambda day: day.isoformat())


def robust_z(values: pd.Series, groups: list[pd.Series]) -> pd.DataFrame:
    """Each value's robust z-score within its group: the group's median, the score and the
    group's size (the score is NaN where the group does not vary)."""
    grouped = values.groupby(groups)
    median = grouped.transform("median")
    deviation = (values - median).abs()
    mad = deviation.groupby(groups).transform("median")
    mean_deviation = deviation.groupby(groups).transform("mean")
    scale = np.where(mad > 0, 1.4826 * mad, 1.2533 * mean_deviation)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, (values - median) / np.where(scale > 0, scale, 1), np.nan)
    return pd.DataFrame({"median": median, "z": z, "peers": grouped.transform("size")}, index=values.index)


def spike_findings(spikes: pd.DataFrame) -> pd.DataFrame:
    """From retailers.selectors.order_spikes: one finding per shop and week (its largest spike)."""
    if spikes.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = spikes.assign(period=_monday(spikes["ordered_on"]), ratio=spikes["amount"] / spikes["previous_mean"])
    frame = frame.sort_values("ratio", ascending=False).drop_duplicates(["retailer_id", "period"])
    frame = frame.assign(
        ordered_on=_iso(frame["ordered_on"]),
        amount=frame["amount"].round(2),
        previous_mean=frame["previous_mean"].round(2),
        ratio=frame["ratio"].round(2),
    )
    return _findings(
        frame,
        RiskRule.SPIKE,
        frame["period"].to_numpy(),
        frame["ratio"],
        ["ordered_on", "amount", "previous_mean", "ratio"],
    )


def _peer_findings(
    frame: pd.DataFrame, value: str, keys: list[str], rule: str, period: datetime.date, min_ratio: float = 0.0
) -> pd.DataFrame:
    scored = frame.join(robust_z(frame[value], [frame[key] for key in keys]))
    fired = scored[
        (scored["peers"] >= MIN_PEERS) & (scored["z"] > Z_LIMIT) & (scored[value] >= min_ratio * scored["median"])
    ]
    fired = fired.assign(
        value=fired[value].round(2),
        peer_median=fired["median"].round(2),
        z=fired["z"].round(2),
        peers=fired["peers"].astype(int),
        weeks=WINDOW_WEEKS,
    )
    return _findings(fired, rule, period, fired["z"], ["value", "peer_median", "z", "peers", "weeks"])


def peer_outlier_findings(
    totals: pd.DataFrame, shops: pd.DataFrame, levels: dict[int, int], period: datetime.date
) -> pd.DataFrame:
    """Shops far above the shops of their region, 业态 and 档位 over the window (graded shops only)."""
    frame = _graded(totals, shops, levels)
    return _peer_findings(frame, "amount", ["region_id", "business_type", "level"], RiskRule.PEER_OUTLIER, period)


def cross_territory_findings(
    cartons: pd.DataFrame, shops: pd.DataFrame, levels: dict[int, int], period: datetime.date
) -> pd.DataFrame:
    """Shops buying far more scarce or high-end cartons than the shops of their region and 档位;
    graded shops that bought none count as 0 among the peers."""
    graded = shops[shops["retailer_id"].isin(levels.keys())][["retailer_id"]]
    everyone = graded.merge(cartons, on="retailer_id", how="left").fillna({"cartons": 0.0})
    frame = _graded(everyone, shops, levels)
    return _peer_findings(frame, "cartons", ["region_id", "level"], RiskRule.CROSS_TERRITORY, period, CROSS_RATIO)


def _graded(values: pd.DataFrame, shops: pd.DataFrame, levels: dict[int, int]) -> pd.DataFrame:
    frame = values.merge(shops, on="retailer_id")
    frame = frame.assign(level=frame["retailer_id"].map(levels))
    return frame[frame["level"].notna()].reset_index(drop=True)


def unlicensed_findings(orders: pd.DataFrame) -> pd.DataFrame:
    """From retailers.selectors.orders_while_unlicensed_or_closed: one finding per shop and week."""
    if orders.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = orders.assign(period=_monday(orders["ordered_on"])).sort_values("amount", ascending=False)
    frame = frame.drop_duplicates(["retailer_id", "period"])
    frame = frame.assign(
        ordered_on=_iso(frame["ordered_on"]),
        license_expires_on=_iso(frame["license_expires_on"]),
        amount=frame["amount"].round(2),
        closed=frame["status"] == "closed",
    )
    return _findings(
        frame,
        RiskRule.UNLICENSED,
        frame["period"].to_numpy(),
        frame["amount"],
        ["ordered_on", "amount", "license_expires_on", "closed"],
    )


def repeated_findings(counts: pd.DataFrame) -> pd.DataFrame:
    """From retailers.selectors.compliance_finding_counts: one finding per shop and latest record."""
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = counts.assign(period=counts["last"], first=_iso(counts["first"]), last=_iso(counts["last"]))
    frame = frame.assign(months=REPEATED_MONTHS)
    return _findings(
        frame,
        RiskRule.REPEATED_FINDINGS,
        frame["period"].to_numpy(),
        frame["count"],
        ["count", "first", "last", "kinds", "months"],
    )


def _date(value: str) -> str:
    from django.utils.formats import date_format

    return date_format(datetime.date.fromisoformat(value), "Y-m-d")


def finding_explanation(rule: str, numbers: dict) -> str:
    """What made a finding fire, in the reader's language: a sentence with its figures."""
    if rule == RiskRule.SPIKE:
        return _(
            "Order of %(date)s: %(amount)s yuan, %(ratio)s times the mean of the shop's three orders "
            "before it (%(mean)s yuan); the alert level is %(limit)s times."
        ) % {
            "date": _date(numbers["ordered_on"]),
            "amount": format_money(numbers["amount"]),
            "ratio": format_money(numbers["ratio"]),
            "mean": format_money(numbers["previous_mean"]),
            "limit": format_money(SPIKE_RATIO, 1),
        }
    if rule == RiskRule.PEER_OUTLIER:
        return _(
            "%(value)s yuan in the last %(weeks)s weeks, against a median of %(median)s yuan for the "
            "%(peers)s shops of the same region, business type and level: robust z-score %(z)s (alert above %(limit)s)."
        ) % _peer_figures(numbers, money=True)
    if rule == RiskRule.CROSS_TERRITORY:
        return _(
            "%(value)s cartons of scarce or high-end products in the last %(weeks)s weeks, against a median "
            "of %(median)s for the %(peers)s shops of the same region and level: robust z-score %(z)s "
            "(alert above %(limit)s)."
        ) % _peer_figures(numbers, money=False)
    if rule == RiskRule.UNLICENSED:
        figures = {
            "date": _date(numbers["ordered_on"]),
            "amount": format_money(numbers["amount"]),
            "expiry": _date(numbers["license_expires_on"]),
        }
        if numbers["closed"]:
            return _("Order of %(date)s (%(amount)s yuan) by a shop recorded as closed.") % figures
        return _("Order of %(date)s (%(amount)s yuan) after the licence expired on %(expiry)s.") % figures
    return _(
        "%(count)s compliance findings in the last %(months)s months (of %(kinds)s kinds), from %(first)s to %(last)s."
    ) % {
        "count": format_count(numbers["count"]),
        "months": numbers["months"],
        "kinds": format_count(numbers["kinds"]),
        "first": _date(numbers["first"]),
        "last": _date(numbers["last"]),
    }


def _peer_figures(numbers: dict, *, money: bool) -> dict:
    show = format_money if money else format_count
    return {
        "value": show(numbers["value"]),
        "weeks": numbers["weeks"],
        "median": show(numbers["peer_median"]),
        "peers": format_count(numbers["peers"]),
        "z": format_money(numbers["z"]),
        "limit": format_money(Z_LIMIT, 1),
    }
