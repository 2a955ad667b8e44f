"""The grading rules on plain DataFrames: no database, no HTTP."""

import json

import numpy as np
import pandas as pd
import pytest

from grading.scoring import SIGNALS, grade_frame, percent_rank, split_targets

POLICY = {
    "weight_amount": 40,
    "weight_cartons": 15,
    "weight_frequency": 15,
    "weight_high_end": 10,
    "weight_low_tar": 5,
    "weight_brand_variety": 5,
    "weight_tenure": 5,
    "weight_credit": 5,
    "weight_compliance_penalty": 10,
    "key_percent": 25,
    "special_percent": 5,
    "levels": 30,
}


def shops(amounts, *, scope=None, overrides=None, previous=None, compliance=None) -> pd.DataFrame:
    n = len(amounts)
    frame = pd.DataFrame({column: np.zeros(n) for column in SIGNALS})
    frame["amount"] = amounts
    frame["retailer_id"] = range(1, n + 1)
    frame["license_no"] = [f"320102{i:06d}" for i in range(n)]
    frame["scope_key"] = scope or ["all"] * n
    frame["compliance_count"] = compliance or [0] * n
    frame["override_tier"] = overrides or [None] * n
    frame["previous_tier"] = previous or [""] * n
    return frame


def tier_counts(frame, column="tier") -> dict:
    return {tier: int((frame[column] == tier).sum()) for tier in ("key", "ordinary", "special")}


@pytest.mark.parametrize(
    ("n", "key", "special"),
    [(0, 0, 0), (1, 0, 0), (2, 1, 0), (10, 3, 1), (19, 5, 1), (20, 5, 1), (100, 25, 5), (1001, 250, 50)],
)
def test_split_targets_round_half_up(n, key, special):
    targets = split_targets(n, 25, 5)
    assert (targets.key, targets.special) == (key, special)


@pytest.mark.parametrize("n", [0, 1, 2, 19, 20, 333])
def test_counts_hold_exactly_on_tiny_and_odd_populations(n):
    rng = np.random.default_rng(n)
    graded = grade_frame(shops(list(rng.pareto(1.2, n) * 1000)), POLICY)
    targets = split_targets(n, 25, 5)
    assert tier_counts(graded) == {
        "key": targets.key,
        "ordinary": n - targets.key - targets.special,
        "special": targets.special,
    }


def test_skewed_population_key_accounts_are_the_biggest_buyers():
    amounts = [10_000_000] + [1000 + i for i in range(99)]
    graded = grade_frame(shops(amounts), POLICY)
    key = graded[graded["tier"] == "key"]
    assert len(key) == 25
    assert key["amount"].min() >= graded[graded["tier"] == "ordinary"]["amount"].max()
    assert graded.loc[graded["amount"].idxmax(), "level"] == 30
    assert graded.loc[graded["amount"].idxmax(), "stars"] == 5


def test_ties_are_broken_by_licence_number():
    graded = grade_frame(shops([500] * 8), POLICY)
    key = graded[graded["tier"] == "key"]
    assert list(key["license_no"]) == ["320102000000", "320102000001"]
    assert graded["rank"].tolist() == list(range(1, 9))
    assert graded["level"].nunique() == 1  # equal scores, equal 档位


def test_level_and_stars_are_monotone_in_score():
    graded = grade_frame(shops(list(range(1, 301))), POLICY).sort_values("score")
    assert graded["level"].is_monotonic_increasing
    assert graded["stars"].is_monotonic_increasing
    assert graded["level"].min() == 1 and graded["level"].max() == 30
    assert set(graded["stars"]) == {1, 2, 3, 4, 5}


def test_region_scope_gives_every_region_its_key_accounts():
    amounts = [100_000 + i for i in range(8)] + [10 + i for i in range(8)]
    graded = grade_frame(shops(amounts, scope=["r1"] * 8 + ["r2"] * 8), POLICY)
    assert tier_counts(graded[graded["scope_key"] == "r2"]) == {"key": 2, "ordinary": 6, "special": 0}


def test_overrides_are_respected_and_use_up_their_tier_slots():
    amounts = list(range(100, 120))
    overrides = [None] * 20
    overrides[0] = "key"  # the smallest shop pinned to key
    graded = grade_frame(shops(amounts, overrides=overrides), POLICY)
    assert graded.loc[0, "tier"] == "key" and graded.loc[0, "overridden"]
    assert graded.loc[0, "computed_tier"] == "special"
    assert tier_counts(graded) == {"key": 5, "ordinary": 14, "special": 1}


def test_overrides_beyond_the_split_are_kept_and_show_in_the_counts():
    overrides = ["special"] * 6 + [None] * 14
    graded = grade_frame(shops(list(range(20)), overrides=overrides), POLICY)
    assert tier_counts(graded)["special"] == 6
    assert tier_counts(graded)["key"] == 5


def test_compliance_findings_lower_the_score():
    graded = grade_frame(shops([1000, 1000], compliance=[0, 3]), POLICY)
    assert graded.loc[0, "score"] - graded.loc[1, "score"] == pytest.approx(10)


def test_contributions_add_up_to_the_score():
    graded = grade_frame(shops([5, 50, 500, 5000], compliance=[0, 1, 0, 0]), POLICY)
    row = graded.iloc[1]
    normalised = json.loads(row["normalised"])
    total = sum(POLICY[weight] * normalised[column] for column, weight in SIGNALS.items())
    total -= POLICY["weight_compliance_penalty"] * normalised["compliance"]
    assert row["score"] == pytest.approx(total, abs=0.01)  # normalised values are shown to 4 places


def test_movement_against_previous_tier():
    graded = grade_frame(shops([1, 2, 3, 4], previous=["key", "", "special", "ordinary"]), POLICY)
    assert graded["movement"].tolist() == [-1, 2, 1, 1]


def test_percent_rank_matches_sql():
    values = pd.Series([10, 20, 20, 30])
    assert percent_rank(values, pd.Series(["a"] * 4)).tolist() == [0, 1 / 3, 1 / 3, 1]
    assert percent_rank(pd.Series([5]), pd.Series(["a"])).tolist() == [0]
