"""Grading reads, for the grading pages and for other apps (service policy, dossier panel, timeline)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm_site import stored_messages as sm
from crm_site.formatting import format_count, format_money, format_share
from grading import messages
from grading.messages import SPLIT_OFF
from grading.models import (
    ELIGIBILITY_FIELDS,
    SPLIT_FIELDS,
    WEIGHT_FIELDS,
    Allocation,
    AllocationLine,
    AllocationMode,
    AllocationRuleSet,
    AllocationStatus,
    Exclusion,
    GradingPolicy,
    GradingRun,
    Movement,
    RankingScope,
    RetailerGrade,
    RunStatus,
    ServicePolicy,
    ShareLimit,
    TierOverride,
)
from grading.scoring import COMPLIANCE_CAP, PENALTY_WEIGHT, SIGNALS
from retailers.models import BusinessType, MarketType, Region, Retailer, Tier
from retailers.selectors import retailers_visible_to, service_areas_visible_to
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


def retailer_ids_at_levels(*, level_min: int | None = None, level_max: int | None = None) -> QuerySet:
    """The ids of the shops whose 档位 in the latest grading run lies in [level_min, level_max]
    (a subquery, for other apps' filters: visits' campaign targets); none without a run."""
    run = latest_run()
    grades = RetailerGrade.objects.filter(run=run) if run else RetailerGrade.objects.none()
    if level_min is not None:
        grades = grades.filter(level__gte=level_min)
    if level_max is not None:
        grades = grades.filter(level__lte=level_max)
    return grades.values("retailer_id")


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
    """The run's first `limit` shops (by rank) of these that moved this way, read in rank order from
    the partial index on (run, movement, rank): the query repeats the index's condition (movement
    ≠ unchanged) because SQLite uses a partial index only when the WHERE names its condition."""
    return list(
        RetailerGrade.objects.filter(run=run, movement=movement, retailer__in=retailers)
        .exclude(movement=Movement.SAME)
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


# ---------------------------------------------------------------------------------------------
# Scarce-supply allocation (货源投放): reads for its pages, the dossier tab and the exports.


def allocations_recent(*, user, limit: int = 100) -> list[Allocation]:
    """The allocations newest period first; managers see the published ones only (drafts are the
    supervisors' work in progress)."""
    allocations = Allocation.objects.select_related("product", "rule_set", "created_by", "published_by")
    if not user.has_perm("grading.change_allocation"):
        allocations = allocations.exclude(status=AllocationStatus.DRAFT)
    return list(allocations[:limit])


def allocations_visible_to(user) -> QuerySet[Allocation]:
    allocations = Allocation.objects.select_related("product", "rule_set", "corrects", "created_by", "published_by")
    if not user.has_perm("grading.change_allocation"):
        allocations = allocations.exclude(status=AllocationStatus.DRAFT)
    return allocations


def allocation_lines_visible(*, allocation: Allocation, user) -> QuerySet[AllocationLine]:
    """The allocation's lines of the shops `user` may see (managers: their shops only)."""
    lines = AllocationLine.objects.filter(allocation=allocation)
    if not user.has_perm("retailers.view_all_retailers"):
        lines = lines.filter(retailer__in=retailers_visible_to(user))
    return lines


LINE_FILTERS = {
    "allocated": Q(cartons__gt=0),
    "excluded": ~Q(exclusion=""),
    "changed": Q(previous_cartons__isnull=False) & ~Q(previous_cartons=F("cartons")),
    "capped": Q(limit="cap"),
}


def allocation_lines_filtered(
    *, allocation: Allocation, user, search: str = "", only: str = ""
) -> QuerySet[AllocationLine]:
    lines = allocation_lines_visible(allocation=allocation, user=user)
    search = search.strip()
    if search:
        lines = lines.filter(Q(license_no__startswith=search) | Q(retailer__name__contains=search))
    if only in LINE_FILTERS:
        lines = lines.filter(LINE_FILTERS[only])
    return lines.select_related("retailer")


@dataclass(frozen=True)
class TotalRow:
    label: str
    shops: int
    cartons: int


@dataclass(frozen=True)
class AllocationTotals:
    by_level: list[TotalRow]
    by_region: list[TotalRow]
    by_tier: list[TotalRow]
    by_exclusion: list[TotalRow]
    allocated: int
    eligible: int
    whole_company: bool


def allocation_totals(*, allocation: Allocation, user) -> AllocationTotals:
    """Totals per 档位, region and tier: the stored ones (all shops) for users who see the whole
    company, else summed over the user's lines (three grouped queries)."""
    regions = dict(Region.objects.values_list("pk", "name"))
    tiers = dict(Tier.choices)
    exclusions = dict(Exclusion.choices)
    if user.has_perm("retailers.view_all_retailers"):
        totals = allocation.totals or {}
        by_level = {int(key): value for key, value in totals.get("level", {}).items()}
        by_region = {int(key): value for key, value in totals.get("region", {}).items()}
        by_tier = totals.get("tier", {})
        excluded = totals.get("excluded", {})
        allocated, eligible, whole = allocation.allocated, allocation.eligible_count, True
    else:
        lines = allocation_lines_visible(allocation=allocation, user=user)

        def grouped(column: str) -> dict:
            rows = (
                lines.values(column)
                .annotate(shops=Count("pk", filter=Q(exclusion="")), cartons=Sum("cartons"))
                .order_by(column)
            )
            return {row[column]: {"shops": row["shops"], "cartons": row["cartons"] or 0} for row in rows}

        by_level = {key or 0: value for key, value in grouped("level").items()}
        by_region = grouped("region_id")
        by_tier = grouped("tier")
        excluded = dict(lines.exclude(exclusion="").values_list("exclusion").annotate(n=Count("pk")).order_by())
        allocated = sum(value["cartons"] for value in by_level.values())
        eligible = sum(value["shops"] for value in by_level.values())
        whole = False
    return AllocationTotals(
        by_level=[
            TotalRow(level_label(level), value["shops"], value["cartons"]) for level, value in sorted(by_level.items())
        ],
        by_region=[
            TotalRow(regions.get(pk, str(pk)), value["shops"], value["cartons"])
            for pk, value in sorted(by_region.items(), key=lambda item: regions.get(item[0], ""))
        ],
        by_tier=[
            TotalRow(str(tiers.get(key, _("No tier"))), by_tier[key]["shops"], by_tier[key]["cartons"])
            for key in [*Tier.values, ""]
            if key in by_tier
        ],
        by_exclusion=[TotalRow(str(exclusions.get(key, key)), count, 0) for key, count in sorted(excluded.items())],
        allocated=allocated,
        eligible=eligible,
        whole_company=whole,
    )


def level_label(level: int | None) -> str:
    if not level:
        return str(_("No level"))
    return str(_("Level %(level)s") % {"level": level})


def allocation_chart_data(totals: AllocationTotals) -> dict:
    """What static/js/allocation_chart.js draws: cartons per 档位."""
    return {
        "labels": [row.label for row in totals.by_level],
        "cartons": [row.cartons for row in totals.by_level],
        "shops": [row.shops for row in totals.by_level],
        "cartons_label": str(_("Cartons")),
        "shops_label": str(_("Eligible shops")),
    }


def allocation_changes(allocation: Allocation) -> list[str]:
    """What a correction changed, in the reader's language."""
    return [sm.render(item) for item in allocation.changes]


def group_label(allocation: Allocation, key: str, regions: dict[int, str]) -> str:
    """The group a line was shared in, as the reader says it."""
    mode = allocation.rules_snapshot.get("mode", AllocationMode.LEVEL)
    if mode == AllocationMode.BUSINESS_TYPE:
        return str(dict(BusinessType.choices).get(key, key))
    if mode == AllocationMode.MARKET_TYPE:
        return str(dict(MarketType.choices).get(key, key))
    if mode == AllocationMode.REGION:
        return regions.get(int(key), key) if key.isdigit() else key
    return str(_("all shops"))


def line_explanation(line: AllocationLine, allocation: Allocation, regions: dict[int, str] | None = None) -> list[str]:
    """How a shop's cartons were reached, step by step, in plain words of the reader's language:
    the rule that excluded it, or its 档位 and base quota, each factor, the demand, its unrounded
    share of its group's cartons, the bound that held it, the rounding step and the result."""
    say = messages
    said: list[sm.Said] = []
    rules = allocation.rules_snapshot
    if line.exclusion:
        on = line.exclusion_on.isoformat() if line.exclusion_on else "—"
        excluded = {
            Exclusion.INACTIVE: lambda: say.ALLOC_EXCLUDED_INACTIVE.say(),
            Exclusion.LICENCE: lambda: say.ALLOC_EXCLUDED_LICENCE.say(date=on),
            Exclusion.COMPLIANCE: lambda: say.ALLOC_EXCLUDED_COMPLIANCE.say(kind=line.exclusion_kind, date=on),
            Exclusion.TIER: lambda: say.ALLOC_EXCLUDED_TIER.say(tier=line.tier or "—"),
            Exclusion.BUSINESS_TYPE: lambda: say.ALLOC_EXCLUDED_BUSINESS_TYPE.say(
                type=str(line.retailer.get_business_type_display())
            ),
            Exclusion.REGION: lambda: say.ALLOC_EXCLUDED_REGION.say(
                region=(regions or {}).get(line.region_id, str(line.region_id))
            ),
            Exclusion.NOT_GRADED: lambda: say.ALLOC_EXCLUDED_NOT_GRADED.say(),
            Exclusion.NOT_NAMED: lambda: say.ALLOC_EXCLUDED_NOT_NAMED.say(),
        }
        return [sm.render(excluded[line.exclusion]().stored)]
    if rules.get("mode") == AllocationMode.NAMED:
        said.append(say.ALLOC_NAMED.say(quota=int(line.base_quota)))
    else:
        level_message = say.ALLOC_LEVEL_CARTONS if rules.get("quota_kind") == "cartons" else say.ALLOC_LEVEL_WEIGHT
        said.append(level_message.say(level=line.level, quota=line.base_quota))
        if line.base_quota <= 0:
            said.append(say.ALLOC_ZERO_QUOTA.say())
            return [sm.render(item.stored) for item in said]
        if line.priority_weight is not None:
            said.append(say.ALLOC_PRIORITY.say(tier=line.tier or "ordinary", weight=line.priority_weight))
        if rules.get("history_source") == "purchases":
            said.append(
                say.ALLOC_HISTORY_PURCHASES.say(
                    cartons=int(line.history_value or 0),
                    weeks=rules.get("history_weeks", 0),
                    factor=line.history_factor,
                )
            )
        elif rules.get("history_source") == "uptake":
            if line.history_value is None:
                said.append(say.ALLOC_HISTORY_NO_UPTAKE.say())
            else:
                said.append(say.ALLOC_HISTORY_UPTAKE.say(uptake=line.history_value, factor=line.history_factor))
        said.append(say.ALLOC_DEMAND.say(demand=line.demand))
    group_cartons = (allocation.totals or {}).get("group", {}).get(line.group_key, allocation.cartons)
    said.append(
        say.ALLOC_SHARE.say(
            cartons=group_cartons, group=group_label(allocation, line.group_key, regions or {}), share=line.share
        )
    )
    if line.limit == ShareLimit.CAP:
        said.append(say.ALLOC_BOUND_CAP.say(cap=line.cap or 0))
    elif line.limit == ShareLimit.DEMAND:
        said.append(say.ALLOC_BOUND_DEMAND.say(cartons=line.cartons))
    whole = math.floor(line.share + 1e-9)
    remainder = round(line.share - whole, 6)
    if line.rounded_up:
        said.append(say.ALLOC_ROUNDED_UP.say(whole=line.cartons - 1, remainder=remainder))
    elif remainder > 1e-6:
        said.append(say.ALLOC_ROUNDED_DOWN.say(whole=line.cartons, remainder=remainder))
    else:
        said.append(say.ALLOC_ROUNDED_EXACT.say(whole=line.cartons))
    said.append(say.ALLOC_RESULT.say(cartons=line.cartons))
    return [sm.render(item.stored) for item in said]


def region_names() -> dict[int, str]:
    return dict(Region.objects.values_list("pk", "name"))


def allocation_export_rows(*, allocation: Allocation, user) -> Iterator[tuple]:
    """The ordering platform's rows: licence number, product code, period, cartons (shops with
    cartons only, by licence number), streamed."""
    period = allocation_period_code(allocation)
    code = allocation.product.code
    lines = (
        allocation_lines_visible(allocation=allocation, user=user)
        .filter(cartons__gt=0)
        .order_by("license_no")
        .values_list("license_no", "cartons")
    )
    for license_no, cartons in lines.iterator(chunk_size=5000):
        yield (license_no, code, period, cartons)


def allocation_period_code(allocation: Allocation) -> str:
    """2026-W50 for a week, 2026-12 for a month (what the ordering platform reads)."""
    if allocation.period_kind == "month":
        return allocation.period_start.strftime("%Y-%m")
    year, week, _day = allocation.period_start.isocalendar()
    return f"{year}-W{week:02d}"


def retailer_allocation_lines(*, retailer: Retailer, limit: int = 12) -> list[AllocationLine]:
    """A shop's lines in allocations that are (or were) published, newest period first."""
    return list(
        retailer.allocation_lines.exclude(allocation__status=AllocationStatus.DRAFT)
        .select_related("allocation__product", "retailer")
        .order_by("-allocation__period_start", "-allocation__version")[:limit]
    )


def allocation_rule_sets() -> list[AllocationRuleSet]:
    return list(AllocationRuleSet.objects.prefetch_related("regions"))


def allocation_rules_summary(snapshot: dict, regions: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """The rules an allocation used (its snapshot), as labelled settings in the reader's language."""
    if not snapshot:
        return []
    from grading.models import HistorySource, QuotaKind
    from retailers.models import ComplianceKind, PriceClass

    regions = regions or {}
    quotas = {int(level): value for level, value in snapshot.get("quotas", {}).items()}
    runs: list[list] = []
    for level in sorted(quotas):
        if runs and runs[-1][1] == level - 1 and runs[-1][2] == quotas[level]:
            runs[-1][1] = level
        else:
            runs.append([level, level, quotas[level]])
    quota_text = "；".join(
        f"{level_label(a)}{'–' + str(b) if b != a else ''}: {format_money(v) if v != int(v) else format_count(int(v))}"
        for a, b, v in runs
    )
    every = str(_("all"))
    kinds, tiers, types = dict(ComplianceKind.choices), dict(Tier.choices), dict(BusinessType.choices)
    rows = [
        (_("Rule set"), snapshot.get("name", "")),
        (_("Mode"), str(AllocationMode(snapshot["mode"]).label)),
        (_("Quota table holds"), str(QuotaKind(snapshot["quota_kind"]).label)),
    ]
    if snapshot["mode"] == AllocationMode.NAMED:
        rows.append((_("Named shops"), format_count(len(snapshot.get("named_quantities", {})))))
    else:
        rows.append((_("Quota per level"), quota_text or "—"))
    if snapshot.get("use_priority_weight"):
        weights = snapshot.get("priority_weights", {})
        rows.append(
            (
                _("Scarce-supply priority weight"),
                "；".join(f"{tiers[t]} × {format_money(weights[t])}" for t in Tier.values if t in weights),
            )
        )
    history = HistorySource(snapshot.get("history_source", "none"))
    if history != HistorySource.NONE:
        rows.append((_("History factor"), f"{history.label} ({format_money(snapshot.get('history_floor', 0))}–1)"))
    rows.append((_("Cap per shop"), format_count(snapshot["cap_per_shop"]) if snapshot.get("cap_per_shop") else "—"))
    if snapshot.get("price_classes"):
        labels = dict(PriceClass.choices)
        rows.append((_("Price classes (价位段)"), "、".join(str(labels.get(c, c)) for c in snapshot["price_classes"])))
    if snapshot.get("excluded_finding_kinds"):
        rows.append(
            (
                _("Findings that exclude"),
                str(_("%(kinds)s in the last %(months)s months"))
                % {
                    "kinds": "、".join(str(kinds.get(k, k)) for k in snapshot["excluded_finding_kinds"]),
                    "months": format_count(snapshot.get("finding_months", 0)),
                },
            )
        )
    rows.append(
        (_("Tiers included"), "、".join(str(tiers.get(t, t)) for t in snapshot.get("included_tiers", [])) or every)
    )
    if snapshot.get("excluded_business_types"):
        rows.append(
            (_("Business types excluded"), "、".join(str(types.get(t, t)) for t in snapshot["excluded_business_types"]))
        )
    included = "、".join(regions.get(r, str(r)) for r in snapshot.get("regions", []))
    rows.append((_("Regions included"), included or every))
    rows.append((_("Only active shops"), str(_("Yes") if snapshot.get("require_active") else _("No"))))
    rows.append(
        (_("Licence valid through the period"), str(_("Yes") if snapshot.get("require_valid_licence") else _("No")))
    )
    return [(str(label), value) for label, value in rows]


def latest_levels() -> dict[int, int]:
    """Each graded shop's 档位 in the latest succeeded run (shop id -> level); empty before the
    first run. For analytics' peer groups; two queries."""
    run = latest_run()
    if run is None:
        return {}
    return dict(RetailerGrade.objects.filter(run=run).values_list("retailer_id", "level"))
