"""Grading writes: runs, overrides, the policy and the service policy."""

from __future__ import annotations

import datetime
import logging
import time
from decimal import Decimal

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.bulk import insert_frame
from grading import messages
from grading.allocation import Outcome, Rules, allocate_frame, totals_by
from grading.models import (
    Allocation,
    AllocationLine,
    AllocationMode,
    AllocationRuleSet,
    AllocationStatus,
    GradingPolicy,
    GradingRun,
    HistorySource,
    PeriodKind,
    RankingScope,
    RetailerGrade,
    RunStage,
    RunStatus,
    RunTrigger,
    ServicePolicy,
    TierOverride,
)
from grading.scoring import grade_frame
from retailers.models import ComplianceRecord, OrderLine, Product, Retailer, ServiceArea

logger = logging.getLogger(__name__)

CREDIT_POINTS = {"AAA": 5, "AA": 4, "A": 3, "B": 2, "C": 1}
STALE_RUN_AFTER = datetime.timedelta(hours=3)
NIGHTLY_TASK_NAME = "grading: nightly tier recomputation"


class GradingRunAlreadyActive(Exception):
    """A run is pending or running: a second one is not started."""


def grading_policy_get() -> GradingPolicy:
    policy, _created = GradingPolicy.objects.get_or_create(pk=1)
    return policy


@transaction.atomic
def grading_policy_update(*, data: dict, changed_by) -> GradingPolicy:
    if not changed_by.has_perm("grading.change_gradingpolicy"):
        raise PermissionDenied
    policy = grading_policy_get()
    for field, value in data.items():
        setattr(policy, field, value)
    policy.full_clean()
    if sum(getattr(policy, field) for field in POSITIVE_WEIGHTS) == 0:
        raise ValidationError(_("At least one signal needs a weight above zero."))
    if policy.key_percent + policy.special_percent > 100:
        raise ValidationError(_("Key and special accounts together cannot exceed 100%."))
    policy._history_user = changed_by
    policy.save()
    grading_schedule_sync(policy=policy)
    return policy


POSITIVE_WEIGHTS = (
    "weight_amount",
    "weight_cartons",
    "weight_frequency",
    "weight_high_end",
    "weight_low_tar",
    "weight_brand_variety",
    "weight_tenure",
    "weight_credit",
)


