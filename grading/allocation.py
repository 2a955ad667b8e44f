"""Scarce-supply allocation (货源投放) as one vectorised computation over a table of shops (no database).

`allocate_frame` takes one row per shop (its 档位, score, tier, group values, eligibility facts
and history) and a rule set (`Rules`), and returns each shop's exclusion rule (if any), base
quota, factors, demand, unrounded share, rounding step, the limit that bound it and its whole
cartons. Every rule of the computation lives here and is unit-tested on plain DataFrames.

The method:

1. Eligibility: the first rule a shop fails (inactive, licence not valid through the period,
   a listed compliance finding, tier / 业态 / region excluded, not graded, not named) excludes it.
2. Demand: base quota of the shop's 档位 (cartons, or a weight) × the tier's scarce-priority
   weight × the history factor; in 选点定量 the named quantity alone.
3. Upper bound per shop: the cap, and in the cartons kind also the whole cartons it asks for
   (supply above demand is left over, never invented).
4. Groups (档位 within 业态 / 市场类型 / region): the cartons are first shared among the groups
   (by the shares the rule set gives, else by their demand) with the same method, then within
   each group.
5. Shares: cartons × demand / total demand; shops whose share passes their upper bound are fixed
   there and the rest is shared again among the others, until none passes (water-filling).
6. Rounding: largest remainder. Every shop gets the whole part of its share; the cartons still
   missing go one each to the largest remainders, ties broken by 档位 (higher first), score
   (higher first), licence number (lower first). The total is exactly the cartons available, or
   what the shops can take, whichever is smaller.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EPS = 1e-9

# Exclusion rules, in the order they are tried (the first one that applies is the shop's).
INACTIVE = "inactive"
LICENCE = "licence"
COMPLIANCE = "compliance"
TIER = "tier"
BUSINESS_TYPE = "business_type"
REGION = "region"
NOT_GRADED = "not_graded"
NOT_NAMED = "not_named"
EXCLUSION_ORDER = (INACTIVE, LICENCE, COMPLIANCE, TIER, BUSINESS_TYPE, REGION, NOT_GRADED, NOT_NAMED)

# What bound a share (the line's `limit`): its cap, or the whole cartons its quota asks for.
LIMIT_CAP = "cap"
LIMIT_DEMAND = "demand"

# Modes and the shop column each groups by ("" : one group).
GROUP_COLUMNS = {
    "level": "",
    "business_type": "business_type",
    "market_type": "market_type",
    "region": "region_id",
    "price_band": "",
    "named": "",
}
ONE_GROUP = "all"

# The columns a shop frame needs.
SHOP_COLUMNS = (
    "retailer_id", "license_no", "level", "score", "tier", "region_id", "business_type", "market_type",
    "status", "license_expires_on", "finding_kind", "finding_on", "history_value",
)  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """A rule set as the computation reads it (AllocationRuleSet.as_rules() builds it)."""

    mode: str = "level"
    quota_kind: str = "cartons"  # "cartons" per shop, or a "weight" per 档位
    quotas: dict[int, float] = field(default_factory=dict)  # 档位 -> cartons or weight; a missing 档位 is 0
    priority_weights: dict[str, float] | None = None  # tier -> scarce-priority weight; None: not used
    history: str = "none"  # none | purchases (cartons bought, ranked) | uptake (share of the last allocation ordered)
    history_floor: float = 0.5  # the history factor runs from this (no history) to 1
    cap: int | None = None
    group_shares: dict[str, float] = field(default_factory=dict)  # group value -> share; empty: by demand
    named: dict[str, int] = field(default_factory=dict)  # licence number -> cartons (选点定量)
    period_end: datetime.date | None = None
    require_active: bool = True
    require_valid_licence: bool = True
    exclude_findings: bool = False  # shops with a finding_kind (already filtered by kind and months) get nothing
    tiers: tuple[str, ...] = ()  # included tiers; empty: all
    business_types_excluded: tuple[str, ...] = ()
    regions: tuple[int, ...] = ()  # included regions; empty: all


@dataclass(frozen=True)
class Outcome:
    lines: pd.DataFrame
    cartons: int
    allocated: int
    leftover: int
    groups: dict[str, int]  # group value -> cartons given to the group


def exclusions(shops: pd.DataFrame, rules: Rules) -> pd.Series:
    """The first rule that excludes each shop ("" for an eligible one)."""
    conditions = {
        INACTIVE: (shops["status"] != "active") if rules.require_active else None,
        LICENCE: _licence_short(shops, rules) if rules.require_valid_licence else None,
        COMPLIANCE: shops["finding_kind"].notna() & (shops["finding_kind"] != "") if rules.exclude_findings else None,
        TIER: ~shops["tier"].isin(rules.tiers) if rules.tiers else None,
        BUSINESS_TYPE: shops["business_type"].isin(rules.business_types_excluded)
        if rules.business_types_excluded
        else None,
        REGION: ~shops["region_id"].isin(rules.regions) if rules.regions else None,
        NOT_GRADED: shops["level"].isna(),
        NOT_NAMED: ~shops["license_no"].isin(list(rules.named)) if rules.mode == "named" else None,
    }
    chosen = [(code, condition) for code, condition in conditions.items() if condition is not None]
    if not chosen:
        return pd.Series("", index=shops.index, dtype=object)
    return pd.Series(
        np.select([np.asarray(c, dtype=bool) for _code, c in chosen], [code for code, _c in chosen], default=""),
        index=shops.index,
        dtype=object,
    )


def _licence_short(shops: pd.DataFrame, rules: Rules) -> pd.Series:
    expires = pd.to_datetime(shops["license_expires_on"])
    if rules.period_end is None:
        return expires.isna()
    return expires.isna() | (expires < pd.Timestamp(rules.period_end))


def history_factors(shops: pd.DataFrame, eligible: pd.Series, rules: Rules) -> pd.Series:
    """floor + (1 − floor) × the shop's standing: for purchases, the percentile rank of its cartons
    bought among the eligible shops (ties share the lowest rank; nobody bought: all at the floor);
    for uptake, the share of its last allocation it ordered (no last allocation: 1, no penalty)."""
    floor = float(rules.history_floor)
    if rules.history == "purchases":
        values = shops["history_value"].astype(float).fillna(0.0).where(eligible)
        rank = values.rank(method="min")
        size = int(eligible.sum())
        standing = ((rank - 1) / (size - 1)).fillna(0.0) if size > 1 else pd.Series(0.0, index=shops.index)
        standing = standing.where(values > 0, 0.0)
        return (floor + (1 - floor) * standing).round(4)
    if rules.history == "uptake":
        uptake = shops["history_value"].astype(float).clip(0, 1)
        return (floor + (1 - floor) * uptake).fillna(1.0).round(4)
    return pd.Series(1.0, index=shops.index)


def allocate_frame(shops: pd.DataFrame, rules: Rules, cartons: int) -> Outcome:
    """Share `cartons` among `shops` by `rules`; see the module's docstring for the method."""
    if cartons < 0:
        raise ValueError("cartons must not be negative")
    frame = shops.reset_index(drop=True).copy()
    n = len(frame)
    frame["exclusion"] = exclusions(frame, rules) if n else pd.Series(dtype=object)
    eligible = frame["exclusion"] == ""

    levels = frame["level"].fillna(0).astype(int)
    if rules.mode == "named":
        frame["base_quota"] = frame["license_no"].map(rules.named).fillna(0).astype(float)
        frame["priority_weight"] = np.nan
        frame["history_factor"] = np.nan
        demand = frame["base_quota"].to_numpy(dtype=float)
    else:
        quotas = {int(level): float(value) for level, value in rules.quotas.items()}
        frame["base_quota"] = levels.map(quotas).fillna(0.0).astype(float)
        if rules.priority_weights is not None:
            weights = {tier: float(w) for tier, w in rules.priority_weights.items()}
            frame["priority_weight"] = frame["tier"].map(weights).fillna(weights.get("ordinary", 1.0)).astype(float)
        else:
            frame["priority_weight"] = np.nan
        if rules.history != "none":
            frame["history_factor"] = history_factors(frame, eligible, rules)
        else:
            frame["history_factor"] = np.nan
        demand = (
            frame["base_quota"].to_numpy(dtype=float)
            * frame["priority_weight"].fillna(1.0).to_numpy(dtype=float)
            * frame["history_factor"].fillna(1.0).to_numpy(dtype=float)
        )
    demand = np.where(eligible.to_numpy(), np.round(demand, 6), 0.0)
    frame["demand"] = demand

    cap = np.inf if rules.cap is None else float(rules.cap)
    if rules.quota_kind == "cartons" or rules.mode == "named":
        demand_bound = np.floor(demand + EPS)
        upper = np.minimum(demand_bound, cap)
        limit = np.where(demand_bound <= cap, LIMIT_DEMAND, LIMIT_CAP)
    else:
        upper = np.where(demand > 0, cap, 0.0)
        limit = np.full(n, LIMIT_CAP, dtype=object)
    frame["cap"] = rules.cap

    group_column = GROUP_COLUMNS.get(rules.mode, "")
    frame["group_key"] = frame[group_column].astype(str) if group_column and n else ONE_GROUP
    group_totals = _group_totals(frame, demand, upper, rules, cartons)

    share, fixed = _shares(demand, upper, frame["group_key"], group_totals)
    whole = _round(frame, share, upper, group_totals)
    frame["share"] = np.round(share, 6)
    frame["cartons"] = whole
    frame["rounded_up"] = whole > np.floor(share + EPS)
    at_bound = (fixed | (share >= upper - EPS)) & (demand > 0) & (share > 0)
    frame["limit"] = np.where(at_bound, limit, "")
    allocated = int(whole.sum())
    return Outcome(
        lines=frame,
        cartons=cartons,
        allocated=allocated,
        leftover=cartons - allocated,
        groups={key: int(value) for key, value in group_totals.items()},
    )


