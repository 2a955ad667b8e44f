"""The allocation computation (grading.allocation) on hand-made populations whose right answer is known."""

import datetime

import numpy as np
import pandas as pd
import pytest

from grading.allocation import (
    COMPLIANCE,
    LICENCE,
    NOT_GRADED,
    NOT_NAMED,
    TIER,
    Rules,
    allocate_frame,
)

PERIOD_END = datetime.date(2026, 12, 13)


def shops(levels, **columns) -> pd.DataFrame:
    """One shop per level given; licences 320100000000, 320100000001, … in that order."""
    n = len(levels)
    frame = {
        "retailer_id": list(range(1, n + 1)),
        "license_no": [f"3201{i:08d}" for i in range(n)],
        "level": [np.nan if level is None else level for level in levels],
        "score": [50.0] * n,
        "tier": ["ordinary"] * n,
        "region_id": [1] * n,
        "business_type": ["grocery"] * n,
        "market_type": ["urban"] * n,
        "status": ["active"] * n,
        "license_expires_on": [datetime.date(2030, 1, 1)] * n,
        "finding_kind": [None] * n,
        "finding_on": [None] * n,
        "history_value": [np.nan] * n,
    }
    frame.update(columns)
    return pd.DataFrame(frame)


def weights(**quotas) -> Rules:
    return Rules(quota_kind="weight", quotas={int(k[1:]): v for k, v in quotas.items()}, period_end=PERIOD_END)


def cartons_of(outcome) -> list[int]:
    return outcome.lines["cartons"].tolist()


def test_exact_total_with_remainders_goes_to_the_largest_remainders():
    # weights 1, 2, 3, 4 of 10 cartons × 7 = shares 0.7, 1.4, 2.1, 2.8: floors 0+1+2+2 = 5, two more
    # go to the largest remainders 0.8 (level 4) and 0.7 (level 1).
    outcome = allocate_frame(shops([1, 2, 3, 4]), weights(l1=1, l2=2, l3=3, l4=4), 7)
    assert cartons_of(outcome) == [1, 1, 2, 3]
    assert outcome.allocated == 7 and outcome.leftover == 0
    assert outcome.lines["share"].tolist() == [0.7, 1.4, 2.1, 2.8]
    assert outcome.lines["rounded_up"].tolist() == [True, False, False, True]


def test_ties_go_to_the_higher_level_then_the_higher_score_then_the_lower_licence():
    # Three equal weights share 10: 3.333 each, one carton left over for the tie.
    equal = Rules(quota_kind="weight", quotas={1: 1, 2: 1, 3: 1}, period_end=PERIOD_END)
    assert cartons_of(allocate_frame(shops([1, 3, 2]), equal, 10)) == [3, 4, 3]
    same_level = shops([2, 2, 2], score=[10.0, 30.0, 20.0])
    assert cartons_of(allocate_frame(same_level, equal, 10)) == [3, 4, 3]
    same_score = shops([2, 2, 2], license_no=["320100000003", "320100000001", "320100000002"])
    assert cartons_of(allocate_frame(same_score, equal, 10)) == [3, 4, 3]


def test_caps_binding_are_fixed_and_the_rest_is_shared_again():
    # weights 1, 1, 8 of 10: the big shop's 8 is capped at 4, the other two share 6 (3 each).
    rules = Rules(quota_kind="weight", quotas={1: 1, 2: 8}, cap=4, period_end=PERIOD_END)
    outcome = allocate_frame(shops([1, 1, 2]), rules, 10)
    assert cartons_of(outcome) == [3, 3, 4]
    assert outcome.lines["limit"].tolist() == ["", "", "cap"]
    # Caps that bind everyone: what is left over is said, not forced on anyone.
    outcome = allocate_frame(shops([1, 1, 2]), rules, 20)
    assert cartons_of(outcome) == [4, 4, 4] and outcome.leftover == 8


def test_a_cap_binding_after_the_first_redistribution_is_applied_too():
    # weights 1, 3, 6, cap 3, 9 cartons: 0.9, 2.7, 5.4 → the 6 is capped at 3; then 6 over 1:3 →
    # 1.5, 4.5 → the 3 is capped too; the 1 takes what is left: 3.
    rules = Rules(quota_kind="weight", quotas={1: 1, 2: 3, 3: 6}, cap=3, period_end=PERIOD_END)
    assert cartons_of(allocate_frame(shops([1, 2, 3]), rules, 9)) == [3, 3, 3]