def grading_schedule_sync(*, policy: GradingPolicy) -> None:
    """Keep the beat entry (django-celery-beat) at the time the policy says."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute=str(policy.nightly_minute),
        hour=str(policy.nightly_hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NIGHTLY_TASK_NAME,
        defaults={"task": "grading.run_nightly", "crontab": schedule, "interval": None, "enabled": True},
    )


def grading_run_start(
    *, started_by=None, trigger: RunTrigger | None = None, as_of: datetime.date | None = None, queue: bool = True
) -> GradingRun:
    """Create a pending run (refused while another is pending or running) and queue it on Celery
    (or leave it to the caller, who then calls grading_run_execute itself). A run a user starts
    is on demand; without a user it is the schedule's unless `trigger` says otherwise."""
    trigger = trigger or (RunTrigger.ON_DEMAND if started_by is not None else RunTrigger.SCHEDULE)
    if started_by is not None and not started_by.has_perm("grading.add_gradingrun"):
        raise PermissionDenied
    GradingRun.objects.filter(
        status__in=[RunStatus.PENDING, RunStatus.RUNNING], created_at__lt=timezone.now() - STALE_RUN_AFTER
    ).update(
        status=RunStatus.FAILED,
        **messages.ABANDONED.say(hours=int(STALE_RUN_AFTER.total_seconds() // 3600)).fields(),
        finished_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            run = GradingRun.objects.create(started_by=started_by, trigger=trigger, as_of=as_of or timezone.localdate())
    except IntegrityError as error:
        raise GradingRunAlreadyActive(_("A grading run is already in progress.")) from error

    if queue:
        transaction.on_commit(lambda: _enqueue(run))
    return run


def _enqueue(run: GradingRun) -> None:
    """Hand the run to Celery; if the broker cannot take it, fail the run at once so that it does
    not block the next start for hours."""
    from grading.tasks import grading_run_task

    try:
        grading_run_task.delay(run.pk)
    except Exception as error:  # any broker error: recorded on the run
        logger.exception("could not queue grading run %s", run.pk)
        GradingRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            **messages.NOT_QUEUED.say(error=str(error)).fields(),
        )


def grading_run_execute(*, run_id: int) -> GradingRun:
    """Compute the run, stage by stage (each stage is recorded at once, as the run's progress).
    On any error the run is marked failed and the previous tiers stay in force: nothing is written
    outside the last stage's transaction."""
    claimed = GradingRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    run = GradingRun.objects.get(pk=run_id)
    if not claimed:
        return run  # already done or taken by another worker: safe to deliver twice
    started = time.perf_counter()
    try:
        _compute_and_apply(run)
    except Exception as error:
        logger.exception("grading run %s failed", run_id)
        run.status = RunStatus.FAILED
        messages.FAILED.say(error=f"{type(error).__name__}: {error}").set_on(run)
    else:
        run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.seconds = Decimal(f"{time.perf_counter() - started:.2f}")
    run.save()
    return run


def _stage(run: GradingRun, stage: RunStage) -> None:
    run.stage = stage
    GradingRun.objects.filter(pk=run.pk).update(stage=stage)


def _compute_and_apply(run: GradingRun) -> None:
    _stage(run, RunStage.READING)
    policy = grading_policy_get()
    snapshot = model_to_dict(policy, exclude=["id"])
    snapshot["tolerance_percent"] = float(policy.tolerance_percent)
    run.policy_snapshot = snapshot
    signals = load_signals(policy=policy, as_of=run.as_of)
    _stage(run, RunStage.SCORING)
    graded = grade_frame(signals, snapshot)
    _stage(run, RunStage.WRITING)
    with transaction.atomic():
        _write_grades(run, graded)
        _apply_to_retailers(run)
    _summarise(run, graded, policy)


def orders_by_shop() -> str:
    """The orders table for an aggregate per shop over a date range, read through the shop-first
    covering index: its entries come in shop order with every total, so the GROUP BY streams
    without a sort. SQLite's planner, left alone, takes the date index and then sorts millions of
    headers in a temporary B-tree (twice as slow at 300,000 shops); PostgreSQL chooses well."""
    if connection.vendor == "sqlite":
        return "retailers_order INDEXED BY order_retailer_cover"
    return "retailers_order"


def every_shop(*, alias: str) -> str:
    """The shops table for a pass over (nearly) all of them, read in id order. SQLite would
    otherwise reach the active shops through the status index, one random row lookup each (26 s
    instead of 17 s for the signals at 300,000 shops)."""
    if connection.vendor == "sqlite":
        return f"retailers_retailer {alias} NOT INDEXED"
    return f"retailers_retailer {alias}"


def as_text(column: str) -> str:
    """A date column selected as ISO text on SQLite, where the driver would otherwise convert it
    to a date row by row in Python (pandas parses the whole column at once)."""
    return f"CAST({column} AS TEXT)" if connection.vendor == "sqlite" else column


def as_float(expression: str) -> str:
    """A numeric aggregate fetched as a float on PostgreSQL, where the driver would otherwise build
    a Decimal per value (300,000 shops × three columns: a second of the signals' time); pandas
    turns the columns into floats anyway. SQLite already returns floats."""
    return f"CAST({expression} AS DOUBLE PRECISION)" if connection.vendor == "postgresql" else expression


def load_signals(*, policy: GradingPolicy, as_of: datetime.date) -> pd.DataFrame:
    """One row per eligible shop with its raw signals, from order headers (never order lines).

    previous_tier is the tier of the shop's latest grade (its tier now if it was never graded), so a
    grade's movement reads against the grade before it, also when an override came in between."""
    since = as_of - relativedelta(months=policy.window_months)
    # The latest successful run graded nearly every shop: one join on its rows gives their
    # previous tier; only a shop it did not grade looks further back, one index probe each.
    latest = (
        GradingRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-pk").values_list("pk", flat=True).first()
    )
    # Parameters in the order they appear: latest run, order window, finding window, live
    # overrides, eligibility.
    conditions, params = ["1 = 1"], [latest or 0, since, as_of, since, as_of, as_of]
    if policy.require_active:
        conditions.append("r.status = %s")
        params.append("active")
    if policy.require_valid_license:
        conditions.append("r.license_expires_on >= %s")
        params.append(as_of)
    sql = f"""
        SELECT r.id, r.license_no, a.region_id, r.service_area_id, {as_text("r.partner_since")}, r.credit_level,
               COALESCE(latest.tier, (SELECT g.tier FROM grading_retailergrade g WHERE g.retailer_id = r.id
                                      ORDER BY g.run_id DESC LIMIT 1), r.tier),
               {as_float("COALESCE(o.amount, 0)")}, COALESCE(o.cartons, 0), COALESCE(o.orders, 0),
               {as_float("COALESCE(o.high_end, 0)")}, COALESCE(o.low_tar, 0), {as_float("COALESCE(o.brands, 0)")},
               COALESCE(c.findings, 0),
               ov.tier
        FROM {every_shop(alias="r")}
        JOIN retailers_servicearea a ON a.id = r.service_area_id
        LEFT JOIN grading_retailergrade latest ON latest.run_id = %s AND latest.retailer_id = r.id
        LEFT JOIN (
            SELECT retailer_id, SUM(amount) AS amount, SUM(cartons) AS cartons, COUNT(*) AS orders,
                   SUM(high_end_amount) AS high_end, SUM(low_tar_cartons) AS low_tar, AVG(brand_count) AS brands
            FROM {orders_by_shop()} WHERE ordered_on > %s AND ordered_on <= %s GROUP BY retailer_id
        ) o ON o.retailer_id = r.id
        LEFT JOIN (
            SELECT retailer_id, COUNT(*) AS findings FROM retailers_compliancerecord
            WHERE found_on > %s AND found_on <= %s GROUP BY retailer_id
        ) c ON c.retailer_id = r.id
        LEFT JOIN grading_tieroverride ov
            ON ov.retailer_id = r.id AND ov.revoked_at IS NULL AND ov.expires_on >= %s
        WHERE {" AND ".join(conditions)}
    """  # noqa: S608  (no user input in the SQL text)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = [
        "retailer_id", "license_no", "region_id", "service_area_id", "partner_since", "credit_level", "previous_tier",
        "amount", "cartons", "order_count", "high_end_amount", "low_tar_cartons", "brand_variety",
        "compliance_count", "override_tier",
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in ("amount", "high_end_amount", "brand_variety"):
        frame[column] = frame[column].astype(float)
    amount, cartons = frame["amount"], frame["cartons"].astype(float)
    frame["high_end_share"] = (frame["high_end_amount"] / amount.where(amount > 0)).fillna(0.0)
    frame["low_tar_share"] = (frame["low_tar_cartons"] / cartons.where(cartons > 0)).fillna(0.0)
    partner_since = pd.to_datetime(frame["partner_since"])
    as_of_ts = pd.Timestamp(as_of)
    tenure = (as_of_ts.year - partner_since.dt.year) * 12 + (as_of_ts.month - partner_since.dt.month)
    frame["tenure_months"] = tenure.fillna(0).clip(lower=0).astype(int)
    frame["credit_points"] = frame["credit_level"].map(CREDIT_POINTS).fillna(0).astype(int)
    frame["scope_key"] = "all" if policy.scope == RankingScope.COMPANY else frame["region_id"].astype(str)
    frame["previous_tier"] = frame["previous_tier"].fillna("")
    return frame


GRADE_COLUMNS = (
    "run_id", "retailer_id", "scope_key", "amount", "cartons", "order_count", "high_end_share", "low_tar_share",
    "brand_variety", "tenure_months", "credit_points", "compliance_count", "normalised", "score", "rank",
    "percentile", "computed_tier", "tier", "overridden", "level", "stars", "previous_tier", "movement",
)  # fmt: skip


def _write_grades(run: GradingRun, graded: pd.DataFrame) -> None:
    out = graded.assign(
        run_id=run.pk,
        amount=graded["amount"].round(2),
        high_end_share=graded["high_end_share"].round(4),
        low_tar_share=graded["low_tar_share"].round(4),
        brand_variety=graded["brand_variety"].round(2),
    )
    insert_frame(RetailerGrade._meta.db_table, out[list(GRADE_COLUMNS)])


def _apply_to_retailers(run: GradingRun) -> None:
    """Set each shop's current tier and stars from the run, touching only the rows that change.
    A shop the run did not grade loses its tier and stars, unless a live override pins its tier."""
    retailer, grade = Retailer._meta.db_table, RetailerGrade._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {retailer} SET tier = g.tier, stars = g.stars
                FROM {grade} g
                WHERE g.run_id = %s AND g.retailer_id = {retailer}.id
                  AND ({retailer}.tier <> g.tier OR {retailer}.stars <> g.stars)""",  # noqa: S608
            [run.pk],
        )
    pinned = Coalesce(
        Subquery(_live_overrides(as_of=run.as_of).filter(retailer=OuterRef("pk")).values("tier")[:1]), Value("")
    )
    (
        Retailer.objects.alias(pinned=pinned)
        .exclude(Exists(RetailerGrade.objects.filter(run=run, retailer=OuterRef("pk"))))
        .filter(~Q(tier=F("pinned")) | ~Q(stars=0))
        .update(tier=pinned, stars=0)
    )


def _live_overrides(*, as_of: datetime.date):
    return TierOverride.objects.filter(revoked_at__isnull=True, expires_on__gte=as_of)


def _summarise(run: GradingRun, graded: pd.DataFrame, policy: GradingPolicy) -> None:
    """Counts per tier and per service area (with the movers and overrides), and whether the
    split holds. The split is checked against what exact rounding gives for this population
    (split_targets), so a small scope is not flagged for its rounding; only overrides can push
    it off."""
    from grading.scoring import split_targets

    n = len(graded)
    run.graded_count = n
    run.tier_counts = {tier: int((graded["tier"] == tier).sum()) for tier in ("key", "ordinary", "special")}
    run.override_count = int(graded["overridden"].sum()) if n else 0
    run.moved_up = int((graded["movement"] == 1).sum()) if n else 0
    run.moved_down = int((graded["movement"] == -1).sum()) if n else 0
    run.area_counts = {}
    if n:
        figures = pd.DataFrame(
            {
                "area": graded["service_area_id"].astype(str),
                **{tier: graded["tier"] == tier for tier in ("key", "ordinary", "special")},
                "up": graded["movement"] == 1,
                "down": graded["movement"] == -1,
                "overridden": graded["overridden"].astype(bool),
            }
        )
        run.area_counts = {
            area: {name: int(value) for name, value in row.items()}
            for area, row in figures.groupby("area").sum().iterrows()
        }
    expected = {"key": 0, "special": 0}
    for _scope, members in graded.groupby("scope_key") if n else ():
        targets = split_targets(len(members), policy.key_percent, policy.special_percent)
        expected["key"] += targets.key
        expected["special"] += targets.special
    tolerance = n * float(policy.tolerance_percent) / 100
    run.within_tolerance = all(abs(run.tier_counts[tier] - expected[tier]) <= tolerance for tier in expected)
    said = (
        messages.SPLIT_AS_TARGETED.say()
        if run.within_tolerance
        else messages.SPLIT_OFF.say(
            key=run.tier_counts["key"],
            key_target=expected["key"],
            special=run.tier_counts["special"],
            special_target=expected["special"],
        )
    )
    said.set_on(run)


@transaction.atomic
def tier_override_create(
    *, retailer: Retailer, tier: str, reason: str, expires_on: datetime.date, created_by
) -> TierOverride:
    """Pin a shop to a tier until a date; a previous live override of the shop is revoked. The
    override is the shop's tier at once (list, filters, exports, service policy), not only from
    the next run."""
    if not created_by.has_perm("grading.add_tieroverride"):
        raise PermissionDenied
    if expires_on <= timezone.localdate():
        raise ValidationError({"expires_on": _("The expiry date must be in the future.")})
    TierOverride.objects.filter(retailer=retailer, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=created_by
    )
    override = TierOverride(
        retailer=retailer, tier=tier, reason=reason.strip(), expires_on=expires_on, created_by=created_by
    )
    override.full_clean()
    override.save()
    Retailer.objects.filter(pk=retailer.pk).update(tier=tier)
    retailer.tier = tier
    return override


@transaction.atomic
def tier_override_revoke(*, override: TierOverride, revoked_by) -> TierOverride:
    """End an override now: the shop is back at the tier its score gave in the latest run."""
    if not revoked_by.has_perm("grading.change_tieroverride"):
        raise PermissionDenied
    if override.revoked_at is None:
        override.revoked_at, override.revoked_by = timezone.now(), revoked_by
        override.save(update_fields=["revoked_at", "revoked_by"])
        _tiers_restore(retailer_ids=[override.retailer_id])
    return override


@transaction.atomic
def tier_overrides_expire(*, today: datetime.date | None = None) -> int:
    """End the overrides whose date has passed (the daily job): each shop goes back to the tier
    its score gave in the latest run. Returns how many ended; safe to run twice."""
    expired = TierOverride.objects.filter(revoked_at__isnull=True, expires_on__lt=today or timezone.localdate())
    retailer_ids = list(expired.values_list("retailer_id", flat=True))
    ended = expired.update(revoked_at=timezone.now())
    _tiers_restore(retailer_ids=retailer_ids)
    return ended


def _tiers_restore(*, retailer_ids: list[int]) -> None:
    """Give shops whose override ended the tier by score of the latest successful run (none if
    that run did not grade them)."""
    from grading.selectors import latest_run

    run = latest_run()
    computed = RetailerGrade.objects.filter(run=run, retailer=OuterRef("pk")).values("computed_tier")[:1]
    Retailer.objects.filter(pk__in=retailer_ids).update(tier=Coalesce(Subquery(computed), Value("")))


@transaction.atomic
def service_policy_update(*, policy: ServicePolicy, data: dict, changed_by) -> ServicePolicy:
    if not changed_by.has_perm("grading.change_servicepolicy"):
        raise PermissionDenied
    for field, value in data.items():
        setattr(policy, field, value)
    policy.full_clean()
    policy._history_user = changed_by
    policy.save()
    return policy


# ---------------------------------------------------------------------------------------------
# Scarce-supply allocation (货源投放). The computation is grading.allocation (pure pandas); these
# functions read its inputs in a few set-based queries, write its lines in one bulk insert and
# move an allocation through draft → published (→ superseded by a correction).


class AllocationFrozen(Exception):
    """A published (or superseded) allocation never changes; a correction is a new version."""


RULE_FIELDS = (
    "name", "mode", "quota_kind", "quotas", "price_classes", "group_shares", "named_quantities",
    "use_priority_weight", "history_source", "history_weeks", "history_floor", "cap_per_shop", "require_active",
    "require_valid_licence", "excluded_finding_kinds", "finding_months", "included_tiers", "excluded_business_types",
)  # fmt: skip


def period_bounds(*, kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The week (Monday to Sunday) or calendar month that holds `day`."""
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        return start, start + relativedelta(months=1) - datetime.timedelta(days=1)
    start = day - datetime.timedelta(days=day.weekday())
    return start, start + datetime.timedelta(days=6)


@transaction.atomic
def allocation_rule_set_save(
    *, rule_set: AllocationRuleSet | None, data: dict, regions=None, saved_by
) -> AllocationRuleSet:
    """Create or edit a rule set (supervisors and admins). Allocations already computed keep the
    snapshot of the rules they used; drafts use the new rules when next computed."""
    needed = "grading.change_allocationruleset" if rule_set else "grading.add_allocationruleset"
    if not saved_by.has_perm(needed):
        raise PermissionDenied
    rule_set = rule_set or AllocationRuleSet(created_by=saved_by)
    for name, value in data.items():
        setattr(rule_set, name, value)
    rule_set.full_clean()
    if rule_set.mode == AllocationMode.NAMED and not rule_set.named_quantities:
        raise ValidationError({"named_quantities": _("Name at least one shop and its cartons.")})
    if rule_set.mode == AllocationMode.PRICE_BAND and not rule_set.price_classes:
        raise ValidationError({"price_classes": _("Choose the price classes the rule set applies to.")})
    if rule_set.mode != AllocationMode.NAMED and not any(float(v) > 0 for v in rule_set.quotas.values()):
        raise ValidationError({"quotas": _("Give at least one level a quota above zero.")})
    rule_set._history_user = saved_by
    rule_set.save()
    if regions is not None:
        rule_set.regions.set(regions)
    return rule_set


def allocation_rules_snapshot(*, rule_set: AllocationRuleSet) -> dict:
    """The rules as the computation will use them: the rule set's fields, its regions and the
    tiers' scarce-supply priority weights of the service policy now."""
    snapshot = {name: getattr(rule_set, name) for name in RULE_FIELDS}
    snapshot["history_floor"] = float(rule_set.history_floor)
    snapshot["rule_set_id"] = rule_set.pk
    snapshot["regions"] = sorted(rule_set.regions.values_list("pk", flat=True))
    snapshot["priority_weights"] = {
        policy.tier: float(policy.scarce_priority_weight) for policy in ServicePolicy.objects.all()
    }
    return snapshot


def rules_from_snapshot(snapshot: dict, *, period_end: datetime.date) -> Rules:
    return Rules(
        mode=snapshot["mode"],
        quota_kind=snapshot["quota_kind"],
        quotas={int(level): float(value) for level, value in snapshot["quotas"].items()},
        priority_weights=snapshot["priority_weights"] if snapshot["use_priority_weight"] else None,
        history=snapshot["history_source"],
        history_floor=float(snapshot["history_floor"]),
        cap=snapshot["cap_per_shop"],
        group_shares={str(key): float(value) for key, value in snapshot["group_shares"].items()},
        named={str(key): int(value) for key, value in snapshot["named_quantities"].items()},
        period_end=period_end,
        require_active=snapshot["require_active"],
        require_valid_licence=snapshot["require_valid_licence"],
        exclude_findings=bool(snapshot["excluded_finding_kinds"]),
        tiers=tuple(snapshot["included_tiers"]),
        business_types_excluded=tuple(snapshot["excluded_business_types"]),
        regions=tuple(snapshot["regions"]),
    )


def allocation_shops(
    *, product: Product, snapshot: dict, period_start: datetime.date, grading_run: GradingRun | None
) -> pd.DataFrame:
    """One row per shop with what the computation reads (grading.allocation.SHOP_COLUMNS): its
    档位 and score from the grading run, its tier now (overrides included), the latest finding
    of an excluded kind in the window and its history with the product (or its price band)."""
    run_id = grading_run.pk if grading_run else 0
    sql = f"""
        SELECT r.id, r.license_no, g.level, g.score, r.tier, a.region_id, r.business_type, r.market_type,
               r.status, r.license_expires_on
        FROM {Retailer._meta.db_table} r
        JOIN {ServiceArea._meta.db_table} a ON a.id = r.service_area_id
        LEFT JOIN {RetailerGrade._meta.db_table} g ON g.retailer_id = r.id AND g.run_id = %s
        ORDER BY r.license_no
    """  # noqa: S608  (no user input in the SQL text)
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id])
        rows = cursor.fetchall()
    columns = ["retailer_id", "license_no", "level", "score", "tier", "region_id", "business_type", "market_type",
               "status", "license_expires_on"]  # fmt: skip
    shops = pd.DataFrame.from_records(rows, columns=columns)
    shops["level"] = shops["level"].astype(float)
    shops["score"] = shops["score"].astype(float)
    shops["license_expires_on"] = pd.to_datetime(shops["license_expires_on"]).dt.date

    findings = pd.DataFrame(columns=["retailer_id", "finding_kind", "finding_on"])
    if snapshot["excluded_finding_kinds"]:
        since = period_start - relativedelta(months=snapshot["finding_months"])
        findings = pd.DataFrame.from_records(
            ComplianceRecord.objects.filter(kind__in=snapshot["excluded_finding_kinds"], found_on__gte=since)
            .order_by("retailer_id", "-found_on", "-id")
            .values_list("retailer_id", "kind", "found_on"),
            columns=["retailer_id", "finding_kind", "finding_on"],
        ).drop_duplicates("retailer_id")
    shops = shops.merge(findings, on="retailer_id", how="left")
    shops["history_value"] = shops["retailer_id"].map(_history_values(product, snapshot, period_start))
    return shops


