"""The nightly compliance risk refresh (set-based: a handful of aggregate reads, the rules in
pandas, one bulk insert of the new findings) and the review of a finding."""

from __future__ import annotations

import datetime
import json

import pandas as pd
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import RiskFinding
from analytics.risk import (
    COLUMNS,
    REPEATED_MINIMUM,
    REPEATED_MONTHS,
    SPIKE_RATIO,
    WINDOW_WEEKS,
    cross_territory_findings,
    peer_outlier_findings,
    repeated_findings,
    spike_findings,
    unlicensed_findings,
)
from crm_site.bulk import insert_frame
from grading.selectors import latest_levels
from retailers.selectors import (
    compliance_finding_counts,
    order_spikes,
    order_totals_per_retailer,
    orders_while_unlicensed_or_closed,
    retailer_risk_attributes,
    scarce_or_high_end_cartons,
)


def risk_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The weeks the rules judge: the last WINDOW_WEEKS full weeks (Monday to Sunday)."""
    until = today - datetime.timedelta(days=today.weekday() + 1)
    return until - datetime.timedelta(weeks=WINDOW_WEEKS, days=-1), until


def risk_candidates(*, today: datetime.date) -> pd.DataFrame:
    """Every finding the rules fire today (analytics.risk), new or already stored."""
    since, until = risk_window(today)
    shops = retailer_risk_attributes()
    levels = latest_levels()
    frames = [
        spike_findings(order_spikes(since=since, until=until, ratio=SPIKE_RATIO)),
        peer_outlier_findings(order_totals_per_retailer(since=since, until=until), shops, levels, since),
        unlicensed_findings(orders_while_unlicensed_or_closed(since=since, until=until)),
        repeated_findings(
            compliance_finding_counts(since=today - relativedelta(months=REPEATED_MONTHS), minimum=REPEATED_MINIMUM)
        ),
        cross_territory_findings(scarce_or_high_end_cartons(since=since, until=until), shops, levels, since),
    ]
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def risk_refresh(*, today: datetime.date | None = None) -> int:
    """Store the findings the rules fire that are not stored yet (one per shop, rule and
    period: running it twice adds nothing, and a reviewed finding stays as it was reviewed).
    Returns how many were added."""
    candidates = risk_candidates(today=today or timezone.localdate())
    if candidates.empty:
        return 0
    earliest = min(candidates["period_start"])
    stored = pd.DataFrame.from_records(
        list(RiskFinding.objects.filter(period_start__gte=earliest).values_list("retailer_id", "rule", "period_start")),
        columns=["retailer_id", "rule", "period_start"],
    )
    merged = candidates.merge(stored, on=["retailer_id", "rule", "period_start"], how="left", indicator=True)
    new = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
    frame = pd.DataFrame(
        {
            "retailer_id": new["retailer_id"].astype("int64"),
            "rule": new["rule"].astype(str),
            "period_start": new["period_start"].map(lambda day: day.isoformat()),
            "numbers": new["numbers"].map(json.dumps),
            "score": new["score"].astype(float),
            "found_at": timezone.now().isoformat(),
            "review_note": "",
        }
    )
    with transaction.atomic():
        return insert_frame(RiskFinding._meta.db_table, frame)


def risk_finding_review(*, finding: RiskFinding, reviewed_by, note: str) -> RiskFinding:
    """Mark a finding reviewed, by whom and when, with the reviewer's note (a second review
    replaces the note and the reviewer)."""
    note = note.strip()
    if len(note) > RiskFinding._meta.get_field("review_note").max_length:
        raise ValidationError({"review_note": _("The note is too long (500 characters at most).")})
    finding.reviewed_at = timezone.now()
    finding.reviewed_by = reviewed_by
    finding.review_note = note
    finding.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    return finding