def test_everything_excluded_gives_nothing_and_leaves_everything():
    population = shops([5, 6], status=["closed", "suspended"])
    outcome = allocate_frame(population, weights(l5=1, l6=1), 12)
    assert cartons_of(outcome) == [0, 0]
    assert outcome.lines["exclusion"].tolist() == ["inactive", "inactive"]
    assert outcome.allocated == 0 and outcome.leftover == 12


def test_supply_above_demand_reports_the_leftover_instead_of_inventing_demand():
    rules = Rules(quota_kind="cartons", quotas={1: 1, 2: 2, 3: 3}, period_end=PERIOD_END)
    outcome = allocate_frame(shops([1, 2, 3]), rules, 100)
    assert cartons_of(outcome) == [1, 2, 3]
    assert outcome.allocated == 6 and outcome.leftover == 94
    assert set(outcome.lines["limit"]) == {"demand"}


def test_cartons_quota_scaled_down_when_short():
    # asks 2, 4, 6 (12) for 6 cartons: half each.
    rules = Rules(quota_kind="cartons", quotas={1: 2, 2: 4, 3: 6}, period_end=PERIOD_END)
    assert cartons_of(allocate_frame(shops([1, 2, 3]), rules, 6)) == [1, 2, 3]


def test_a_single_shop_gets_everything_up_to_its_cap():
    assert cartons_of(allocate_frame(shops([10]), weights(l10=3), 7)) == [7]
    capped = Rules(quota_kind="weight", quotas={10: 3}, cap=5, period_end=PERIOD_END)
    outcome = allocate_frame(shops([10]), capped, 7)
    assert cartons_of(outcome) == [5] and outcome.leftover == 2


def test_zero_cartons_gives_zero_to_everyone():
    outcome = allocate_frame(shops([1, 2, 3]), weights(l1=1, l2=2, l3=3), 0)
    assert cartons_of(outcome) == [0, 0, 0] and outcome.allocated == 0 and outcome.leftover == 0


def test_no_shops_at_all():
    outcome = allocate_frame(shops([]), weights(l1=1), 5)
    assert outcome.allocated == 0 and outcome.leftover == 5 and outcome.lines.empty


def test_levels_without_quota_get_nothing_and_others_share():
    outcome = allocate_frame(shops([1, 2, 3]), weights(l2=1, l3=1), 5)
    assert cartons_of(outcome) == [0, 2, 3]


def test_exclusion_rules_in_their_order():
    population = shops(
        [3, 3, 3, None, 3],
        license_expires_on=[datetime.date(2026, 12, 1), datetime.date(2030, 1, 1), datetime.date(2030, 1, 1),
                            datetime.date(2030, 1, 1), datetime.date(2030, 1, 1)],
        finding_kind=["counterfeit", "counterfeit", None, None, None],
        tier=["key", "key", "special", "key", "key"],
    )  # fmt: skip
    rules = Rules(
        quota_kind="weight", quotas={3: 1}, period_end=PERIOD_END, exclude_findings=True, tiers=("key", "ordinary")
    )
    outcome = allocate_frame(population, rules, 10)
    assert outcome.lines["exclusion"].tolist() == [LICENCE, COMPLIANCE, TIER, NOT_GRADED, ""]
    assert cartons_of(outcome) == [0, 0, 0, 0, 10]


def test_priority_weight_and_history_factor_multiply_the_quota():
    population = shops([2, 2], tier=["key", "special"], history_value=[10.0, 0.0])
    rules = Rules(
        quota_kind="weight",
        quotas={2: 2},
        priority_weights={"key": 1.5, "ordinary": 1.0, "special": 0.5},
        history="purchases",
        history_floor=0.5,
        period_end=PERIOD_END,
    )
    outcome = allocate_frame(population, rules, 8)
    # key: 2 × 1.5 × 1.0 = 3; special: 2 × 0.5 × 0.5 = 0.5 → 8 × 3/3.5 = 6.857, 1.143
    assert outcome.lines["demand"].tolist() == [3.0, 0.5]
    assert outcome.lines["history_factor"].tolist() == [1.0, 0.5]
    assert cartons_of(outcome) == [7, 1]