def _history_values(product: Product, snapshot: dict, period_start: datetime.date) -> dict[int, float]:
    """Per shop: cartons of the product (of its price band in price-band mode) bought in the
    weeks before the period, or the share of the previous published allocation it ordered."""
    source = snapshot["history_source"]
    if source == HistorySource.PURCHASES:
        since = period_start - datetime.timedelta(weeks=snapshot["history_weeks"])
        if snapshot["mode"] == AllocationMode.PRICE_BAND:
            products = Product.objects.filter(price_class__in=snapshot["price_classes"] or [product.price_class])
        else:
            products = Product.objects.filter(pk=product.pk)
        bought = (
            OrderLine.objects.filter(
                product__in=products, order__ordered_on__gte=since, order__ordered_on__lt=period_start
            )
            .values("order__retailer_id")
            .annotate(cartons=Sum("quantity"))
            .values_list("order__retailer_id", "cartons")
        )
        return {retailer_id: float(cartons) for retailer_id, cartons in bought}
    if source == HistorySource.UPTAKE:
        previous = (
            Allocation.objects.filter(
                product=product,
                status=AllocationStatus.PUBLISHED,
                period_start__lt=period_start,
                uptake_at__isnull=False,
            )
            .order_by("-period_start")
            .first()
        )
        if previous is None:
            return {}
        lines = previous.lines.filter(cartons__gt=0, ordered__isnull=False).values_list(
            "retailer_id", "cartons", "ordered"
        )
        return {retailer_id: min(ordered, cartons) / cartons for retailer_id, cartons, ordered in lines}
    return {}


