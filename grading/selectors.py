"""Grading reads, for the grading pages and for other apps (service policy, dossier panel, timeline)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from grading.models import GradingRun, Movement, RetailerGrade, RunStatus, ServicePolicy, TierOverride
from grading.scoring import COMPLIANCE_CAP, PENALTY_WEIGHT, SIGNALS
from retailers.models import Retailer, Tier
from retailers.timeline import TimelineEvent

SIGNAL_LABELS = {
    "amount": _("12-month purchase amount (yuan)"),
    "cartons": _("Cartons"),
    "order_count": _("Orders"),
    "high_end_share": _("High-end share"),
    "low_tar_share": _("Low-tar share"),
    "brand_variety": _("Brands per order"),
    "tenure_months": _("Months as a partner"),
    "credit_points": _("Credit points"),
    "compliance": _("Compliance findings (penalty)"),
}


def service_policy_for(tier: str) -> ServicePolicy:
    """What a tier is entitled to; shops not graded yet are served as ordinary."""
    policies = {policy.tier: policy for policy in ServicePolicy.objects.all()}
    return policies.get(tier) or policies[Tier.ORDINARY]


def latest_run() -> GradingRun | None:
    return GradingRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at", "-id").first()


def runs_recent(limit: int = 30) -> list[GradingRun]:
    return list(GradingRun.objects.select_related("started_by")[:limit])


def run_movers(*, run: GradingRun, retailers: QuerySet[Retailer], movement: Movement, limit: int = 50) -> list:
    return list(
        RetailerGrade.objects.filter(run=run, movement=movement, retailer__in=retailers)
        .select_related("retailer__service_area")
        .order_by("rank")[:limit]
    )


def live_overrides(*, retailers: QuerySet[Retailer]) -> list[TierOverride]:
    from django.utils import timezone

    return list(
        TierOverride.objects.filter(
            retailer__in=retailers, revoked_at__isnull=True, expires_on__gte=timezone.localdate()
        ).select_related("retailer", "created_by")
    )


@dataclass(frozen=True)
class SignalLine:
    label: str
    value: object
    normalised: float
    weight: int
    contribution: float


def grade_explanation(grade: RetailerGrade, policy: dict) -> list[SignalLine]:
    """Each signal's value, normalised score, weight and contribution: how the score was made."""
    lines = []
    for column, weight_field in SIGNALS.items():
        normalised = grade.normalised[column]
        weight = policy[weight_field]
        lines.append(
            SignalLine(str(SIGNAL_LABELS[column]), getattr(grade, column), normalised, weight, normalised * weight)
        )
    penalty = grade.normalised["compliance"]
    weight = policy[PENALTY_WEIGHT]
    lines.append(
        SignalLine(
            str(SIGNAL_LABELS["compliance"]),
            f"{grade.compliance_count} / {COMPLIANCE_CAP}",
            penalty,
            -weight,
            -penalty * weight,
        )
    )
    return lines


def retailer_grades(*, retailer: Retailer, limit: int = 12) -> list[RetailerGrade]:
    return list(retailer.grades.select_related("run").order_by("-run__created_at", "-run_id")[:limit])


def retailer_live_override(*, retailer: Retailer) -> TierOverride | None:
    from django.utils import timezone

    return (
        retailer.tier_overrides.filter(revoked_at__isnull=True, expires_on__gte=timezone.localdate())
        .select_related("created_by")
        .first()
    )


def grading_timeline_events(retailer: Retailer, limit: int) -> list[TimelineEvent]:
    """Tier changes of a shop, for its dossier timeline."""
    grades = retailer.grades.exclude(movement=Movement.SAME).select_related("run").order_by("-run__created_at")[:limit]
    return [
        TimelineEvent(
            at=grade.run.finished_at or grade.run.created_at,
            kind="grading",
            title=str(_("Tier: %(tier)s") % {"tier": grade.get_tier_display()}),
            detail=" · ".join(
                [
                    str(grade.get_movement_display()),
                    "★" * grade.stars,
                    str(_("level %(level)s") % {"level": grade.level}),
                ]
            ),
            icon="bi-award",
        )
        for grade in grades
    ]


def run_export_rows(*, run: GradingRun, retailers: QuerySet[Retailer]) -> Iterator[tuple]:
    """The rows of a run's Excel export (labels in the UI language), streamed in chunks."""
    tiers, movements = dict(Tier.choices), dict(Movement.choices)
    grades = (
        RetailerGrade.objects.filter(run=run, retailer__in=retailers)
        .order_by("scope_key", "rank")
        .values_list(
            "retailer__license_no",
            "retailer__name",
            "retailer__service_area__region__name",
            "retailer__service_area__name",
            "score",
            "rank",
            "tier",
            "computed_tier",
            "overridden",
            "level",
            "stars",
            "previous_tier",
            "movement",
            "amount",
            "order_count",
        )
    )
    for (
        license_no, name, region, area, score, rank, tier, computed, overridden, level, stars, previous, movement,
        amount, orders,
    ) in grades.iterator(chunk_size=5000):  # fmt: skip
        yield (
            license_no, name, region, area, score, rank, str(tiers[tier]), str(tiers[computed]),
            str(_("yes")) if overridden else "", level, stars, str(tiers.get(previous, "")),
            str(movements[movement]), amount, orders,
        )  # fmt: skip
