"""Grading reads, for the grading pages and for other apps (service policy, dossier panel, timeline)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm_site.formatting import format_count, format_money, format_share
from grading.messages import SPLIT_OFF
from grading.models import (
    ELIGIBILITY_FIELDS,
    SPLIT_FIELDS,
    WEIGHT_FIELDS,
    GradingPolicy,
    GradingRun,
    Movement,
    RankingScope,
    RetailerGrade,
    RunStatus,
    ServicePolicy,
    TierOverride,
)
from grading.scoring import COMPLIANCE_CAP, PENALTY_WEIGHT, SIGNALS
from retailers.models import Retailer, Tier
from retailers.selectors import service_areas_visible_to
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


def run_active() -> GradingRun | None:
    """The run pending or running, if any (there is at most one)."""
    return GradingRun.objects.filter(status__in=[RunStatus.PENDING, RunStatus.RUNNING]).first()


FIGURES = ("key", "ordinary", "special", "up", "down", "overridden")


@dataclass
class RegionFigures:
    name: str
    key: int = 0
    ordinary: int = 0
    special: int = 0


@dataclass
class RunFigures:
    """A run's figures over the service areas a user may see."""

    key: int = 0
    ordinary: int = 0
    special: int = 0
    up: int = 0
    down: int = 0
    overridden: int = 0
    regions: list[RegionFigures] = field(default_factory=list)

    @property
    def graded(self) -> int:
        return self.key + self.ordinary + self.special


@dataclass(frozen=True)
class RunScope:
    """The service areas of a user (area id -> region name), read once for any number of runs;
    `whole_company` for users who see every shop."""

    regions_by_area: dict[str, str]
    whole_company: bool

    def note(self, run: GradingRun) -> str:
        """The run's note; the company's split figures only for those who see the whole company."""
        if run.message.get("code") == SPLIT_OFF.code and not self.whole_company:
            return str(_("Overrides push the company's split outside the tolerance."))
        return run.note

    def figures(self, run: GradingRun) -> RunFigures:
        totals = RunFigures()
        regions: dict[str, RegionFigures] = {}
        for area_id, counts in run.area_counts.items():
            region_name = self.regions_by_area.get(area_id)
            if region_name is None:
                continue
            region = regions.setdefault(region_name, RegionFigures(region_name))
            for name in FIGURES:
                setattr(totals, name, getattr(totals, name) + counts.get(name, 0))
            for tier in Tier.values:
                setattr(region, tier, getattr(region, tier) + counts.get(tier, 0))
        totals.regions = [regions[name] for name in sorted(regions)]
        return totals


def run_scope(*, user) -> RunScope:
    """A run's figures for `user` are summed over the service areas they may see (one query)."""
    areas = service_areas_visible_to(user).values_list("pk", "region__name")
    return RunScope({str(pk): name for pk, name in areas}, whole_company=user.has_perm("retailers.view_all_retailers"))


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
class PolicySection:
    title: str
    settings: list[tuple[str, str]]


def policy_settings(snapshot: dict) -> list[PolicySection]:
    """The policy a run used (its snapshot), as labelled settings in the reader's language, in
    the sections of the policy form: weights and shares as %, the scope as its label, the
    nightly time as hh:mm. Settings a snapshot lacks (an older policy) are left out."""

    def say(name: str, value) -> str:
        if name.startswith("weight_") or name in ("key_percent", "special_percent"):
            return f"{format_count(value)}%"
        if name == "tolerance_percent":
            return format_money(value, 1)
        if name == "scope":
            return str(RankingScope(value).label)
        if name == "window_months":
            return ngettext("%(n)s month", "%(n)s months", value) % {"n": format_count(value)}
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        return format_count(value)

    label = {field.name: capfirst(str(field.verbose_name)) for field in GradingPolicy._meta.fields}
    sections = []
    for title, names in (
        (_("Weights (points out of 100)"), WEIGHT_FIELDS),
        (_("Split and levels"), SPLIT_FIELDS),
        (_("Who is graded, and when"), ELIGIBILITY_FIELDS),
    ):
        settings = [
            (label[name], say(name, snapshot[name]))
            for name in names
            if name in snapshot and name not in ("nightly_hour", "nightly_minute")
        ]
        if "nightly_hour" in names and "nightly_hour" in snapshot:
            hour, minute = snapshot["nightly_hour"], snapshot.get("nightly_minute", 0)
            settings.append((str(_("Nightly run at")), f"{hour:02d}:{minute:02d}"))
        if settings:
            sections.append(PolicySection(str(title), settings))
    return sections


# How a signal's value reads (the others are counts).
SIGNAL_FORMATS = {
    "amount": format_money,
    "high_end_share": format_share,
    "low_tar_share": format_share,
    "brand_variety": lambda value: format_money(value, 1),
}


@dataclass(frozen=True)
class SignalLine:
    label: str
    value: str
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
            SignalLine(
                str(SIGNAL_LABELS[column]),
                SIGNAL_FORMATS.get(column, format_count)(getattr(grade, column)),
                normalised,
                weight,
                normalised * weight,
            )
        )
    penalty = grade.normalised["compliance"]
    weight = policy[PENALTY_WEIGHT]
    lines.append(
        SignalLine(
            str(SIGNAL_LABELS["compliance"]),
            f"{format_count(grade.compliance_count)} / {format_count(COMPLIANCE_CAP)}",
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
    """Tier changes of a shop, for its dossier timeline: the runs that moved it, and its overrides
    pinned, revoked or run out. Two queries."""
    return _grade_events(retailer, limit) + _override_events(retailer, limit)


def _override_events(retailer: Retailer, limit: int) -> list[TimelineEvent]:
    overrides = retailer.tier_overrides.select_related("created_by", "revoked_by").order_by("-created_at")[:limit]
    events = []
    for override in overrides:
        tier = override.get_tier_display()
        detail = " · ".join([str(_("until %(date)s") % {"date": override.expires_on.isoformat()}), override.reason])
        events.append(
            TimelineEvent(
                at=override.created_at,
                kind="grading",
                title=str(_("Tier pinned by override: %(tier)s") % {"tier": tier}),
                detail=detail,
                icon="bi-pin-angle",
                actor=str(override.created_by),
            )
        )
        if override.revoked_at is None:
            continue
        events.append(
            TimelineEvent(
                at=override.revoked_at,
                kind="grading",
                title=str(
                    (_("Override ran out: %(tier)s") if override.expired else _("Override revoked: %(tier)s"))
                    % {"tier": tier}
                ),
                detail=detail,
                icon="bi-pin",
                actor=str(override.revoked_by or ""),
            )
        )
    return events


def _grade_events(retailer: Retailer, limit: int) -> list[TimelineEvent]:
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