def allocation_preview(
    *, product: Product, cartons: int, rule_set: AllocationRuleSet, period_start: datetime.date,
    period_end: datetime.date,
) -> Outcome:  # fmt: skip
    """Compute without writing anything (the command's --dry-run, and the draft's computation)."""
    from grading.selectors import latest_run

    snapshot = allocation_rules_snapshot(rule_set=rule_set)
    shops = allocation_shops(product=product, snapshot=snapshot, period_start=period_start, grading_run=latest_run())
    return allocate_frame(shops, rules_from_snapshot(snapshot, period_end=period_end), cartons)


def _check_product(product: Product, rule_set: AllocationRuleSet) -> None:
    if not product.is_scarce:
        raise ValidationError({"product": _("Only a scarce product is allocated.")})
    if rule_set.mode == AllocationMode.PRICE_BAND and product.price_class not in rule_set.price_classes:
        raise ValidationError({"rule_set": _("The rule set applies to other price classes than this product's.")})


@transaction.atomic
def allocation_create(
    *, product: Product, period_kind: str, period_start: datetime.date, cartons: int,
    rule_set: AllocationRuleSet, created_by=None, compute: bool = True,
) -> Allocation:  # fmt: skip
    """A draft allocation of a scarce product for the period holding `period_start` (computed at
    once unless told). A product and period that already has one is refused: correct it instead."""
    if created_by is not None and not created_by.has_perm("grading.add_allocation"):
        raise PermissionDenied
    _check_product(product, rule_set)
    start, end = period_bounds(kind=period_kind, day=period_start)
    if Allocation.objects.filter(product=product, period_start=start).exists():
        raise ValidationError(
            _("This product already has an allocation for this period: open it, and correct it if it is published.")
        )
    allocation = Allocation(
        product=product, period_kind=period_kind, period_start=start, period_end=end, cartons=cartons,
        rule_set=rule_set, created_by=created_by,
    )  # fmt: skip
    allocation.full_clean()
    allocation.save()
    if compute:
        allocation = allocation_compute(allocation=allocation, computed_by=created_by)
    return allocation