def _group_totals(frame: pd.DataFrame, demand: np.ndarray, upper: np.ndarray, rules: Rules, cartons: int) -> pd.Series:
    """Whole cartons per group: the cartons shared among the groups (by the rule set's shares, else
    by demand), capped by what each group can take, rounded by largest remainder (ties: group value)."""
    keys = frame["group_key"]
    if keys.empty:
        return pd.Series({ONE_GROUP: 0}, dtype="int64")
    by_group = pd.DataFrame({"key": keys, "demand": demand, "upper": upper}).groupby("key", sort=True).sum()
    if len(by_group) == 1:
        return pd.Series({by_group.index[0]: min(cartons, _whole(by_group["upper"].iloc[0]))}, dtype="int64")
    if rules.group_shares:
        weights = by_group.index.to_series().map({str(k): float(v) for k, v in rules.group_shares.items()})
        weights = weights.fillna(0.0).where(by_group["demand"] > 0, 0.0).to_numpy()
    else:
        weights = by_group["demand"].to_numpy()
    uppers = np.array([_whole(value) for value in by_group["upper"]], dtype=float)
    one = pd.Series(ONE_GROUP, index=by_group.index)
    totals = pd.Series({ONE_GROUP: cartons})
    share, _fixed = _shares(weights, uppers, one, totals)
    ties = pd.DataFrame({"group_key": one.to_numpy(), "level": 0, "score": 0.0, "license_no": by_group.index})
    whole = _round(ties, share, uppers, totals)
    return pd.Series(whole, index=by_group.index, dtype="int64")


