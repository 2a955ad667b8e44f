"""Grading writes: runs, overrides, the policy and the service policy."""

from __future__ import annotations

import datetime
import logging
import time
from decimal import Decimal

import pandas as pd
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.bulk import insert_frame
from grading import messages
from grading.models import (
    GradingPolicy,
    GradingRun,
    RankingScope,
    RetailerGrade,
    RunStage,
    RunStatus,
    RunTrigger,
    ServicePolicy,
    TierOverride,
)
from grading.scoring import grade_frame
from retailers.models import Retailer

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
               COALESCE(o.amount, 0), COALESCE(o.cartons, 0), COALESCE(o.orders, 0),
               COALESCE(o.high_end, 0), COALESCE(o.low_tar, 0), COALESCE(o.brands, 0), COALESCE(c.findings, 0),
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