@transaction.atomic
def allocation_update(
    *, allocation: Allocation, cartons: int, rule_set: AllocationRuleSet, changed_by, compute: bool = True
) -> Allocation:
    """Change a draft's cartons or rule set (and recompute it)."""
    if changed_by is not None and not changed_by.has_perm("grading.change_allocation"):
        raise PermissionDenied
    allocation = _lock_draft(allocation)
    _check_product(allocation.product, rule_set)
    allocation.cartons, allocation.rule_set = cartons, rule_set
    allocation.full_clean()
    allocation.save(update_fields=["cartons", "rule_set"])
    if compute:
        allocation = allocation_compute(allocation=allocation, computed_by=changed_by)
    return allocation


def _lock_draft(allocation: Allocation) -> Allocation:
    locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if locked.is_frozen:
        raise AllocationFrozen(_("A published allocation never changes: correct it with a new version."))
    return locked


LINE_COLUMNS = (
    "allocation_id", "retailer_id", "license_no", "level", "score", "tier", "region_id", "group_key", "exclusion",
    "exclusion_kind", "exclusion_on", "base_quota", "priority_weight", "history_value", "history_factor", "demand",
    "share", "rounded_up", "limit", "cap", "cartons", "previous_cartons", "ordered",
)  # fmt: skip