def _whole(value: float) -> int | float:
    return value if np.isinf(value) else int(np.floor(value + EPS))


def _shares(
    weights: np.ndarray, upper: np.ndarray, groups: pd.Series, totals: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Unrounded shares of each group's total in proportion to `weights`, none above `upper`:
    the shops that pass their bound are fixed at it and the rest is shared again (the share per
    unit of weight only rises as bound shops leave, so a fixed shop stays fixed)."""
    codes, uniques = pd.factorize(groups, sort=True)
    g = len(uniques)
    remaining = totals.reindex(uniques).fillna(0).to_numpy(dtype=float)
    share = np.zeros(len(weights))
    fixed = weights <= 0
    upper = np.asarray(upper, dtype=float)
    while True:
        free = ~fixed
        if not free.any():
            break
        weight_sum = np.bincount(codes[free], weights=weights[free], minlength=g)
        per_unit = np.divide(remaining, weight_sum, out=np.zeros(g), where=weight_sum > 0)
        tentative = weights * per_unit[codes]
        over = free & (tentative > upper + EPS)
        if not over.any():
            share[free] = tentative[free]
            break
        share[over] = upper[over]
        fixed |= over
        remaining = np.maximum(remaining - np.bincount(codes[over], weights=upper[over], minlength=g), 0.0)
    return share, fixed & (weights > 0)


def _round(frame: pd.DataFrame, share: np.ndarray, upper: np.ndarray, totals: pd.Series) -> np.ndarray:
    """Largest remainder within each group: the whole part of each share, then one carton each to
    the largest remainders until the group's total (or what its shops can take) is reached."""
    floors = np.floor(share + EPS)
    floors = np.minimum(floors, upper)
    codes, uniques = pd.factorize(frame["group_key"], sort=True)
    g = len(uniques)
    capacity = np.bincount(codes, weights=np.where(np.isinf(upper), 0, upper), minlength=g)
    unbounded = np.bincount(codes, weights=np.isinf(upper).astype(float), minlength=g) > 0
    wanted = totals.reindex(uniques).fillna(0).to_numpy(dtype=float)
    target = np.where(unbounded, wanted, np.minimum(wanted, capacity))
    # Never more than the shares add up to (they add up to the target unless every shop is bound).
    target = np.minimum(target, np.floor(np.bincount(codes, weights=share, minlength=g) + 0.5))
    missing = (target - np.bincount(codes, weights=floors, minlength=g)).astype(int)
    whole = floors.astype(np.int64)
    if not (missing > 0).any():
        return whole
    candidates = np.flatnonzero((floors < upper) & (share > 0))
    order = pd.DataFrame(
        {
            "group": codes[candidates],
            "remainder": np.round(share[candidates] - floors[candidates], 9),
            "level": frame["level"].fillna(0).to_numpy()[candidates],
            "score": frame["score"].fillna(0).to_numpy(dtype=float)[candidates],
            "license_no": frame["license_no"].to_numpy()[candidates],
            "position": candidates,
        }
    ).sort_values(
        ["group", "remainder", "level", "score", "license_no"],
        ascending=[True, False, False, False, True],
        kind="stable",
    )
    rank = order.groupby("group").cumcount().to_numpy()
    chosen = order["position"].to_numpy()[rank < missing[order["group"].to_numpy()]]
    whole[chosen] += 1
    return whole


def totals_by(lines: pd.DataFrame, column: str) -> dict[str, dict[str, int]]:
    """{value: {"shops": eligible shops, "cartons": cartons}} for a column of the lines."""
    if lines.empty:
        return {}
    keys = (
        lines[column].fillna("").astype(str) if column != "level" else lines["level"].fillna(0).astype(int).astype(str)
    )
    frame = pd.DataFrame(
        {"key": keys, "shops": (lines["exclusion"] == "").astype(int), "cartons": lines["cartons"].astype(int)}
    )
    grouped = frame.groupby("key", sort=True).sum()
    return {key: {"shops": int(row.shops), "cartons": int(row.cartons)} for key, row in grouped.iterrows()}
