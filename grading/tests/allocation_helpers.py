"""Helpers for the allocation tests: shops with a known 档位, a scarce product, a rule set."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from grading.models import AllocationRuleSet, GradingRun, RetailerGrade, RunStatus
from retailers.tests.factories import ProductFactory

PERIOD = datetime.date(2026, 12, 7)  # a Monday
_names = itertools.count(1)


def grade(levels: dict, *, scores: dict | None = None) -> GradingRun:
    """A succeeded grading run giving each shop (Retailer -> 档位) its level and score."""
    run = GradingRun.objects.create(
        as_of=datetime.date(2026, 12, 1), status=RunStatus.SUCCEEDED, finished_at=timezone.now()
    )
    RetailerGrade.objects.bulk_create(
        RetailerGrade(
            run=run,
            retailer=shop,
            scope_key="all",
            amount=0,
            cartons=0,
            order_count=0,
            high_end_share=0,
            low_tar_share=0,
            brand_variety=0,
            tenure_months=0,
            credit_points=0,
            compliance_count=0,
            normalised={},
            score=(scores or {}).get(shop, 50.0),
            rank=1,
            percentile=0.5,
            computed_tier="ordinary",
            tier="ordinary",
            level=level,
            stars=1,
        )
        for shop, level in levels.items()
    )
    return run


def scarce_product(**fields):
    return ProductFactory(is_scarce=True, code=fields.pop("code", "6901000001"), **fields)


def rule_set(**fields) -> AllocationRuleSet:
    defaults = {
        "name": f"test rules {next(_names)}",
        "mode": "level",
        "quota_kind": "weight",
        "quotas": {str(n): n for n in range(1, 31)},
        "use_priority_weight": False,
        "cap_per_shop": None,
    }
    defaults.update(fields)
    return AllocationRuleSet.objects.create(**defaults)