def test_uptake_history_without_a_last_allocation_is_neutral():
    population = shops([2, 2], history_value=[0.5, np.nan])
    rules = Rules(quota_kind="weight", quotas={2: 1}, history="uptake", history_floor=0.0, period_end=PERIOD_END)
    outcome = allocate_frame(population, rules, 3)
    assert outcome.lines["history_factor"].tolist() == [0.5, 1.0]
    assert cartons_of(outcome) == [1, 2]


def test_by_level_within_business_type_shares_the_groups_first():
    population = shops([1, 2, 1, 2], business_type=["grocery", "grocery", "supermarket", "supermarket"])
    rules = Rules(
        mode="business_type", quota_kind="weight", quotas={1: 1, 2: 3},
        group_shares={"grocery": 1, "supermarket": 3}, period_end=PERIOD_END,
    )  # fmt: skip
    outcome = allocate_frame(population, rules, 8)
    assert outcome.groups == {"grocery": 2, "supermarket": 6}
    # grocery: 2 × 1/4, 3/4 = 0.5, 1.5; supermarket: 6 × 1/4, 3/4 = 1.5, 4.5. In each group the
    # remainders tie at 0.5 and the carton left goes to the higher level.
    assert cartons_of(outcome) == [0, 2, 1, 5]
    assert outcome.allocated == 8


def test_groups_share_by_demand_when_no_shares_are_given_and_each_group_is_exact():
    population = shops([1, 1, 1], region_id=[1, 2, 2])
    rules = Rules(mode="region", quota_kind="weight", quotas={1: 1}, period_end=PERIOD_END)
    outcome = allocate_frame(population, rules, 10)
    # region 1 asks 1/3 (3.33), region 2 2/3 (6.67): 3 and 7 by largest remainder.
    assert outcome.groups == {"1": 3, "2": 7}
    assert cartons_of(outcome) == [3, 4, 3]


def test_named_shops_get_their_fixed_quantities_within_total_and_caps():
    population = shops([1, 2, 3])
    rules = Rules(mode="named", named={"320100000000": 4, "320100000002": 9}, cap=6, period_end=PERIOD_END)
    outcome = allocate_frame(population, rules, 20)
    assert cartons_of(outcome) == [4, 0, 6]
    assert outcome.lines["exclusion"].tolist() == ["", NOT_NAMED, ""]
    assert outcome.leftover == 10
    # Less than the named quantities: scaled down to exactly the total.
    outcome = allocate_frame(population, rules, 5)
    assert sum(cartons_of(outcome)) == 5 and cartons_of(outcome)[1] == 0


def test_same_inputs_give_the_same_lines_whatever_the_row_order():
    rng = np.random.default_rng(7)
    n = 2_000
    population = shops(
        list(rng.integers(1, 31, n)), score=rng.integers(0, 5, n).astype(float),
        tier=rng.choice(["key", "ordinary", "special"], n), business_type=rng.choice(["grocery", "mall"], n),
    )  # fmt: skip
    rules = Rules(
        mode="business_type", quota_kind="weight", quotas={level: level for level in range(1, 31)},
        priority_weights={"key": 1.5, "ordinary": 1.0, "special": 0.5}, cap=3, period_end=PERIOD_END,
    )  # fmt: skip
    first = allocate_frame(population, rules, 2_345).lines.set_index("license_no")["cartons"]
    shuffled = population.sample(frac=1, random_state=3)
    second = allocate_frame(shuffled, rules, 2_345).lines.set_index("license_no")["cartons"]
    assert first.sum() == 2_345
    pd.testing.assert_series_equal(first.sort_index(), second.sort_index())


@pytest.mark.parametrize("total", [0, 1, 17, 999, 5_000, 50_000])
def test_the_total_is_exact_and_nobody_passes_the_cap(total):
    rng = np.random.default_rng(total)
    n = 1_500
    population = shops(list(rng.integers(1, 31, n)), score=rng.random(n))
    rules = Rules(quota_kind="weight", quotas={level: level for level in range(6, 31)}, cap=4, period_end=PERIOD_END)
    outcome = allocate_frame(population, rules, total)
    capacity = int((population["level"] >= 6).sum()) * 4
    assert outcome.allocated == min(total, capacity)
    assert outcome.lines["cartons"].max() <= 4
    assert (outcome.lines.loc[outcome.lines["base_quota"] == 0, "cartons"] == 0).all()


def test_negative_cartons_are_refused():
    with pytest.raises(ValueError):
        allocate_frame(shops([1]), weights(l1=1), -1)