@transaction.atomic
def allocation_compute(*, allocation: Allocation, computed_by=None) -> Allocation:
    """(Re)compute a draft from its rule set, the latest grading run and the shops now: its lines
    are replaced, each remembering its cartons in the previous draft (for a correction's first
    draft: in the version it corrects), and the totals of the preview are stored."""
    from grading.selectors import latest_run

    if computed_by is not None and not computed_by.has_perm("grading.change_allocation"):
        raise PermissionDenied
    allocation = _lock_draft(allocation)
    run = latest_run()
    snapshot = allocation_rules_snapshot(rule_set=allocation.rule_set)
    shops = allocation_shops(
        product=allocation.product, snapshot=snapshot, period_start=allocation.period_start, grading_run=run
    )
    outcome = allocate_frame(shops, rules_from_snapshot(snapshot, period_end=allocation.period_end), allocation.cartons)

    before = dict(allocation.lines.values_list("retailer_id", "cartons"))
    if not before and allocation.corrects_id:
        before = dict(
            AllocationLine.objects.filter(allocation_id=allocation.corrects_id).values_list("retailer_id", "cartons")
        )
    lines = outcome.lines
    previous = lines["retailer_id"].map(before) if before else pd.Series(np.nan, index=lines.index)
    frame = lines.assign(
        allocation_id=allocation.pk,
        exclusion_kind=np.where(lines["exclusion"] == "compliance", lines["finding_kind"].fillna(""), ""),
        exclusion_on=_exclusion_dates(lines),
        tier=lines["tier"].fillna(""),
        previous_cartons=previous.astype("Int64"),
        ordered=pd.Series(pd.NA, index=lines.index, dtype="Int64"),
        level=lines["level"].astype("Int64"),
        cap=lines["cap"].astype("Int64")
        if snapshot["cap_per_shop"] is not None
        else pd.Series(pd.NA, index=lines.index, dtype="Int64"),
        history_value=lines["history_value"].astype(float).round(4),
    )
    allocation.lines.all().delete()
    insert_frame(AllocationLine._meta.db_table, _db_values(frame[list(LINE_COLUMNS)]))

    changed = int(((previous.fillna(-1) != lines["cartons"]) & previous.notna()).sum()) if before else 0
    allocation.rules_snapshot = snapshot
    allocation.grading_run = run
    allocation.computed_count += 1
    allocation.computed_at = timezone.now()
    allocation.allocated, allocation.leftover = outcome.allocated, outcome.leftover
    allocation.eligible_count = int((lines["exclusion"] == "").sum())
    allocation.excluded_count = len(lines) - allocation.eligible_count
    allocation.totals = {
        "level": totals_by(lines, "level"),
        "region": totals_by(lines, "region_id"),
        "tier": totals_by(lines, "tier"),
        "group": outcome.groups,
        "exclusion": {key: value["shops"] for key, value in totals_by(lines.assign(shop=1), "exclusion").items()},
        "excluded": lines.loc[lines["exclusion"] != "", "exclusion"].value_counts().to_dict(),
        "changed": changed,
        "compared": bool(before),
    }
    allocation.totals.pop("exclusion")
    allocation.changes = _changes(allocation, lines) if allocation.corrects_id else []
    allocation.full_clean()
    allocation.save()
    return allocation


def _exclusion_dates(lines: pd.DataFrame) -> pd.Series:
    dates = pd.Series(None, index=lines.index, dtype=object)
    licence = lines["exclusion"] == "licence"
    dates[licence] = lines.loc[licence, "license_expires_on"]
    finding = lines["exclusion"] == "compliance"
    dates[finding] = lines.loc[finding, "finding_on"]
    return dates


def _db_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as the bulk loader writes them: None for missing, ISO dates, plain ints and floats."""
    out = frame.astype(object).where(frame.notna(), None)
    out["exclusion_on"] = [value.isoformat() if value is not None else None for value in out["exclusion_on"]]
    for column in ("rounded_up",):
        out[column] = frame[column].astype(bool)
    return out


def _changes(allocation: Allocation, lines: pd.DataFrame) -> list[dict]:
    """What a correction changes against the version it corrects: cartons, rule set, rules, shops."""
    corrected = allocation.corrects
    said = []
    if corrected.cartons != allocation.cartons:
        said.append(messages.ALLOC_CHANGED_CARTONS.say(before=corrected.cartons, after=allocation.cartons))
    old_rules, new_rules = corrected.rules_snapshot, allocation.rules_snapshot
    if old_rules.get("rule_set_id") != new_rules.get("rule_set_id"):
        said.append(messages.ALLOC_CHANGED_RULE_SET.say(before=old_rules.get("name", ""), after=new_rules["name"]))
    else:
        changed = [
            name for name in (*RULE_FIELDS, "regions") if name != "name" and old_rules.get(name) != new_rules.get(name)
        ]
        if old_rules.get("priority_weights") != new_rules.get("priority_weights"):
            changed.append("use_priority_weight")
        if changed:
            said.append(messages.ALLOC_CHANGED_RULES.say(fields=list(dict.fromkeys(changed))))
    before = dict(AllocationLine.objects.filter(allocation=corrected).values_list("retailer_id", "cartons"))
    previous = lines["retailer_id"].map(before).fillna(0).astype(int)
    delta = lines["cartons"].astype(int) - previous
    if (delta != 0).any():
        said.append(
            messages.ALLOC_CHANGED_SHOPS.say(
                shops=int((delta != 0).sum()), more=int(delta[delta > 0].sum()), fewer=int(-delta[delta < 0].sum())
            )
        )
    else:
        said.append(messages.ALLOC_CHANGED_NOTHING.say(version=corrected.version))
    return [item.stored for item in said]


@transaction.atomic
def allocation_publish(*, allocation: Allocation, published_by) -> Allocation:
    """Freeze a computed draft: from now on it never changes. A correction supersedes the version
    it corrects (one allocation is in force per product and period)."""
    if published_by is not None and not published_by.has_perm("grading.publish_allocation"):
        raise PermissionDenied
    allocation = _lock_draft(allocation)
    if not allocation.computed_count:
        raise ValidationError(_("Compute the allocation before publishing it."))
    if allocation.corrects_id:
        Allocation.objects.filter(pk=allocation.corrects_id, status=AllocationStatus.PUBLISHED).update(
            status=AllocationStatus.SUPERSEDED
        )
    allocation.status = AllocationStatus.PUBLISHED
    allocation.published_by, allocation.published_at = published_by, timezone.now()
    allocation.save(update_fields=["status", "published_by", "published_at"])
    return allocation


@transaction.atomic
def allocation_correct(
    *, allocation: Allocation, created_by, note: str, cartons: int | None = None,
    rule_set: AllocationRuleSet | None = None,
) -> Allocation:  # fmt: skip
    """A correction of a published allocation: a new draft version of the same product and period
    (computed at once), which says what changed when it is computed and replaces the published
    one when it is published. One open correction at a time."""
    if created_by is not None and not created_by.has_perm("grading.add_allocation"):
        raise PermissionDenied
    published = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if published.status != AllocationStatus.PUBLISHED:
        raise ValidationError(_("Only the published allocation in force can be corrected."))
    if not note.strip():
        raise ValidationError({"note": _("Say why the allocation is corrected.")})
    open_draft = published.corrections.filter(status=AllocationStatus.DRAFT).first()
    if open_draft is not None:
        raise ValidationError(
            _("Version %(version)s, a correction, is still a draft: finish it first.") % {"version": open_draft.version}
        )
    latest = Allocation.objects.filter(product=published.product, period_start=published.period_start).aggregate(
        version=Max("version")
    )["version"]
    rule_set = rule_set or published.rule_set
    _check_product(published.product, rule_set)
    correction = Allocation(
        product=published.product, period_kind=published.period_kind, period_start=published.period_start,
        period_end=published.period_end, cartons=published.cartons if cartons is None else cartons,
        rule_set=rule_set, version=latest + 1, corrects=published, note=note.strip(), created_by=created_by,
    )  # fmt: skip
    correction.full_clean()
    correction.save()
    return allocation_compute(allocation=correction, computed_by=created_by)


@transaction.atomic
def allocation_uptake_refresh(*, allocation: Allocation) -> Allocation:
    """After the period: how many cartons of the product each shop of a published allocation
    ordered in the period (from its orders), kept beside the frozen cartons for the next
    allocation's history factor. Safe to run again (the orders may arrive late)."""
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.status == AllocationStatus.DRAFT:
        raise ValidationError(_("Uptake is read for a published allocation."))
    ordered = (
        OrderLine.objects.filter(
            product_id=allocation.product_id,
            order__ordered_on__gte=allocation.period_start,
            order__ordered_on__lte=allocation.period_end,
            order__retailer_id=OuterRef("retailer_id"),
        )
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    allocation.lines.update(ordered=Coalesce(Subquery(ordered), Value(0)))
    allocation.ordered = allocation.lines.filter(cartons__gt=0).aggregate(total=Sum("ordered"))["total"] or 0
    allocation.uptake_at = timezone.now()
    allocation.save(update_fields=["ordered", "uptake_at"])
    return allocation


def allocation_uptake_due(*, today: datetime.date | None = None) -> int:
    """The daily job: read the uptake of published allocations whose period ended in the last
    four weeks (late orders included). Returns how many were read; safe to run twice."""
    today = today or timezone.localdate()
    due = Allocation.objects.filter(
        status__in=[AllocationStatus.PUBLISHED, AllocationStatus.SUPERSEDED],
        period_end__lt=today,
        period_end__gte=today - datetime.timedelta(weeks=4),
    )
    count = 0
    for allocation in due:
        allocation_uptake_refresh(allocation=allocation)
        count += 1
    return count
